import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime, unitIdFor } from '@orgpulse/contracts'
import { FAMILIES, METRICS, valueWithoutRows } from './catalog.ts'
import { SNAPSHOTS_CTE, snapFor } from './sql.ts'
import type { MetricDef, MetricFamilyId, MetricValues } from './types.ts'

export class MetricsQueryError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}

export interface Window {
  from: string
  to: string
}

/** Parses a CLI/API date (YYYY-MM-DD = midnight UTC, or an ISO instant) to a Date. */
export function parseBound(value: string, name: string): Date {
  const v = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value
  const d = new Date(v)
  if (Number.isNaN(d.getTime()))
    throw new MetricsQueryError(`${name} is not a date: "${value}" (use YYYY-MM-DD)`)
  return d
}

/**
 * The longest window one metrics request may ask for: two years (731 days, a leap day included),
 * so a weekly series has at most 105 weeks. A metrics query scans every fact in its window for
 * every team, and a weekly series evaluates each week: a 230-year weekly request ran 11 s and took
 * 0.5 GB while other directors waited. The CLI, the api and the exports all go through
 * computeOrgMetrics, which enforces it (api: 400; CLI: exit 1, like other usage errors).
 */
export const MAX_WINDOW_DAYS = 731
export const MAX_SERIES_WEEKS = Math.ceil(MAX_WINDOW_DAYS / 7)

/** throws a MetricsQueryError (400) when [from, to) is longer than MAX_WINDOW_DAYS */
export function assertWindowWithinLimit(from: Date, to: Date, raw: { from: string; to: string }): void {
  const days = (to.getTime() - from.getTime()) / 86_400_000
  if (days > MAX_WINDOW_DAYS)
    throw new MetricsQueryError(
      `the window ${raw.from} → ${raw.to} spans ${Math.ceil(days)} days; one request covers at most ${MAX_WINDOW_DAYS} days (2 years, ${MAX_SERIES_WEEKS} weeks with --grain week): ask for shorter windows`,
    )
}

const echoBound = (raw: string, parsed: Date): string =>
  /^\d{4}-\d{2}-\d{2}$/.test(raw.trim()) ? raw.trim() : parsed.toISOString()

/** Splits [from, to) into weeks starting at `from`; the last one may be shorter. */
export function weekWindows(from: Date, to: Date): { from: Date; to: Date }[] {
  const out: { from: Date; to: Date }[] = []
  for (let t = from.getTime(); t < to.getTime(); t += 7 * 86400000) {
    out.push({ from: new Date(t), to: new Date(Math.min(t + 7 * 86400000, to.getTime())) })
  }
  return out
}

/**
 * Evaluates metrics for scopes over windows, one query per family: the family's base rows
 * grouped by (scope, window) with each metric's expression. Returns scope → window-from → values.
 */
