import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, writeFacts } from '@orgpulse/clickhouse'
import { configSchema, type DecisionRecordInput } from '@orgpulse/contracts'
import { computeOrgMetrics, type Viewer } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { transformBytes } from '../../../test/setup/pipeline.ts'
import { type MetricsWindow, OrgMetricsCache, orgMetricsForWindows } from '../src/index.ts'

/*
 * The org of reorg.test.ts: dir leads m1 "Alpha" (6), m2 "Beta" (5), m3 "Gamma" (1 + m3: 2 people,
 * under privacy.minGroupSize 5, so Gamma's people-based figures are withheld and suppression
 * has a small group to protect). Three orgs: 04-01 (before), 08-12 (a5 moves Alpha → Beta),
 * 09-15 (m4 takes Gamma from m3). Windows and the org their end sees:
 *   Q2 [04-01, 07-01) and [07-01, 08-12): the 04-01 org; [07-01, 08-05) too, but it starts where
 *   [07-01, 08-12) does, so it is judged on its own (judgeTree keys windows by their start);
 *   [08-12, 09-15): the 08-12 org; [08-12, 09-23) and Q3 [07-01, 10-01): the 09-15 org.
 * So 6 windows are judged in 4 judgeTree calls: 4 of every family's query instead of 6.
 * m4 led no org before 09-15: not_found there; a window ending before it starts is refused.
 */
