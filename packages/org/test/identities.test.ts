import { rmSync } from 'node:fs'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  importOrg,
  normalizeIdentity,
  resolveIdentities,
  setAliases,
  unresolvedIdentities,
} from '../src/index.ts'
import { ORG_Q1, tempDir, writeTemp } from './fixtures.ts'

const dir = tempDir('org-identities')
let client: ClickHouseClient

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  await importOrg({ client, file: writeTemp(dir, 'hr.csv', ORG_Q1), effective: '2026-01-01' })
})
afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('identity aliases', () => {
  it('normalises emails case-insensitively and account ids verbatim', () => {
    expect(normalizeIdentity('  Ian.One@X.com ')).toBe('ian.one@x.com')
    expect(normalizeIdentity(' 5f1aBC ')).toBe('5f1aBC')
  })

  it('imports aliases from config and reports them', async () => {
    const summary = await importOrg({
      client,
      file: writeTemp(dir, 'hr.csv', ORG_Q1),
      effective: '2026-01-01',
      config: {
        identities: {
          aliases: [
            { identity: 'jira:5f1aBC', email: 'IC1@x.com' },
            { identity: 'linear:u-42', email: 'em1@x.com' },
            { identity: 'ian.old@legacy.com', email: 'ic2@x.com' },
            { identity: 'someone', email: 'new-hire@x.com' },
            { identity: 'VP@x.com', email: 'ceo@x.com' },
          ],
        },
      },
    })
    expect(summary.identities).toEqual({ emails: 9, employeeIds: 2, aliases: 4, aliasesRemoved: [] })
    expect(summary.warnings).toEqual([
      'alias someone → new-hire@x.com: nobody with that email has been imported (kept anyway)',
      "alias vp@x.com → ceo@x.com ignored: vp@x.com is a person's email",
    ])
    expect(summary.format()).toContain('  identities: 9 emails, 2 employee ids, 4 aliases')
    expect(summary.format()).toContain(
      "  warning: alias vp@x.com → ceo@x.com ignored: vp@x.com is a person's email",
    )
    const resolved = await resolveIdentities(client, [
      'jira:5f1aBC',
      'linear:u-42',
      'Ian.Old@legacy.com',
      'VP@x.com',
      'E2',
      'jira:5f1abc',
    ])
    expect(Object.fromEntries(resolved)).toEqual({
      'jira:5f1aBC': 'ic1@x.com',
      'linear:u-42': 'em1@x.com',
      'ian.old@legacy.com': 'ic2@x.com',
      'vp@x.com': 'vp@x.com',
      E2: 'vp@x.com',
    })
  })

  it('replacing the alias set retires aliases no longer configured and repoints changed ones', async () => {
    const result = await setAliases(client, [
      { identity: 'jira:5f1aBC', email: 'ic3@x.com' },
      { identity: 'linear:u-42', email: 'em1@x.com' },
    ])
    expect(result).toEqual({
      aliases: 2,
      changed: 1,
      removed: ['ian.old@legacy.com', 'someone'],
      warnings: [],
    })
    const resolved = await resolveIdentities(client, [
      'jira:5f1aBC',
      'linear:u-42',
      'ian.old@legacy.com',
      'someone',
    ])
    expect(Object.fromEntries(resolved)).toEqual({ 'jira:5f1aBC': 'ic3@x.com', 'linear:u-42': 'em1@x.com' })

    // An import without config leaves the aliases alone; an empty alias list clears them.
    await importOrg({ client, file: writeTemp(dir, 'hr.csv', ORG_Q1), effective: '2026-01-01' })
    expect((await resolveIdentities(client, ['linear:u-42'])).size).toBe(1)
    expect(await setAliases(client, [])).toMatchObject({
      aliases: 0,
      removed: ['jira:5f1aBC', 'linear:u-42'],
    })
    expect((await resolveIdentities(client, ['jira:5f1aBC', 'linear:u-42'])).size).toBe(0)
  })
})

describe('unresolvedIdentities', () => {
  it('lists identities in the facts that map to nobody, with counts per source', async () => {
    await setAliases(client, [{ identity: 'jira:known', email: 'em2@x.com' }])
    const decision = (
      id: string,
      raised_by: string,
      actor: string,
      targets: string[],
      source = 'decisions',
    ) => ({
      id,
      type: targets.length > 0 ? 'decision.escalated' : 'decision.raised',
      source,
      decision_id: id,
      raised_by,
      actor,
      targets,
      occurred_at: '2026-02-01 10:00:00.000',
      version: 1,
    })
    await client.insert({
      table: 'decision_events',
      values: [
        decision('e1', 'IC1@x.com', '', []),
        decision('e2', 'ic1@x.com', 'mystery@x.com', ['vp@x.com', 'Mystery@x.com']),
        decision('e3', 'jira:unknown', 'jira:known', [], 'jira'),
        decision('e4', 'jira:unknown', '', [], 'jira'),
        // the same event delivered twice counts once (ReplacingMergeTree, read with FINAL)
        decision('e4', 'jira:unknown', '', [], 'jira'),
      ],
      format: 'JSONEachRow',
    })
    await client.insert({
      table: 'meetings',
      values: [
        {
          id: 'm1',
          source: 'calendar',
          meeting_id: 'm1',
          start: '2026-02-02 09:00:00.000',
          end: '2026-02-02 09:30:00.000',
          organizer: 'ic3@x.com',
          attendees: ['ic3@x.com', 'guest@partner.com', 'mystery@x.com'],
          occurred_at: '2026-02-02 09:00:00.000',
          version: 1,
        },
      ],
      format: 'JSONEachRow',
    })
    await client.insert({
      table: 'workitem_events',
      values: [
        {
          id: 'w1',
          source: 'linear',
          item_id: 'L-1',
          actor: 'linear:u-99',
          occurred_at: '2026-02-03 10:00:00.000',
          version: 1,
        },
        {
          id: 'w2',
          source: 'linear',
          item_id: 'L-2',
          actor: 'linear:u-99',
          occurred_at: '2026-02-03 11:00:00.000',
          version: 1,
        },
      ],
      format: 'JSONEachRow',
    })

    expect(await unresolvedIdentities(client)).toEqual([
      { identity: 'jira:unknown', source: 'jira', occurrences: 2, fields: ['decision_events.raised_by'] },
      { identity: 'linear:u-99', source: 'linear', occurrences: 2, fields: ['workitem_events.actor'] },
      {
        identity: 'mystery@x.com',
        source: 'decisions',
        occurrences: 2,
        fields: ['decision_events.actor', 'decision_events.targets'],
      },
      { identity: 'guest@partner.com', source: 'calendar', occurrences: 1, fields: ['meetings.attendees'] },
      { identity: 'mystery@x.com', source: 'calendar', occurrences: 1, fields: ['meetings.attendees'] },
    ])

    // Mapping an identity makes it disappear from the list.
    await setAliases(client, [
      { identity: 'jira:known', email: 'em2@x.com' },
      { identity: 'mystery@x.com', email: 'cfo@x.com' },
    ])
    expect((await unresolvedIdentities(client)).map((u) => u.identity)).toEqual([
      'jira:unknown',
      'linear:u-99',
      'guest@partner.com',
    ])
  })
})
