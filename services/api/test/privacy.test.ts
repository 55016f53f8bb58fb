import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import { configSchema, eventId, type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import { computeOrgMetrics, type OrgMetricsResult, refreshRollups } from '@orgpulse/metrics'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from '../src/auth/tokens.ts'
import { app, bearer, freshClickHouse, importFixtureOrg } from './helpers.ts'

/*
 * Issue 17 item 5 on the fixture org (helpers.ts), one week [2026-03-02, 2026-03-09), every
 * calendar synced. Meeting hours that week:
 *   dir: a 3 h escalation meeting (alone)        → 3 h, director_escalation 3
 *   m1:  a 2 h escalation meeting + the team sync → 3 h, director_escalation 2
 *   a1..a5, m2 b1 b2, m3 c1 c2 c3: a 1 h team sync each → 1 h; ceo, dir2: nothing → 0 h
 * Hand-computed: dir's org (10 people) = (3 + 3 + 5 + 3) / 10 = 1.4; team m1 (6) = 8 / 6;
 * team m2 (3) = 1 (withheld at minGroupSize 5). Without complementary suppression:
 *   minGroupSize 5: org × 10 − m1 × 6 = 14 − 8 = 6 = the combined hours of m2's team and dir,
 *     4 people, under the threshold;
 *   minGroupSize 3: org × 10 − m1 × 6 − m2 × 3 = 14 − 8 − 3 = 3 = dir's own meeting load.
 */
const FROM = '2026-03-02'
const TO = '2026-03-09'
const TEAM = {
  'u:m1@x.io': ['m1', 'a1', 'a2', 'a3', 'a4', 'a5'],
  'u:m2@x.io': ['m2', 'b1', 'b2'],
  'u:m3@x.io': ['m3', 'c1', 'c2', 'c3'],
}
const PEOPLE_IN: Record<string, string[]> = {
  ...TEAM,
  'u:dir@x.io': ['dir', ...TEAM['u:m1@x.io'], ...TEAM['u:m2@x.io']],
  'u:dir2@x.io': ['dir2', ...TEAM['u:m3@x.io']],
}
PEOPLE_IN['u:ceo@x.io'] = ['ceo', ...PEOPLE_IN['u:dir@x.io']!, ...PEOPLE_IN['u:dir2@x.io']!]
const EVERYONE = PEOPLE_IN['u:ceo@x.io']!
const LEADERS = ['ceo', 'dir', 'dir2', 'm1', 'm2', 'm3'].map((p) => `${p}@x.io`)
const METRIC = 'meeting_hours_per_person_week'

let client: ClickHouseClient
let api: FastifyInstance
const tokens: Record<'dir' | 'm1' | 'ceo' | 'admin', string> = { dir: '', m1: '', ceo: '', admin: '' }

const meeting = (
  key: string,
  start: string,
  hours: number,
  cls: string,
  organizer: string,
  people: string[],
) => ({
  id: eventId('calendar', key, '1'),
  source: 'calendar',
  source_id: key,
  meeting_id: key,
  start: toClickHouseTime(start),
  end: toClickHouseTime(new Date(new Date(start).getTime() + hours * 3_600_000)),
  all_day: 0,
  cancelled: 0,
  class: cls,
  ritual: '',
  organizer: `${organizer}@x.io`,
  attendees: people.map((p) => `${p}@x.io`),
  responses: people.map(() => 'accepted'),
  external_attendees: 0,
  occurred_at: toClickHouseTime(start),
  version: 1,
})

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  const insert = (table: string, values: Record<string, unknown>[]) =>
    client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
  await insert('meetings', [
    meeting('esc-dir', '2026-03-03T10:00:00Z', 3, 'escalation', 'dir', ['dir']),
    meeting('esc-m1', '2026-03-04T10:00:00Z', 2, 'escalation', 'm1', ['m1']),
    meeting('sync-m1', '2026-03-05T10:00:00Z', 1, 'team', 'm1', TEAM['u:m1@x.io']),
    meeting('sync-m2', '2026-03-05T10:00:00Z', 1, 'team', 'm2', TEAM['u:m2@x.io']),
    meeting('sync-m3', '2026-03-05T10:00:00Z', 1, 'team', 'm3', TEAM['u:m3@x.io']),
  ])
  await insert(
    'source_coverage',
    EVERYONE.map((p) => ({
      id: eventId('calendar', `synced:calendar:${p}@x.io`, 'full'),
      source: 'calendar',
      source_id: `calendar:${p}@x.io`,
      scope_kind: 'calendar',
      scope_id: `${p}@x.io`,
      mode: 'full',
      covered_from: '2026-01-01 00:00:00.000',
      covered_to: '2026-06-01 00:00:00.000',
      teams: [],
      occurred_at: '2026-06-01 00:00:00.000',
      version: 1,
    })),
  )
  api = await app(client)
  tokens.dir = (await createToken(client, { scope: 'org', org: 'dir@x.io' })).token
  tokens.m1 = (await createToken(client, { scope: 'org', org: 'm1@x.io' })).token
  tokens.ceo = (await createToken(client, { scope: 'org', org: 'ceo@x.io' })).token
  tokens.admin = (await createToken(client, { scope: 'admin' })).token
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

const get = async (url: string, token: string): Promise<OrgMetricsResult> => {
  const res = await api.inject({ method: 'GET', url, headers: bearer(token) })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as OrgMetricsResult
}

/** Σ over the scope's people of their hours = value × covered people: one linear equation per published value. */
type Equation = { scope: string; total: number }

function equationsOf(r: OrgMetricsResult): Equation[] {
  const out: Equation[] = []
  const add = (scope: string, v: number | null | undefined, covered: number) => {
    if (v !== null && v !== undefined) out.push({ scope, total: v * covered })
  }
  add(`u:${r.org}`, r.metrics[METRIC], r.coverage.calendar.covered)
  for (const t of r.teams) add(t.id, t.metrics[METRIC], t.coverage.calendar.covered)
  for (const w of r.series ?? []) add(`u:${r.org}`, w.metrics[METRIC], w.coverage.calendar.covered)
  return out
}

async function rollupEquations(cfg: OrgpulseConfig): Promise<Equation[]> {
  await refreshRollups(client, cfg, { from: new Date(FROM), to: new Date(TO) })
  const rows = await queryRows<{ scope: string; value: number | null; covered: number | null }>(
    client,
    `SELECT scope, value, coverage_covered AS covered FROM metric_rollups FINAL
     WHERE metric = {metric:String} AND period_start = {from:DateTime64(3)}`,
    { metric: METRIC, from: toClickHouseTime(FROM) },
  )
  return rows
    .filter((r) => r.value !== null)
    .map((r) => ({ scope: r.scope, total: Number(r.value) * Number(r.covered) }))
}

/**
 * Whether the combined hours of `group` follow from the published equations: true when the
 * group's indicator vector lies in the span of the published scopes' indicator vectors.
 */
function derivable(equations: Equation[], group: string[]): boolean {
  const index = new Map(EVERYONE.map((p, i) => [p, i]))
  const vec = (people: string[]) => {
    const v = new Array<number>(EVERYONE.length).fill(0)
    for (const p of people) v[index.get(p)!] = 1
    return v
  }
  const rank = (rows: number[][]): number => {
    const m = rows.map((r) => [...r])
    let r = 0
    for (let c = 0; c < EVERYONE.length && r < m.length; c++) {
      const p = m.findIndex((row, i) => i >= r && Math.abs(row[c]!) > 1e-9)
      if (p < 0) continue
      ;[m[r], m[p]] = [m[p]!, m[r]!]
      for (let i = 0; i < m.length; i++) {
        if (i === r) continue
        const f = m[i]![c]! / m[r]![c]!
        if (f !== 0) m[i] = m[i]!.map((x, j) => x - f * m[r]![j]!)
      }
      r++
    }
    return r
  }
  const rows = [...new Set(equations.map((e) => e.scope))].map((s) => vec(PEOPLE_IN[s]!.map((p) => p)))
  return rank([...rows, vec(group)]) === rank(rows)
}

/** every view an org leader or admin can get: each leader's org (weekly too) and the rollups */
async function everyOutput(
  cfg: OrgpulseConfig,
): Promise<{ equations: Equation[]; views: OrgMetricsResult[] }> {
  const views: OrgMetricsResult[] = []
  for (const director of LEADERS)
    views.push(await computeOrgMetrics(client, cfg, { director, from: FROM, to: TO, grain: 'week' }))
  return { views, equations: [...views.flatMap(equationsOf), ...(await rollupEquations(cfg))] }
}

describe('complementary suppression (issue 17 item 5)', () => {
  it('minGroupSize 5: no published value gives the combined hours of team m2 and dir (4 people)', async () => {
    // the leak this prevents: the org and team m1 alone give m2's team and dir together
    expect(
      derivable(
        [
          { scope: 'u:dir@x.io', total: 14 },
          { scope: 'u:m1@x.io', total: 8 },
        ],
        ['dir', ...TEAM['u:m2@x.io']],
      ),
    ).toBe(true)
    const cfg = configSchema.parse({})
    const { equations, views } = await everyOutput(cfg)
    const dir = views.find((v) => v.org === 'dir@x.io')!
    // the org's own value is still shown (hand-computed), its teams are withheld
    expect(dir.metrics[METRIC]).toBeCloseTo(1.4, 6)
    const m1 = dir.teams.find((t) => t.id === 'u:m1@x.io')!
    expect(m1.metrics[METRIC]).toBeNull()
    expect(m1.withheld[METRIC]).toMatch(/^withheld: complementary suppression/)
    expect(dir.teams.find((t) => t.id === 'u:m2@x.io')!.withheld[METRIC]).toMatch(
      /^withheld: group of 3 people/,
    )
    // the same through the api with the director's token
    const viaApi = await get(`/v1/orgs/dir@x.io/metrics?from=${FROM}&to=${TO}`, tokens.dir)
    expect(viaApi.teams.map((t) => t.metrics[METRIC])).toEqual([null, null])
    expect(viaApi.metrics[METRIC]).toBeCloseTo(1.4, 6)
    equations.push(...equationsOf(viaApi))
    // 14 − 8 = 6 would be m2's team + dir: not derivable; nor dir alone, nor any residual leader
    expect(derivable(equations, ['dir', ...TEAM['u:m2@x.io']])).toBe(false)
    for (const alone of ['dir', 'ceo', 'dir2', 'm2', 'm3'])
      expect(derivable(equations, [alone]), alone).toBe(false)
    expect(derivable(equations, TEAM['u:m2@x.io'])).toBe(false)
    expect(derivable(equations, TEAM['u:m3@x.io'])).toBe(false)
  })

  it("minGroupSize 3: no published value gives the director's own meeting load (3 h)", async () => {
    // the leak this prevents: the org and both teams give dir's own hours
    const unsuppressed = [
      { scope: 'u:dir@x.io', total: 14 },
      { scope: 'u:m1@x.io', total: 8 },
      { scope: 'u:m2@x.io', total: 3 },
    ]
    expect(derivable(unsuppressed, ['dir'])).toBe(true)
    const cfg = configSchema.parse({ privacy: { minGroupSize: 3 } })
    const { equations, views } = await everyOutput(cfg)
    const dir = views.find((v) => v.org === 'dir@x.io')!
    expect(dir.metrics[METRIC]).toBeCloseTo(1.4, 6)
    // the smallest team is withheld in the director's place; the larger one stays shown
    expect(dir.teams.find((t) => t.id === 'u:m1@x.io')!.metrics[METRIC]).toBeCloseTo(8 / 6, 6)
    expect(dir.teams.find((t) => t.id === 'u:m2@x.io')!.withheld[METRIC]).toMatch(/complementary suppression/)
    expect(derivable(equations, ['dir'])).toBe(false)
    for (const alone of ['ceo', 'dir2', 'm1', 'm2', 'm3'])
      expect(derivable(equations, [alone]), alone).toBe(false)
    // the checker itself: m1's team is published, so it is derivable
    expect(derivable(equations, TEAM['u:m1@x.io'])).toBe(true)
  })
})

describe('a metric about one person (director_escalation_meeting_hours_week)', () => {
  const ESC = 'director_escalation_meeting_hours_week'
  const url = (org: string) => `/v1/orgs/${org}/metrics?from=${FROM}&to=${TO}&grain=week`

  it("is shown to the director's own token and to admins", async () => {
    const own = await get(url('dir@x.io'), tokens.dir)
    expect(own.metrics[ESC]).toBe(3)
    expect(own.series?.[0]?.metrics[ESC]).toBe(3)
    expect((await get(url('m1@x.io'), tokens.m1)).metrics[ESC]).toBe(2)
    const admin = await get(url('dir@x.io'), tokens.admin)
    expect(admin.metrics[ESC]).toBe(3)
    expect(admin.teams.find((t) => t.id === 'u:m1@x.io')!.metrics[ESC]).toBe(2)
  })

  it('a parent org token sees it withheld with reason individual, in teams, team routes and series', async () => {
    const dir = await get(url('dir@x.io'), tokens.dir)
    const m1 = dir.teams.find((t) => t.id === 'u:m1@x.io')!
    expect(m1.metrics[ESC]).toBeNull()
    expect(m1.withheld[ESC]).toMatch(/^individual: /)
    const team = await get(
      `/v1/orgs/dir@x.io/teams/m1@x.io/metrics?from=${FROM}&to=${TO}&grain=week`,
      tokens.dir,
    )
    expect(team.metrics[ESC]).toBeNull()
    expect(team.withheld[ESC]).toMatch(/^individual: /)
    expect(team.series?.[0]?.withheld[ESC]).toMatch(/^individual: /)
    const ceo = await get(url('dir@x.io'), tokens.ceo)
    expect(ceo.metrics[ESC]).toBeNull()
    expect(ceo.withheld[ESC]).toMatch(/^individual: /)
  })

  it('the rollups Grafana and the pages read never hold it', async () => {
    await refreshRollups(client, configSchema.parse({}), { from: new Date(FROM), to: new Date(TO) })
    const rows = await queryRows<{ scope: string; value: number | null; withheld: string }>(
      client,
      `SELECT scope, value, withheld FROM metric_rollups FINAL WHERE metric = {metric:String}`,
      { metric: ESC },
    )
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) {
      expect(r.value).toBeNull()
      expect(r.withheld).toMatch(/^individual: /)
    }
  })
})
