import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { importDecisions } from '@orgpulse/connector-decisions'
import { configSchema, parseEnv, toClickHouseTime } from '@orgpulse/contracts'
import { FAMILIES } from '@orgpulse/metrics'
import { importOrg, unresolvedIdentities } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'

/**
 * Expected deciders from the decision log (issue 18 item 3), in every input format, through the
 * real import, transformer and sink into the api's decision log and its `waitingOn` filter.
 *
 * Org: dana (director) ─┬─ erin ── ivan, ida
 *                       └─ olga ── oscar
 * CSV:   C1 ivan proposed, expected dana · C2 ivan proposed, empty expected_decider cell ·
 *        C3 oscar decided by olga, expected dana (a call was made: waits on nobody)
 * JSONL: J1 ida proposed, expectedDecider "Erin@Acme.test" · J2 ida proposed, no field ·
 *        J3 ida proposed, expected nobody@elsewhere.test (no such person: unresolved)
 * JSON:  J4 oscar proposed, snake_case `expected_decider` olga · J5 oscar proposed, no field
 * MADR:  M1 `expected_decider: dana` · M2 no expected_decider, `decision-makers: [olga]` (MADR's
 *        decision-makers are who is to decide) · M3 neither
 * Waiting on dana: C1, M1. On erin: J1. On olga: M2, J4.
 */
const ORG = `email,name,manager_email,title
dana@acme.test,Dana,,Director
erin@acme.test,Erin,dana@acme.test,EM
olga@acme.test,Olga,dana@acme.test,EM
ivan@acme.test,Ivan,erin@acme.test,Engineer
ida@acme.test,Ida,erin@acme.test,Engineer
oscar@acme.test,Oscar,olga@acme.test,Engineer
`
const CSV = `id,title,raised_by,raised_at,status,expected_decider,decided_by,decided_at,updated_at
C1,Pick a queue,ivan@acme.test,2026-07-01T09:00:00Z,proposed,dana@acme.test,,,2026-07-01T09:00:00Z
C2,Name the service,ivan@acme.test,2026-07-02T09:00:00Z,proposed,,,,
C3,Runbook format,oscar@acme.test,2026-07-03T09:00:00Z,decided,dana@acme.test,olga@acme.test,2026-07-04T09:00:00Z,
`
const JSONL = [
  {
    id: 'J1',
    title: 'Adopt Kafka',
    raisedBy: 'ida@acme.test',
    raisedAt: '2026-07-05T09:00:00Z',
    status: 'proposed',
    expectedDecider: 'Erin@Acme.test',
  },
  {
    id: 'J2',
    title: 'Retire v1',
    raisedBy: 'ida@acme.test',
    raisedAt: '2026-07-06T09:00:00Z',
    status: 'proposed',
  },
  {
    id: 'J3',
    title: 'Outsource ops',
    raisedBy: 'ida@acme.test',
    raisedAt: '2026-07-07T09:00:00Z',
    status: 'proposed',
    expectedDecider: 'nobody@elsewhere.test',
  },
]
  .map((r) => JSON.stringify(r))
  .join('\n')
const JSON_FILE = JSON.stringify([
  {
    id: 'J4',
    title: 'On-call rota',
    raised_by: 'oscar@acme.test',
    raised_at: '2026-07-11T09:00:00Z',
    status: 'proposed',
    expected_decider: 'olga@acme.test',
  },
  {
    id: 'J5',
    title: 'Pager vendor',
    raisedBy: 'oscar@acme.test',
    raisedAt: '2026-07-11T10:00:00Z',
    status: 'proposed',
  },
])
const madr = (front: string, title: string) => `---\n${front}\n---\n# ${title}\n\nContext…\n`
const MADR = {
  '0001-m1.md': madr(
    'id: M1\nstatus: proposed\nraised_by: ivan@acme.test\nraised_at: 2026-07-08T09:00:00Z\nupdated_at: 2026-07-08T09:00:00Z\nexpected_decider: dana@acme.test',
    'Use ClickHouse',
  ),
  '0002-m2.md': madr(
    'id: M2\nstatus: proposed\nraised_by: oscar@acme.test\nraised_at: 2026-07-09T09:00:00Z\ndecision-makers: [olga@acme.test]',
    'Page on call',
  ),
  '0003-m3.md': madr(
    'id: M3\nstatus: proposed\nraised_by: oscar@acme.test\nraised_at: 2026-07-10T09:00:00Z',
    'Tabs or spaces',
  ),
}

