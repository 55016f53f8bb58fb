import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import { configSchema } from '@orgpulse/contracts'
import { ALERT_RULES, alertQuery, computeOrgMetrics } from '@orgpulse/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshClickHouse, importCsv, ingestDecisions } from '../../packages/metrics/test/helpers.ts'
import { type AlertCheckResult, checkAlerts } from '../src/alerts-check.ts'
import { expandQuery } from '../src/expand.ts'

/*
 * Hand-computed (written before the code). Evaluated Wednesday 2026-12-02 10:00 UTC: the last
 * complete week ends E = Monday 2026-11-30; the 4-week window is [11-02, 11-30), the escalation
 * baseline [08-10, 11-02).
 *   ceo ─┬─ dir ─┬─ m1 ── a1, a2
 *        │       └─ m2 ── b1
 *        └─ dir2 ── m3 ── c1
 * dir's decisions in the window (raised, called a day later):
 *   week 11-02: X1 a1 → dir                      centralisation that week 1/1
 *   week 11-09: X2 a1 → m1, X3 a2 → m1 (escalated explicitly to dir), X4 b1 → m2      0/3
 *   week 11-16: X5 b1 → dir                                                          1/1
 *   week 11-23: X6 a2 → dir, X7 a1 → m1, X8 b1 → m2                                  1/3
 * Pooled centralisation 3/8 = 0.375; the mean of the weekly ratios (1 + 0 + 1 + 1/3) / 4 =
 * 0.583333 (what the alert judged before): with centralizationMax 0.45 the mean fired, the pooled
 * value does not. Escalated: X1 X3 X5 X6 → 4/8 = 0.5; baseline B1..B4, B4 decided by dir → 1/4 =
 * 0.25; factor 2 > 1.5: fires. dir2's one decision (Y1 c1 → dir2) is too few for a ratio (n = 1).
 * The CEO's org: 9 decisions, none by the CEO (centralisation 0), escalated 5/9 against 1/4.
 */
const ORG = `email,name,manager_email,title
ceo@x.io,Cleo,,CEO
dir@x.io,Dana,ceo@x.io,Director
dir2@x.io,Dev,ceo@x.io,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
m3@x.io,Moe,dir2@x.io,EM
a1@x.io,Ann,m1@x.io,Engineer
a2@x.io,Abe,m1@x.io,Engineer
b1@x.io,Bea,m2@x.io,Engineer
c1@x.io,Cy,m3@x.io,Engineer
`
const config = configSchema.parse({ alerts: { centralizationMax: 0.45 } })
const AT = new Date('2026-12-02T10:00:00Z')

let client: ClickHouseClient
let result: AlertCheckResult

const decided = (id: string, raisedBy: string, day: string, decidedBy: string, extra = {}) => ({
  id,
  title: id,
  raisedBy,
  raisedAt: `${day}T09:00:00Z`,
  status: 'decided' as const,
  decidedBy,
  decidedAt: new Date(Date.parse(`${day}T09:00:00Z`) + 86400000).toISOString(),
  ...extra,
})

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importCsv(client, ch.dir, 'org.csv', ORG, '2026-01-01')
  await ingestDecisions(client, [
    decided('B1', 'a1@x.io', '2026-09-01', 'm1@x.io'),
    decided('B2', 'a2@x.io', '2026-09-08', 'm1@x.io'),
    decided('B3', 'b1@x.io', '2026-09-15', 'm2@x.io'),
    decided('B4', 'b1@x.io', '2026-09-22', 'dir@x.io'),
    decided('X1', 'a1@x.io', '2026-11-03', 'dir@x.io'),
    decided('X2', 'a1@x.io', '2026-11-10', 'm1@x.io'),
    decided('X3', 'a2@x.io', '2026-11-10', 'm1@x.io', {
      escalatedTo: ['dir@x.io'],
      escalatedAt: '2026-11-10T12:00:00Z',
    }),
    decided('X4', 'b1@x.io', '2026-11-10', 'm2@x.io'),
    decided('X5', 'b1@x.io', '2026-11-17', 'dir@x.io'),
    decided('X6', 'a2@x.io', '2026-11-24', 'dir@x.io'),
    decided('X7', 'a1@x.io', '2026-11-24', 'm1@x.io'),
    decided('X8', 'b1@x.io', '2026-11-24', 'm2@x.io'),
    decided('Y1', 'c1@x.io', '2026-11-10', 'dir2@x.io'),
  ])
  result = await checkAlerts(client, config, { at: AT })
}, 120_000)

