import { rmSync } from 'node:fs'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { type OrgSnapshot, orgSnapshotSchema, TOPICS } from '@orgpulse/contracts'
import type { BusMessage } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  effectiveAt,
  importOrg,
  listDirectors,
  listSnapshots,
  OrgLookupError,
  OrgValidationError,
  orgTree,
  readSnapshot,
  SNAPSHOTS_WITH,
  snapshotFor,
} from '../src/index.ts'
import { ORG_Q1, ORG_Q2, tempDir, writeTemp } from './fixtures.ts'

// chDB allows one data directory per process; vitest runs each test file in its own fork.
const dir = tempDir('org-import')
let client: ClickHouseClient
const published: { topic: string; messages: BusMessage[] }[] = []
const bus = {
  publish: async (topic: string, messages: BusMessage[]) => {
    published.push({ topic, messages })
  },
}

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
})
afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** snapshotFor evaluated at each instant (UTC ISO strings). */
async function snapshotsAt(instants: string[]): Promise<string[]> {
  const rows = await queryRows<{ eff: string }>(
    client,
    `WITH ${SNAPSHOTS_WITH}
     SELECT toString(${snapshotFor('t')}) AS eff
     FROM (SELECT arrayJoin({ts:Array(DateTime64(3, 'UTC'))}) AS t)
     ORDER BY t`,
    { ts: instants.map((i) => i.replace('T', ' ').replace('Z', '')) },
  )
  return rows.map((r) => r.eff)
}