const config = configSchema.parse({})
const work = mkdtempSync(join(tmpdir(), 'orgpulse-expected-decider-'))
let p: EmbeddedPipeline
let app: Awaited<ReturnType<typeof buildApp>>

interface Decision {
  id: string
  status: string
  expectedDecider: string | null
}
async function decisions(query = ''): Promise<Decision[]> {
  const res = await app.inject({ method: 'GET', url: `/v1/orgs/dana@acme.test/decisions?limit=1000${query}` })
  expect([res.statusCode, res.statusCode === 200 ? '' : res.body]).toEqual([200, ''])
  return (res.json() as { decisions: Decision[] }).decisions
}
const short = (id: string) => id.replace(/^decisions:/, '')
const waitingOn = async (email: string, extra = '') =>
  (await decisions(`&waitingOn=${encodeURIComponent(email)}${extra}`)).map((d) => short(d.id))
const expectedOf = async () =>
  Object.fromEntries((await decisions()).map((d) => [short(d.id), d.expectedDecider]))

let n = 0
async function importFile(name: string, text: string): Promise<void> {
  const dir = join(work, `import-${n++}`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), text)
  const result = await importDecisions(p.bus, join(dir, name))
  expect(result.rejected).toEqual([])
  await p.flush()
}

beforeAll(async () => {
  p = await startEmbeddedPipeline(config, 'expected-decider', { dataDir: join(work, 'data') })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  app = await buildApp({
    client: p.client,
    bus: p.bus,
    config,
    flush: p.flush,
    auth: 'none',
    env: parseEnv({}),
  })
  await importFile('log.csv', CSV)
  await importFile('log.jsonl', JSONL)
  await importFile('log.json', JSON_FILE)
  const adr = join(work, 'adr')
  mkdirSync(adr)
  for (const [f, text] of Object.entries(MADR)) writeFileSync(join(adr, f), text)
  const result = await importDecisions(p.bus, adr)
  expect(result.rejected).toEqual([])
  expect(result.notes.join('\n')).toContain('expectedDecider from MADR decision-makers')
  await p.flush()
}, 180_000)

afterAll(async () => {
  await app?.close()
  await p?.stop()
})