afterAll(async () => {
  await client?.close()
})

const evaluation = (rule: string, org: string) =>
  result.rules.find((r) => r.id === rule)!.orgs.find((o) => o.org === org)!

describe('alert windows are pooled, and equal `orgpulse metrics` over the same window', () => {
  it('centralisation over the 4 weeks is 3/8, not the mean of the weekly ratios', async () => {
    const e = evaluation('decisions_centralising', 'dir@x.io')
    expect(e.value).toBe(0.375)
    expect(e.sample).toBe(8)
    expect(e.status).toBe('ok')
    expect(e.window).toEqual({ from: '2026-11-02T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' })
    const cli = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-11-02',
      to: '2026-11-30',
    })
    expect(cli.metrics.centralization).toBe(e.value)
    expect(cli.samples.centralization).toBe(e.sample)
    // the weekly values the old mean was taken over: 1, 0, 1, 1/3 → 0.583 > 0.45 would have fired
    const weekly = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-11-02',
      to: '2026-11-30',
      grain: 'week',
    })
    expect(weekly.series!.map((w) => w.samples.centralization)).toEqual([1, 3, 1, 3])
  })

  it('the escalation baseline rule: current and baseline each pooled, the factor their ratio', async () => {
    const e = evaluation('escalation_above_baseline', 'dir@x.io')
    expect([e.current, e.baseline, e.value, e.status]).toEqual([0.5, 0.25, 2, 'firing'])
    expect(e.baselineWindow).toEqual({ from: '2026-08-10T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' })
    expect([e.sample, e.baselineSample]).toEqual([8, 4])
    const baseline = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-08-10',
      to: '2026-11-02',
    })
    expect(baseline.metrics.escalation_rate).toBe(e.baseline)
  })

  it('a value on too few decisions is reported as too few, never judged', () => {
    const e = evaluation('decisions_centralising', 'dir2@x.io')
    expect(e.status).toBe('too_few')
    expect(e.value).toBeNull()
    expect(e.sample).toBe(1)
    expect(e.reason).toBe('too_few: n = 1 decisions decided that the leader did not raise (minimum 3)')
  })

  it('says what it evaluated: every rule over the three directors’ orgs', () => {
    expect(result.windowEnd).toBe('2026-11-30T00:00:00.000Z')
    expect(result.orgs).toBe(3)
    expect(Object.values(result.evaluated)).toEqual(ALERT_RULES.map(() => 3))
    // the CEO's org holds dir2's Y1 too (c1 → dir2, above c1's home m3): 5/9 against 1/4
    expect(result.firing.map((f) => [f.rule, f.org])).toEqual([
      ['escalation_above_baseline', 'ceo@x.io'],
      ['escalation_above_baseline', 'dir@x.io'],
    ])
    expect(evaluation('escalation_above_baseline', 'ceo@x.io').current).toBe(0.555556)
    // no tracker synced: the blocker rule has no data for anyone
    expect(result.rules.find((r) => r.id === 'cross_team_blockers_stale')!.orgs.map((o) => o.status)).toEqual(
      ['no_data', 'no_data', 'no_data'],
    )
  })

  it("Grafana's rule query gives the same value, and leaves out what is not judged", async () => {
    const rule = ALERT_RULES.find((r) => r.id === 'decisions_centralising')!
    const rows = await queryRows<{ director: string; value: number }>(
      client,
      expandQuery(alertQuery(rule), { from: new Date(AT.getTime() - 28 * 86400000), to: AT, alert: true }),
    )
    expect(rows.map((r) => [r.director, Number(r.value)])).toEqual([
      ['ceo@x.io', 0],
      ['dir@x.io', 0.375],
    ])
  })
})