const HEAD = 'email,name,manager_email,title,team\n'
const people = (prefix: string, n: number, manager: string, team: string) =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}${i + 1}@x.io,${prefix.toUpperCase()}${i + 1},${manager},Engineer,${team}\n`,
  ).join('')
const BEFORE = `${HEAD}ceo@x.io,Cleo,,CEO,
dir@x.io,Dana,ceo@x.io,Director,
m1@x.io,Mia,dir@x.io,EM,
m2@x.io,Max,dir@x.io,EM,
m3@x.io,Moe,dir@x.io,EM,
${people('a', 6, 'm1@x.io', 'Alpha')}${people('b', 5, 'm2@x.io', 'Beta')}${people('c', 1, 'm3@x.io', 'Gamma')}`
const AFTER = BEFORE.replace('a5@x.io,A5,m1@x.io,Engineer,Alpha', 'a5@x.io,A5,m2@x.io,Engineer,Beta')
const LATER = AFTER.replace('m3@x.io,Moe,dir@x.io,EM,', 'm4@x.io,Meg,dir@x.io,EM,').replace(
  'c1@x.io,C1,m3@x.io',
  'c1@x.io,C1,m4@x.io',
)

const config = configSchema.parse({})
const H = 3_600_000
let client: ClickHouseClient
/** family queries (one per metric family and window set) issued through `client` */
let familyQueries = 0

const decision = (
  id: string,
  raiser: string,
  raised: string,
  decider: string,
  hours: number,
): DecisionRecordInput => ({
  id,
  title: `decision ${id}`,
  raisedBy: raiser,
  raisedAt: new Date(raised).toISOString(),
  status: 'decided',
  decidedBy: decider,
  decidedAt: new Date(new Date(raised).getTime() + hours * H).toISOString(),
})

async function write(records: DecisionRecordInput[]): Promise<void> {
  const events = records.flatMap((r) =>
    transformBytes(
      Buffer.from(
        JSON.stringify({
          source: 'decisions',
          entity: 'decision',
          sourceId: r.id,
          fetchedAt: '2026-12-01T00:00:00Z',
          payload: r,
        }),
      ),
      { config },
    ),
  )
  await writeFacts(client, events)
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-review-batch-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  for (const [name, csv, effective] of [
    ['before.csv', BEFORE, '2026-04-01'],
    ['after.csv', AFTER, '2026-08-12'],
    ['later.csv', LATER, '2026-09-15'],
  ] as const) {
    writeFileSync(join(dir, name), csv)
    await importOrg({ client, file: join(dir, name), effective })
  }
  await write([
    decision('Q2a', 'a1@x.io', '2026-05-01T00:00:00Z', 'm1@x.io', 48),
    decision('Q2b', 'b1@x.io', '2026-05-06T09:00:00Z', 'dir@x.io', 72),
    decision('B1', 'a1@x.io', '2026-07-06T09:00:00Z', 'm1@x.io', 10),
    decision('B2', 'a2@x.io', '2026-07-08T09:00:00Z', 'm1@x.io', 20),
    decision('B3', 'a3@x.io', '2026-07-10T09:00:00Z', 'dir@x.io', 100),
    decision('B4', 'b1@x.io', '2026-07-07T09:00:00Z', 'm2@x.io', 30),
    decision('B5', 'b2@x.io', '2026-07-09T09:00:00Z', 'dir@x.io', 200),
    decision('G1', 'c1@x.io', '2026-07-13T09:00:00Z', 'm3@x.io', 5),
    decision('A1', 'a1@x.io', '2026-08-17T09:00:00Z', 'm1@x.io', 8),
    decision('A2', 'a2@x.io', '2026-08-19T09:00:00Z', 'm1@x.io', 12),
    decision('A3', 'a3@x.io', '2026-08-20T09:00:00Z', 'm1@x.io', 16),
    decision('A4', 'b1@x.io', '2026-08-18T09:00:00Z', 'm2@x.io', 40),
    decision('A5', 'a5@x.io', '2026-08-24T09:00:00Z', 'm2@x.io', 50),
    decision('G2', 'c1@x.io', '2026-09-16T09:00:00Z', 'm4@x.io', 7),
  ])
  const query = client.query.bind(client)
  client.query = ((params: { query: string }) => {
    if (params.query.includes('w_from_key')) familyQueries++
    return query(params as never)
  }) as typeof client.query
}, 120_000)

afterAll(async () => {
  await client?.close()
})

const WINDOWS: MetricsWindow[] = [
  { from: '2026-04-01', to: '2026-07-01' },
  { from: '2026-07-01T00:00:00.000Z', to: '2026-08-12T00:00:00.000Z' },
  { from: '2026-07-01T00:00:00.000Z', to: '2026-08-05T00:00:00.000Z' },
  { from: '2026-08-12T00:00:00.000Z', to: '2026-09-15T00:00:00.000Z' },
  { from: '2026-08-12T00:00:00.000Z', to: '2026-09-23T00:00:00.000Z' },
  { from: '2026-07-01', to: '2026-10-01' },
]

const single = (director: string, w: MetricsWindow, viewer?: Viewer) =>
  computeOrgMetrics(client, config, { director, from: w.from, to: w.to, ...(viewer ? { viewer } : {}) }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )

describe('orgMetricsForWindows', () => {
  for (const viewer of [undefined, { kind: 'org', org: 'm1@x.io' } as const])
    it(`equals computeOrgMetrics window by window, privacy and individual rules included (viewer ${viewer ? viewer.org : 'admin'})`, async () => {
      familyQueries = 0
      const expected = []
      for (const w of WINDOWS) expected.push(await single('dir@x.io', w, viewer))
      const perWindow = familyQueries
      familyQueries = 0
      const batched = await orgMetricsForWindows(client, config, { director: 'dir@x.io', viewer }, WINDOWS)
      expect(batched).toEqual(expected)
      // 4 orgs-and-starts instead of 6 windows: every family once per group
      expect(perWindow % 6).toBe(0)
      expect(familyQueries).toBe((perWindow / 6) * 4)
      // the figures the comparison rests on (reorg.test.ts): Gamma's people-based figures withheld for privacy, Alpha's p50 before the re-org 20
      const before = batched[1]!.ok ? batched[1]!.value : null
      const gamma = before?.teams.find((t) => t.name === 'Gamma')
      expect(
        Object.values(gamma?.withheld ?? {}).filter((r) => r.startsWith('withheld: group of 2 people'))
          .length,
      ).toBeGreaterThan(0)
      expect(before?.teams.find((t) => t.name === 'Alpha')?.metrics.decision_latency_p50_hours).toBe(20)
    })

  it('gives the errors computeOrgMetrics gives: not_found before the director led an org, a bad window', async () => {
    const windows = [
      { from: '2026-07-01', to: '2026-08-12' },
      { from: '2026-09-15', to: '2026-10-01' },
      { from: '2026-10-01', to: '2026-09-01' },
    ]
    const batched = await orgMetricsForWindows(client, config, { director: 'm4@x.io' }, windows)
    const expected = []
    for (const w of windows) expected.push(await single('m4@x.io', w))
    expect(batched.map((r) => r.ok)).toEqual([false, true, false])
    expect(batched.map((r) => (r.ok ? r.value : String(r.error)))).toEqual(
      expected.map((r) => (r.ok ? r.value : String(r.error))),
    )
  })

  it('keeps figures in a cache while the data is unchanged, and forgets them when a fact is written', async () => {
    const cache = new OrgMetricsCache()
    const w = [{ from: '2026-08-12T00:00:00.000Z', to: '2026-09-23T00:00:00.000Z' }]
    const first = await orgMetricsForWindows(client, config, { director: 'dir@x.io' }, w, cache)
    familyQueries = 0
    const again = await orgMetricsForWindows(client, config, { director: 'dir@x.io' }, w, cache)
    expect(familyQueries).toBe(0)
    expect(again).toEqual(first)
    // a fourth decision for Beta after the re-org: 40 50 + 60 → p50 50, n 3
    await write([decision('A6', 'b2@x.io', '2026-08-25T09:00:00Z', 'm2@x.io', 60)])
    const after = await orgMetricsForWindows(client, config, { director: 'dir@x.io' }, w, cache)
    expect(familyQueries).toBeGreaterThan(0)
    expect(after).toEqual([await single('dir@x.io', w[0]!)])
    const beta = (r: (typeof after)[number]) =>
      r.ok ? r.value.teams.find((t) => t.name === 'Beta') : undefined
    expect(beta(first[0]!)?.samples.decision_latency_p50_hours).toBe(2)
    expect(beta(after[0]!)?.samples.decision_latency_p50_hours).toBe(3)
    expect(beta(after[0]!)?.metrics.decision_latency_p50_hours).toBe(50)
  })
})