export async function evaluate(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  scopes: string[],
  windows: { from: Date; to: Date }[],
  metrics: readonly MetricDef[] = METRICS,
): Promise<Map<string, Map<string, MetricValues>>> {
  const result = new Map<string, Map<string, MetricValues>>()
  const params = {
    scopes,
    w_froms: windows.map((w) => toClickHouseTime(w.from)),
    w_tos: windows.map((w) => toClickHouseTime(w.to)),
  }
  const byFamily = new Map<MetricFamilyId, MetricDef[]>()
  for (const m of metrics) byFamily.set(m.family, [...(byFamily.get(m.family) ?? []), m])
  // families are independent queries: a ClickHouse server runs them in parallel
  await Promise.all(
    [...byFamily].map(async ([familyId, defs]) => {
      const family = FAMILIES[familyId]
      const select = defs.map((d) => `${d.expr} AS ${d.id}`).join(',\n  ')
      const query = `SELECT scope, toString(w_from) AS w_from_key,\n  ${select}\nFROM (${family.base}) GROUP BY scope, w_from`
      const rows = await queryRows<Record<string, unknown>>(client, query, {
        ...params,
        ...(family.params?.(config) ?? {}),
      })
      for (const row of rows) {
        const scope = String(row.scope)
        const key = String(row.w_from_key)
        const perScope = result.get(scope) ?? new Map<string, MetricValues>()
        result.set(scope, perScope)
        const values = perScope.get(key) ?? {}
        for (const d of defs) values[d.id] = toNumber(row[d.id])
        perScope.set(key, values)
      }
    }),
  )
  return result
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null
  const n = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(n) ? round(n) : null
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6

export interface OrgMetricsRequest {
  director: string
  from: string
  to: string
  grain?: string
}

export interface ScopeMetrics {
  metrics: MetricValues
  /** metric id → why it is null (privacy threshold, no data) */
  withheld: Record<string, string>
  people: number
}

export interface OrgMetricsResult {
  org: string
  from: string
  to: string
  metrics: MetricValues
  withheld: Record<string, string>
  people: number
  teams: {
    id: string
    name: string
    manager: string
    people: number
    metrics: MetricValues
    withheld: Record<string, string>
  }[]
  series?: { from: string; to: string; metrics: MetricValues; withheld: Record<string, string> }[]
}

interface UnitRow {
  unit_id: string
  name: string
  manager_id: string
  depth: number
  people: number
}

/** The director's unit and the units below it, with headcounts, in the org valid at the end of the window. */
export async function unitsUnder(client: ClickHouseClient, director: string, at: Date): Promise<UnitRow[]> {
  return queryRows<UnitRow>(
    client,
    `WITH ${SNAPSHOTS_CTE}, (SELECT list FROM snaps) AS snap_list, ${snapFor('{at:DateTime64(3)}')} AS snap,
     subtree AS (SELECT unit_id, depth FROM org_closure WHERE effective = snap AND ancestor_id = {root:String}),
     headcount AS (
       SELECT pc.ancestor_id AS unit_id, count() AS people
       FROM org_people AS p
       INNER JOIN org_closure AS pc ON pc.effective = p.effective AND pc.unit_id = p.home_unit
       WHERE p.effective = snap AND pc.ancestor_id IN (SELECT unit_id FROM subtree)
       GROUP BY pc.ancestor_id
     )
     SELECT u.unit_id AS unit_id, u.name AS name, u.manager_id AS manager_id, t.depth AS depth, h.people AS people
     FROM subtree AS t
     INNER JOIN org_units AS u ON u.unit_id = t.unit_id AND u.effective = snap
     LEFT JOIN headcount AS h ON h.unit_id = t.unit_id
     ORDER BY t.depth, u.name`,
    { at: toClickHouseTime(new Date(at.getTime() - 1)), root: unitIdFor(director) },
  )
}

function applyPrivacy(values: MetricValues, people: number, minGroupSize: number): ScopeMetrics {
  const metrics: MetricValues = {}
  const withheld: Record<string, string> = {}
  for (const m of METRICS) {
    const v = m.id in values ? (values[m.id] ?? null) : valueWithoutRows(m)
    if (m.peopleBased && people < minGroupSize) {
      metrics[m.id] = null
      withheld[m.id] = `withheld: group of ${people} people is below privacy.minGroupSize ${minGroupSize}`
    } else {
      metrics[m.id] = v
      if (v === null) withheld[m.id] = 'no data in the window'
    }
  }
  return { metrics, withheld, people }
}

/** `orgpulse metrics` / `GET /v1/orgs/{director}/metrics`: the org, each team in it, optionally weekly. */
export async function computeOrgMetrics(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  request: OrgMetricsRequest,
): Promise<OrgMetricsResult> {
  const director = request.director.trim().toLowerCase()
  const from = parseBound(request.from, 'from')
  const to = parseBound(request.to, 'to')
  if (to <= from) throw new MetricsQueryError(`to (${request.to}) must be after from (${request.from})`)
  assertWindowWithinLimit(from, to, request)
  if (request.grain && request.grain !== 'week')
    throw new MetricsQueryError(`grain must be "week" (got "${request.grain}")`)
  const units = await unitsUnder(client, director, to)
  if (units.length === 0) {
    throw new MetricsQueryError(
      `no org led by ${director}: not a manager in the org chart (import one with \`orgpulse org import\`)`,
      404,
    )
  }
  const root = unitIdFor(director)
  const minGroup = config.privacy.minGroupSize
  const scopes = units.map((u) => u.unit_id)
  const whole = await evaluate(client, config, scopes, [{ from, to }])
  const key = toClickHouseTime(from)
  const valuesFor = (scope: string): MetricValues => whole.get(scope)?.get(key) ?? {}
  const rootUnit = units.find((u) => u.unit_id === root)!
  const org = applyPrivacy(valuesFor(root), rootUnit.people, minGroup)
  const result: OrgMetricsResult = {
    org: director,
    // echo dates as the caller wrote them (YYYY-MM-DD), instants as ISO-8601 UTC
    from: echoBound(request.from, from),
    to: echoBound(request.to, to),
    metrics: org.metrics,
    withheld: org.withheld,
    people: org.people,
    teams: units
      .filter((u) => u.unit_id !== root)
      .map((u) => {
        const s = applyPrivacy(valuesFor(u.unit_id), u.people, minGroup)
        return {
          id: u.unit_id,
          name: u.name,
          manager: u.manager_id,
          people: u.people,
          metrics: s.metrics,
          withheld: s.withheld,
        }
      }),
  }
  if (request.grain === 'week') {
    const weeks = weekWindows(from, to)
    const series = await evaluate(client, config, [root], weeks)
    result.series = weeks.map((w) => {
      const s = applyPrivacy(series.get(root)?.get(toClickHouseTime(w.from)) ?? {}, rootUnit.people, minGroup)
      return { from: w.from.toISOString(), to: w.to.toISOString(), metrics: s.metrics, withheld: s.withheld }
    })
  }
  return result
}