describe('expected deciders from the decision log', () => {
  it('are read from CSV, JSONL and MADR, and are absent where the record names none', async () => {
    expect(await expectedOf()).toEqual({
      C1: 'dana@acme.test',
      C2: null,
      C3: 'dana@acme.test',
      J1: 'erin@acme.test',
      J2: null,
      // a person the org does not know resolves to nobody
      J3: null,
      J4: 'olga@acme.test',
      J5: null,
      M1: 'dana@acme.test',
      M2: 'olga@acme.test',
      M3: null,
    })
  })

  it('waitingOn lists the open decisions whose expected decider is that person, and only those', async () => {
    expect(await waitingOn('dana@acme.test')).toEqual(['C1', 'M1'])
    expect(await waitingOn('Erin@acme.test')).toEqual(['J1'])
    expect(await waitingOn('olga@acme.test')).toEqual(['M2', 'J4'])
    expect(await waitingOn('ivan@acme.test')).toEqual([])
    // open at `to`: C3 was still open on 07-04 at 00:00, decided later that day
    expect(await waitingOn('dana@acme.test', '&to=2026-07-04')).toEqual(['C1', 'C3'])
    const bad = await app.inject({ method: 'GET', url: '/v1/orgs/dana@acme.test/decisions?waitingOn=dana' })
    expect(bad.statusCode).toBe(400)
  })

  it("the decisions family's base rows carry the resolved expected decider", async () => {
    const rows = await queryRows<{ decision_id: string; expected_decider: string }>(
      p.client,
      `SELECT decision_id, expected_decider FROM (${FAMILIES.decisions.base}) ORDER BY decision_id`,
      {
        scopes: ['u:dana@acme.test'],
        w_froms: [toClickHouseTime(new Date('2026-07-01T00:00:00Z'))],
        w_tos: [toClickHouseTime(new Date('2026-08-01T00:00:00Z'))],
      },
    )
    expect(Object.fromEntries(rows.map((r) => [short(r.decision_id), r.expected_decider]))).toMatchObject({
      C1: 'dana@acme.test',
      C2: '',
      J1: 'erin@acme.test',
      J3: '',
      M2: 'olga@acme.test',
    })
  })

  it('an expected decider that resolves to nobody is listed as unresolved, never dropped silently', async () => {
    const unresolved = await unresolvedIdentities(p.client)
    expect(unresolved.find((u) => u.identity === 'nobody@elsewhere.test')).toMatchObject({
      source: 'decisions',
      fields: ['decision_events.expected_decider'],
    })
  })

  it('a newer version replaces it as a whole: changed, removed, put back; an older copy replayed late changes nothing', async () => {
    const head = 'id,title,raised_by,raised_at,status,expected_decider,updated_at\n'
    const c1 = (expected: string, updated: string) =>
      `${head}C1,Pick a queue,ivan@acme.test,2026-07-01T09:00:00Z,proposed,${expected},${updated}\n`
    await importFile('c1-erin.csv', c1('erin@acme.test', '2026-07-11T09:00:00Z'))
    expect((await expectedOf()).C1).toBe('erin@acme.test')
    expect(await waitingOn('dana@acme.test')).toEqual(['M1'])
    expect(await waitingOn('erin@acme.test')).toEqual(['C1', 'J1'])

    // a version without the field clears it
    await importFile('c1-none.csv', c1('', '2026-07-12T09:00:00Z'))
    expect((await expectedOf()).C1).toBeNull()
    expect(await waitingOn('erin@acme.test')).toEqual(['J1'])

    // put back by a newer version
    await importFile('c1-dana.csv', c1('dana@acme.test', '2026-07-13T09:00:00Z'))
    expect((await expectedOf()).C1).toBe('dana@acme.test')
    expect(await waitingOn('dana@acme.test')).toEqual(['C1', 'M1'])

    // the erin version again, arriving last but older: the newest updatedAt wins
    await importFile('c1-stale.csv', c1('erin@acme.test', '2026-07-11T09:00:00Z'))
    expect((await expectedOf()).C1).toBe('dana@acme.test')
    expect(await waitingOn('erin@acme.test')).toEqual(['J1'])
  })

  it('POST /v1/decisions takes expectedDecider too', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: {
        id: 'P1',
        title: 'Buy or build',
        raisedBy: 'ivan@acme.test',
        raisedAt: '2026-07-20T09:00:00Z',
        status: 'proposed',
        expectedDecider: 'olga@acme.test',
      },
    })
    expect(res.statusCode).toBe(202)
    expect(await waitingOn('olga@acme.test')).toEqual(['M2', 'J4', 'P1'])
  })

  it('a decision once decided waits on nobody, whoever was expected', async () => {
    const head = 'id,title,raised_by,raised_at,status,expected_decider,decided_by,decided_at,updated_at\n'
    await importFile(
      'm1-decided.csv',
      `${head}M1,Use ClickHouse,ivan@acme.test,2026-07-08T09:00:00Z,decided,dana@acme.test,dana@acme.test,2026-07-14T09:00:00Z,2026-07-14T09:00:00Z\n`,
    )
    expect(await waitingOn('dana@acme.test')).toEqual(['C1'])
    expect((await expectedOf()).M1).toBe('dana@acme.test')
  })
})