describe('importOrg and the effective-dated org', () => {
  it('knows no snapshot before the first import', async () => {
    expect(await effectiveAt(client)).toBeNull()
    expect(await snapshotsAt(['2026-01-01T00:00:00Z'])).toEqual(['1970-01-01'])
    expect(await listDirectors(client)).toEqual([])
    await expect(orgTree(client, 'vp@x.com')).rejects.toBeInstanceOf(OrgLookupError)
  })

  it('imports a first snapshot, stores it, maps identities and publishes it', async () => {
    const file = writeTemp(dir, 'hr-q1.csv', ORG_Q1)
    const summary = await importOrg({
      client,
      bus,
      file,
      effective: '2026-01-01',
      now: () => new Date('2026-01-02T10:00:00Z'),
    })
    expect(summary).toMatchObject({
      effective: '2026-01-01',
      source: 'hr-q1.csv',
      inputFormat: 'csv',
      replaced: false,
      previous: null,
      people: 9,
      teams: 4,
      managers: 4,
      directors: 2,
      maxDepth: 3,
      identities: { emails: 9, employeeIds: 2, aliases: null, aliasesRemoved: [] },
      published: { topic: TOPICS.org, key: '2026-01-01' },
      warnings: [],
    })
    expect(summary.format()).toBe(
      [
        'Imported org effective 2026-01-01 from hr-q1.csv',
        '  9 people, 4 teams, 4 managers (2 directors), max depth 3',
        '  identities: 9 emails, 2 employee ids',
        '  first snapshot: no earlier org to compare with',
        '  published to orgpulse.org.v1 (key 2026-01-01)',
      ].join('\n'),
    )

    expect(published).toHaveLength(1)
    expect(published[0]!.topic).toBe('orgpulse.org.v1')
    expect(published[0]!.messages[0]!.key).toBe('2026-01-01')
    const onTopic = orgSnapshotSchema.parse(JSON.parse(published[0]!.messages[0]!.value.toString()))
    const stored = await readSnapshot(client, '2026-01-01')
    expect(stored).toEqual(onTopic)
    expect(stored?.importedAt).toBe('2026-01-02T10:00:00.000Z')
    expect(stored?.closure).toHaveLength(9)

    const ids = await queryRows<{ identity: string; person_id: string; origin: string }>(
      client,
      "SELECT identity, person_id, origin FROM identity_map FINAL WHERE origin != 'email' ORDER BY identity",
    )
    expect(ids).toEqual([
      { identity: 'E1', person_id: 'ceo@x.com', origin: 'employee_id' },
      { identity: 'E2', person_id: 'vp@x.com', origin: 'employee_id' },
    ])
  })

  it('imports a re-org and reports what changed', async () => {
    const file = writeTemp(dir, 'hr-q2.csv', ORG_Q2)
    const summary = await importOrg({ client, file, effective: new Date('2026-04-01T15:00:00Z') })
    expect(summary).toMatchObject({
      effective: '2026-04-01',
      previous: '2026-01-01',
      replaced: false,
      published: null,
    })
    expect(summary.changes).toEqual({
      added: [{ personId: 'ic5@x.com', name: 'Ian Five', title: 'Engineer', managerId: 'em1@x.com' }],
      removed: [{ personId: 'ic4@x.com', name: 'Ian Four', title: 'Engineer', managerId: 'em2@x.com' }],
      moved: [{ personId: 'ic2@x.com', name: 'Ian Two', from: 'em1@x.com', to: 'em2@x.com' }],
      retitled: [
        {
          personId: 'em1@x.com',
          name: 'Em One',
          from: 'Engineering Manager',
          to: 'Senior Engineering Manager',
        },
      ],
    })
    expect(summary.format()).toBe(
      [
        'Imported org effective 2026-04-01 from hr-q2.csv',
        '  9 people, 4 teams, 4 managers (2 directors), max depth 3',
        '  identities: 9 emails, 2 employee ids',
        '  since 2026-01-01: 1 added, 1 removed, 1 moved, 1 title change',
        '    + ic5@x.com Ian Five, Engineer → reports to em1@x.com',
        '    - ic4@x.com Ian Four',
        '    ~ ic2@x.com moved: em1@x.com → em2@x.com',
        '    ~ em1@x.com title: Engineering Manager → Senior Engineering Manager',
      ].join('\n'),
    )
    expect(await listSnapshots(client)).toEqual(['2026-01-01', '2026-04-01'])
  })

  it('snapshotFor picks the snapshot valid before, at and after the re-org boundary', async () => {
    expect(
      await snapshotsAt([
        '2024-06-01T00:00:00Z', // long before the first snapshot: the first one covers it
        '2025-12-31T23:59:59.999Z',
        '2026-01-01T00:00:00Z',
        '2026-02-15T12:00:00Z',
        '2026-03-31T23:59:59.999Z',
        '2026-04-01T00:00:00Z',
        '2026-04-01T00:00:00.001Z',
        '2030-01-01T00:00:00Z',
      ]),
    ).toEqual([
      '2026-01-01',
      '2026-01-01',
      '2026-01-01',
      '2026-01-01',
      '2026-01-01',
      '2026-04-01',
      '2026-04-01',
      '2026-04-01',
    ])
    expect(await effectiveAt(client, new Date('2026-03-31T23:59:59Z'))).toBe('2026-01-01')
    expect(await effectiveAt(client, new Date('2026-04-01T00:00:00Z'))).toBe('2026-04-01')
  })

  it('snapshotFor attributes facts through the org valid at their time', async () => {
    // ic2 raises a decision before and after moving from em1's team to em2's.
    await client.insert({
      table: 'decision_events',
      values: [
        {
          id: 'd1',
          type: 'decision.raised',
          source: 'decisions',
          decision_id: 'D1',
          raised_by: 'ic2@x.com',
          occurred_at: '2026-03-31 23:00:00.000',
          version: 1,
        },
        {
          id: 'd2',
          type: 'decision.raised',
          source: 'decisions',
          decision_id: 'D2',
          raised_by: 'ic2@x.com',
          occurred_at: '2026-04-01 01:00:00.000',
          version: 1,
        },
        {
          id: 'd0',
          type: 'decision.raised',
          source: 'decisions',
          decision_id: 'D0',
          raised_by: 'ic4@x.com',
          occurred_at: '2025-11-01 09:00:00.000',
          version: 1,
        },
      ],
      format: 'JSONEachRow',
    })
    const rows = await queryRows<{ decision_id: string; home_unit: string; eff: string }>(
      client,
      `WITH ${SNAPSHOTS_WITH}
       SELECT e.decision_id, p.home_unit, toString(p.effective) AS eff
       FROM (SELECT decision_id, raised_by, occurred_at, ${snapshotFor('occurred_at')} AS eff FROM decision_events FINAL) AS e
       INNER JOIN org_people AS p ON p.person_id = e.raised_by AND p.effective = e.eff
       ORDER BY e.decision_id`,
    )
    expect(rows).toEqual([
      { decision_id: 'D0', home_unit: 'u:em2@x.com', eff: '2026-01-01' },
      { decision_id: 'D1', home_unit: 'u:em1@x.com', eff: '2026-01-01' },
      { decision_id: 'D2', home_unit: 'u:em2@x.com', eff: '2026-04-01' },
    ])
  })

  it('lists directors and the units of a director’s org at a time', async () => {
    expect(await listDirectors(client, new Date('2026-05-01T00:00:00Z'))).toEqual([
      {
        personId: 'ceo@x.com',
        email: 'ceo@x.com',
        name: 'Cleo CEO',
        title: 'CEO',
        level: 3,
        unitId: 'u:ceo@x.com',
        unitName: 'Leadership',
        people: 9,
      },
      {
        personId: 'vp@x.com',
        email: 'vp@x.com',
        name: 'Vic VP',
        title: 'VP Engineering',
        level: 2,
        unitId: 'u:vp@x.com',
        unitName: 'Engineering',
        people: 7,
      },
    ])
    const q2 = await orgTree(client, 'VP@x.com', new Date('2026-05-01T00:00:00Z'))
    expect(q2).toEqual({
      effective: '2026-04-01',
      rootUnit: 'u:vp@x.com',
      units: [
        {
          unitId: 'u:vp@x.com',
          name: 'Engineering',
          kind: 'group',
          managerId: 'vp@x.com',
          managerName: 'Vic VP',
          parentId: 'u:ceo@x.com',
          depth: 0,
          people: 1,
          totalPeople: 7,
        },
        {
          unitId: 'u:em2@x.com',
          name: 'Mobile',
          kind: 'team',
          managerId: 'em2@x.com',
          managerName: 'Em Two',
          parentId: 'u:vp@x.com',
          depth: 1,
          people: 3,
          totalPeople: 3,
        },
        {
          unitId: 'u:em1@x.com',
          name: 'Platform',
          kind: 'team',
          managerId: 'em1@x.com',
          managerName: 'Em One',
          parentId: 'u:vp@x.com',
          depth: 1,
          people: 3,
          totalPeople: 3,
        },
      ],
    })
    // Before the re-org em1 had ic1 and ic2, em2 had ic3 and ic4.
    const q1 = await orgTree(client, 'vp@x.com', new Date('2026-02-01T00:00:00Z'))
    expect(q1.effective).toBe('2026-01-01')
    expect(q1.units.map((u) => [u.unitId, u.people])).toEqual([
      ['u:vp@x.com', 1],
      ['u:em2@x.com', 3],
      ['u:em1@x.com', 3],
    ])
    await expect(orgTree(client, 'ic1@x.com')).rejects.toThrow(
      'ic1@x.com leads no team in the org valid at 2026-04-01',
    )
    await expect(orgTree(client, 'ghost@x.com')).rejects.toThrow(
      'ghost@x.com is not in the org valid at 2026-04-01',
    )
  })

  it('replaces a snapshot re-imported for the same effective date', async () => {
    // A corrected Q2 export: ic5 was a mistake, ic6 joins em2 instead.
    const corrected = `${ORG_Q2.replace(/\nic5@x\.com[^\n]*/, '')}\nic6@x.com,Ian Six,em2@x.com,Engineer,,Mobile`
    const file = writeTemp(dir, 'org-q2.yaml', toYaml(corrected))
    const summary = await importOrg({ client, file, effective: '2026-04-01' })
    expect(summary).toMatchObject({ inputFormat: 'yaml', replaced: true, previous: '2026-01-01', people: 9 })
    expect(summary.format().split('\n')[0]).toBe(
      'Imported org effective 2026-04-01 from org-q2.yaml (replaced the earlier import of 2026-04-01)',
    )
    expect(summary.changes.added.map((p) => p.personId)).toEqual(['ic6@x.com'])
    const stored = (await readSnapshot(client, '2026-04-01')) as OrgSnapshot
    expect(stored.people.map((p) => p.personId)).not.toContain('ic5@x.com')
    expect(stored.people).toHaveLength(9)
    // UInt64 arrives as a number from chDB and as a string from a server: compare as numbers.
    const counts = await queryRows<{ n: string | number }>(
      client,
      "SELECT count() AS n FROM org_snapshots FINAL WHERE effective = '2026-04-01'",
    )
    expect(counts.map((c) => Number(c.n))).toEqual([1])
    expect(await listSnapshots(client)).toEqual(['2026-01-01', '2026-04-01'])
  })

  it('rejects an invalid file without touching the stored org', async () => {
    const file = writeTemp(
      dir,
      'broken.csv',
      'email,name,manager_email,title\na@x.com,A,,CEO\nb@x.com,B,,CTO\n',
    )
    await expect(importOrg({ client, file, effective: '2026-07-01' })).rejects.toBeInstanceOf(
      OrgValidationError,
    )
    await expect(
      importOrg({ client, file: writeTemp(dir, 'ok.csv', ORG_Q1), effective: '2026-13-01' }),
    ).rejects.toThrow('effective date: 2026-13-01 is not a date: there is no month 13')
    expect(await listSnapshots(client)).toEqual(['2026-01-01', '2026-04-01'])
  })
})

/** The same org as org.yaml, flat style, to exercise the yaml path end to end. */
function toYaml(csv: string): string {
  const [, ...lines] = csv.split('\n')
  const people = lines.map((line) => {
    const [email, name, manager, title, employeeId, team] = line.split(',')
    return [
      `  - email: ${email}`,
      `    name: ${name}`,
      manager ? `    manager: ${manager}` : '',
      `    title: ${title}`,
      employeeId ? `    employee_id: ${employeeId}` : '',
      team ? `    team: ${team}` : '',
    ]
      .filter(Boolean)
      .join('\n')
  })
  return `people:\n${people.join('\n')}\n`
}
