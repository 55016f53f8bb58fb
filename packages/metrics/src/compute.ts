import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import {
  instantInRange,
  type OrgpulseConfig,
  OrgpulseError,
  OUT_OF_RANGE_INSTANT,
  parseStrictDate,
  toClickHouseTime,
  unitIdFor,
} from '@orgpulse/contracts'
import { FAMILIES, METRICS, TRACKER_COVERAGE, valueWithoutRows } from './catalog.ts'
import { MEETING_SHAPES, meetingsShapeFamily } from './families/meetings.ts'
import {
  BOUND_SCOPE_IDENTITIES_CTE,
  SCOPE_IDENTITIES_CTE,
  SCOPE_IDENTITIES_SQL,
  SNAPSHOTS_CTE,
  snapFor,
} from './sql.ts'
import {
  ADMIN_VIEWER,
  applyIndividual,
  SUPPRESSIBLE,
  suppressComplementary,
  type Viewer,
} from './suppression.ts'
import type { Coverage, Family, MetricDef, MetricFamilyId, MetricValues, ScopeMetrics } from './types.ts'

export class MetricsQueryError extends OrgpulseError {
  constructor(message: string, kind: 'invalid_input' | 'not_found' = 'invalid_input') {
    super(kind, message)
  }
}

export interface Window {
  from: string
  to: string
}

/**
 * Parses a CLI/API date with the one strict parser (@orgpulse/contracts `parseStrictDate`):
 * YYYY-MM-DD is midnight UTC and must be a calendar day, an instant needs its offset.
 */
export function parseBound(value: string, name: string): Date {
  try {
    return parseStrictDate(value, name)
  } catch (err) {
    throw new MetricsQueryError((err as Error).message)
  }
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
  if (scopes.length === 0 || windows.length === 0) return result
  const params: Record<string, unknown> = windowParams(scopes, windows)
  const byFamily = new Map<MetricFamilyId, MetricDef[]>()
  for (const m of metrics) byFamily.set(m.family, [...(byFamily.get(m.family) ?? []), m])
  const queries: { family: Family; defs: MetricDef[] }[] = [...byFamily].map(([familyId, defs]) => ({
    family: FAMILIES[familyId],
    defs,
  }))
  // tracker coverage: its own relation (a tracker synced with no links has no dependency rows)
  if (metrics.some((m) => m.requires === 'tracker')) queries.push({ family: TRACKER_COVERAGE, defs: [] })
  if (queries.some((q) => q.family.base.includes(SCOPE_IDENTITIES_CTE))) {
    const ids = await queryRows<{ identity: string }>(client, SCOPE_IDENTITIES_SQL, { scopes })
    // a whole company's identities stay in SQL: a bound list travels in the request (an HTTP
    // server takes parameters in the URL)
    if (ids.length <= MAX_BOUND_IDENTITIES) Object.assign(params, { scope_ids: ids.map((r) => r.identity) })
  }
  // families are independent queries: a ClickHouse server runs them in parallel
  await Promise.all(queries.map((q) => evaluateFamily(client, config, q.family, q.defs, params, result)))
  return result
}

/** Up to this many identities of the requested scopes are bound as a parameter (a director's org: a few hundred) */
const MAX_BOUND_IDENTITIES = 5000

/** One family's query: its base rows grouped by (scope, window), each def's expr and sample, and the family's extras, merged into `result`. */
async function evaluateFamily(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  family: Family,
  defs: readonly MetricDef[],
  params: Record<string, unknown>,
  result: Map<string, Map<string, MetricValues>>,
): Promise<void> {
  const extras = Object.entries(family.extras ?? {})
  const select = [
    ...defs.map((d) => `${d.expr} AS ${d.id}`),
    ...defs.map((d) => `${d.sample} AS ${sampleKey(d.id)}`),
    ...extras.map(([k, e]) => `${e} AS ${k}`),
  ].join(',\n  ')
  // the scopes' identities read once for every family of the request (evaluate)
  const base =
    'scope_ids' in params
      ? family.base.replace(SCOPE_IDENTITIES_CTE, BOUND_SCOPE_IDENTITIES_CTE)
      : family.base
  const query = `SELECT scope, toString(w_from) AS w_from_key,\n  ${select}\nFROM (${base}) GROUP BY scope, w_from`
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
    for (const d of defs) {
      values[d.id] = toNumber(row[d.id])
      values[sampleKey(d.id)] = toNumber(row[sampleKey(d.id)])
    }
    for (const [k] of extras) values[k] = toNumber(row[k])
    perScope.set(key, values)
  }
}

/**
 * What `suppressComplementary` reads of units that are judged but not published: for the
 * suppressible metrics among `metrics`, values that are null exactly when the real ones are
 * (MEETING_SHAPES), with their samples and the calendar coverage, from meetingsShapeFamily.
 * Null when some suppressible metric has no shape: the caller then evaluates it in full.
 */
async function evaluateShapes(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  scopes: string[],
  windows: { from: Date; to: Date }[],
  metrics: readonly MetricDef[],
): Promise<Map<string, Map<string, MetricValues>> | null> {
  const wanted = SUPPRESSIBLE.filter((m) => metrics.some((x) => x.id === m.id))
  if (wanted.some((m) => m.family !== 'meetings' || !MEETING_SHAPES[m.id])) return null
  // no suppressible metric asked for: suppression has nothing to decide, nothing to read
  if (wanted.length === 0 || scopes.length === 0) return new Map()
  const defs = wanted.map((m) => ({ ...m, ...MEETING_SHAPES[m.id]! }))
  const params = windowParams([...scopes].sort(), windows)
  const result = new Map<string, Map<string, MetricValues>>()
  // a whole company's weekly series is tens of megabytes: kept answers stay small
  if (scopes.length * windows.length > SHAPE_CACHE_MAX_VALUES) {
    await evaluateFamily(client, config, meetingsShapeFamily, defs, params, result)
    return result
  }
  const key = JSON.stringify([params, defs.map((d) => d.id), meetingsShapeFamily.params?.(config)])
  const cache = shapeCaches.get(client) ?? new Map<string, CachedShapes>()
  shapeCaches.set(client, cache)
  const [fingerprint] = await queryRows<{ fp: string }>(client, SHAPE_FINGERPRINT_SQL)
  const fp = fingerprint?.fp ?? ''
  const hit = cache.get(key)
  if (hit && hit.fp === fp) {
    // most recently used last: the first key is the one to evict
    cache.delete(key)
    cache.set(key, hit)
    return hit.values
  }
  await evaluateFamily(client, config, meetingsShapeFamily, defs, params, result)
  cache.delete(key)
  cache.set(key, { fp, values: result })
  while (cache.size > SHAPE_CACHE_ENTRIES) cache.delete(cache.keys().next().value!)
  return result
}

/**
 * The relations meetingsShapeFamily reads: the org (snapshots, people, units, closure), who is
 * who (identity_map) and calendar coverage (source_coverage); never a meeting. Their contents
 * change with an org import, an alias or a calendar sync, and between those every director's
 * request asks the same rest-of-tree question.
 */
const SHAPE_INPUTS = [
  'org_snapshots',
  'org_people',
  'org_units',
  'org_closure',
  'identity_map',
  'source_coverage',
]

/**
 * A content fingerprint of SHAPE_INPUTS (row count and a sum of row hashes per table, every
 * stored row version included): equal fingerprints mean equal contents, so a cached shape is
 * the one the query would return. A merge of row versions changes it too (a recomputation, never a
 * stale answer). A few tens of thousands of short rows: ~10 % of the shape query itself.
 */
const SHAPE_FINGERPRINT_SQL = `SELECT toString((${SHAPE_INPUTS.map((t) => `(SELECT (count(), sum(cityHash64(*))) FROM ${t})`).join(', ')})) AS fp`

interface CachedShapes {
  fp: string
  values: Map<string, Map<string, MetricValues>>
}

/**
 * Rest-of-tree shapes per client (one database each) and question (scopes, windows, metrics,
 * rituals), valid while SHAPE_FINGERPRINT_SQL is unchanged. Read-only once stored: `judge`
 * builds new figures from them.
 */
const shapeCaches = new WeakMap<ClickHouseClient, Map<string, CachedShapes>>()
const SHAPE_CACHE_ENTRIES = 16
/** (scope, window) pairs of the largest shape kept: one window over a 10,000-person company's ~2,000 units, a quarter of weeks over a few hundred */
const SHAPE_CACHE_MAX_VALUES = 5_000

const windowParams = (scopes: string[], windows: { from: Date; to: Date }[]) => ({
  scopes,
  w_froms: windows.map((w) => toClickHouseTime(w.from)),
  w_tos: windows.map((w) => toClickHouseTime(w.to)),
})

/** the key under which `evaluate` returns a metric's sample (an `_`-prefixed extra, like coverage) */
export const sampleKey = (id: string): string => `_n_${id}`

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
  /**
   * who the result is for (default admin: the CLI is the local operator); the api passes the
   * token's org, which decides whether individual metrics are shown
   */
  viewer?: Viewer
}

export type { Coverage, ScopeMetrics } from './types.ts'

export interface OrgMetricsResult {
  org: string
  from: string
  to: string
  metrics: MetricValues
  /** metric id → the n each value rests on (see ScopeMetrics.samples) */
  samples: MetricValues
  withheld: Record<string, string>
  people: number
  coverage: Coverage
  teams: {
    id: string
    name: string
    manager: string
    people: number
    metrics: MetricValues
    samples: MetricValues
    withheld: Record<string, string>
    coverage: Coverage
  }[]
  series?: {
    from: string
    to: string
    metrics: MetricValues
    samples: MetricValues
    withheld: Record<string, string>
    coverage: Coverage
  }[]
}

export interface UnitRow {
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

export interface ForestUnit {
  unit_id: string
  parent_id: string
  manager_id: string
  /** team (manager level 1), group (a director's unit, level 2) or org (3+) */
  kind: string
  people: number
}

/**
 * Every unit of the org valid at `at` with its parent and headcount (units with nobody in them
 * included): the partitions complementary suppression works on.
 */
export async function unitForest(client: ClickHouseClient, at: Date): Promise<ForestUnit[]> {
  const rows = await queryRows<ForestUnit>(
    client,
    `WITH ${SNAPSHOTS_CTE}, (SELECT list FROM snaps) AS snap_list, ${snapFor('{at:DateTime64(3)}')} AS snap,
     headcount AS (
       SELECT pc.ancestor_id AS unit_id, count() AS people
       FROM org_people AS p
       INNER JOIN org_closure AS pc ON pc.effective = p.effective AND pc.unit_id = p.home_unit
       WHERE p.effective = snap GROUP BY pc.ancestor_id
     )
     SELECT u.unit_id AS unit_id, u.parent_id AS parent_id, u.manager_id AS manager_id, u.kind AS kind,
       ifNull(h.people, 0) AS people
     FROM org_units AS u LEFT JOIN headcount AS h ON h.unit_id = u.unit_id
     WHERE u.effective = snap
     ORDER BY u.unit_id
     SETTINGS join_use_nulls = 1`,
    { at: toClickHouseTime(new Date(at.getTime() - 1)) },
  )
  return rows.map((r) => ({ ...r, people: Number(r.people) }))
}

/** The units of the tree `unit` belongs to: suppression must be decided over the whole tree, or an ancestor's view could reveal what this one withholds. */
export function treeOf(forest: ForestUnit[], unit: string): ForestUnit[] {
  const byId = new Map(forest.map((u) => [u.unit_id, u]))
  const top = (id: string): string => {
    const seen = new Set<string>()
    let cur = id
    while (true) {
      const p = byId.get(cur)?.parent_id ?? ''
      if (!p || !byId.has(p) || seen.has(p)) return cur
      seen.add(cur)
      cur = p
    }
  }
  const root = top(unit)
  return forest.filter((u) => top(u.unit_id) === root)
}

/**
 * Judges every unit of `tree` for each window and applies complementary suppression per window:
 * unit → window-from key → figures. Every output goes through this, so they all withhold the same.
 *
 * With `publish`, only those units' figures are returned, and only they are evaluated in full:
 * the rest of the tree is evaluated for what suppression reads of it (`evaluateShapes`: whether
 * each suppressible value is shown, and its weight), which withholds exactly what evaluating
 * every unit in full withholds (test: suppression-paths.test.ts). A unit's figures depend on its
 * own subtree and its parent's partition, and a director under the CEO shares its partition with
 * every other director, so the tree is still judged whole.
 */
export async function judgeTree(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  tree: ForestUnit[],
  windows: { from: Date; to: Date }[],
  /** evaluate only these (the others come out as over no rows): a caller that stores a few */
  metrics: readonly MetricDef[] = METRICS,
  /** the units whose figures the caller shows (default every unit of the tree) */
  publish?: ReadonlySet<string>,
): Promise<Map<string, Map<string, ScopeMetrics>>> {
  const published = publish ? tree.filter((u) => publish.has(u.unit_id)) : tree
  const rest = publish ? tree.filter((u) => !publish.has(u.unit_id)) : []
  const [full, shapes] = await Promise.all([
    evaluate(
      client,
      config,
      published.map((u) => u.unit_id),
      windows,
      metrics,
    ),
    evaluateShapes(
      client,
      config,
      rest.map((u) => u.unit_id),
      windows,
      metrics,
    ),
  ])
  // a suppressible metric without a shape: evaluate the rest in full, as without `publish`
  const restValues =
    shapes ??
    (await evaluate(
      client,
      config,
      rest.map((u) => u.unit_id),
      windows,
      metrics,
    ))
  const out = new Map<string, Map<string, ScopeMetrics>>()
  for (const w of windows) {
    const key = toClickHouseTime(w.from)
    const nodes = tree.map((u) => ({
      id: u.unit_id,
      parent: u.parent_id,
      judged: judge((full.get(u.unit_id) ?? restValues.get(u.unit_id))?.get(key) ?? {}, u.people, config),
    }))
    suppressComplementary(nodes, config)
    for (const n of nodes) {
      if (publish && !publish.has(n.id)) continue
      const per = out.get(n.id) ?? new Map<string, ScopeMetrics>()
      out.set(n.id, per)
      per.set(key, n.judged)
    }
  }
  return out
}

/** The coverage behind one scope's evaluated values (the `_`-prefixed extras of `evaluate`). */
export function coverageOf(values: MetricValues): Coverage {
  const covered = values._cal_covered ?? 0
  const people = values._cal_people ?? 0
  return {
    calendar: { covered, people, share: people > 0 ? Math.round((covered / people) * 1e6) / 1e6 : null },
    trackers: { synced: values._trackers ?? 0 },
  }
}

const pct = (share: number | null): string => `${Math.round((share ?? 0) * 1000) / 10}%`

/**
 * Why a metric of a scope must be null whatever its value, or null when it may be shown:
 * privacy first (people-based metrics of a group under privacy.minGroupSize), then the coverage
 * its sources need (DESIGN "No data is not zero").
 */
export function withheldReason(
  m: MetricDef,
  people: number,
  coverage: Coverage,
  values: MetricValues,
  config: OrgpulseConfig,
): string | null {
  const minGroupSize = config.privacy.minGroupSize
  if (m.peopleBased && people < minGroupSize)
    return `withheld: group of ${people} people is below privacy.minGroupSize ${minGroupSize}`
  const { covered, people: inGroup, share } = coverage.calendar
  if (m.requires === 'tracker' && coverage.trackers.synced === 0)
    return 'no_data: no Jira project or Linear team mapped to this group was synced over the window'
  if (m.requires === 'leader_calendar' && !values._leader_covered)
    return "no_data: the leader's own calendar is not synced for the window"
  if (m.requires === 'calendar') {
    if (covered === 0)
      return `no_data: no calendar synced for the window (0 of ${inGroup} people have their own calendar synced)`
    const minCoverage = config.calendar?.minCoverage ?? 0.8
    if (covered < minGroupSize || (share ?? 0) < minCoverage) {
      const why =
        covered < minGroupSize
          ? `fewer than privacy.minGroupSize ${minGroupSize}`
          : `below calendar.minCoverage ${minCoverage}`
      return `partial_coverage: ${covered} of ${inGroup} people (${pct(share)}, share ${share}) have their own calendar synced for the window, ${why}`
    }
  }
  return null
}

/**
 * `too_few: n = 2 decisions decided (minimum 3)`, or null when the sample is large enough. n = 0
 * is not "too few" but nothing: the value is then no data (or 0 for a count).
 */
export function tooFewReason(m: MetricDef, n: number): string | null {
  return n > 0 && n < m.minSample ? `too_few: n = ${n} ${m.sampleOf} (minimum ${m.minSample})` : null
}

/**
 * Privacy, coverage and the minimum sample applied to one scope's evaluated values: what every
 * output shows. Privacy and no-data reasons come first; a value that may be shown but rests on
 * fewer than the catalog's minSample is null with reason `too_few`. The sample is null exactly
 * when the value is withheld for privacy (it would count the hidden group).
 */
export function judge(values: MetricValues, people: number, config: OrgpulseConfig): ScopeMetrics {
  const metrics: MetricValues = {}
  const samples: MetricValues = {}
  const withheld: Record<string, string> = {}
  const coverage = coverageOf(values)
  for (const m of METRICS) {
    const v = m.id in values ? (values[m.id] ?? null) : valueWithoutRows(m)
    // no rows at all: nothing counted
    const n = values[sampleKey(m.id)] ?? 0
    const reason = withheldReason(m, people, coverage, values, config)
    samples[m.id] = reason?.startsWith('withheld:') ? null : n
    const tooFew = reason === null ? tooFewReason(m, n) : null
    if (reason !== null || tooFew !== null) {
      metrics[m.id] = null
      withheld[m.id] = (reason ?? tooFew)!
    } else {
      metrics[m.id] = v
      if (v === null) withheld[m.id] = 'no_data: no data in the window'
    }
  }
  return { metrics, samples, withheld, people, coverage }
}

/**
 * Up to this many units a tree is evaluated in full for one director's request: each query has a
 * fixed cost, and below a few dozen units the rest of the tree costs less than the shape query
 * (`judgeTree` with `publish`) that would stand in for it.
 */
export const SMALL_TREE_UNITS = 64

/**
 * The units `judgeTree` evaluates in full when `ids` are shown: a small tree is judged in full
 * (undefined), since the shape query would cost more than the units it spares.
 */
export const publishedUnits = (
  tree: readonly ForestUnit[],
  ids: readonly string[],
): Set<string> | undefined => (tree.length > SMALL_TREE_UNITS ? new Set(ids) : undefined)

/**
 * One window's OrgMetricsResult from its judged units (the director's unit `root` and the teams
 * directly below it): the one shape of the figures for the CLI, the api, the exports and the
 * review. Dates are echoed as the caller wrote them (YYYY-MM-DD), instants as ISO-8601 UTC.
 */
export function orgResult(
  director: string,
  raw: { from: string; to: string },
  bounds: { from: Date; to: Date },
  units: readonly UnitRow[],
  root: string,
  judged: (u: UnitRow) => ScopeMetrics,
): OrgMetricsResult {
  const org = judged(units.find((u) => u.unit_id === root)!)
  return {
    org: director,
    from: echoBound(raw.from, bounds.from),
    to: echoBound(raw.to, bounds.to),
    metrics: org.metrics,
    samples: org.samples,
    withheld: org.withheld,
    people: org.people,
    coverage: org.coverage,
    teams: units
      .filter((u) => u.unit_id !== root)
      .map((u) => {
        const s = judged(u)
        return {
          id: u.unit_id,
          name: u.name,
          manager: u.manager_id,
          people: u.people,
          metrics: s.metrics,
          samples: s.samples,
          withheld: s.withheld,
          coverage: s.coverage,
        }
      }),
  }
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
  for (const [name, raw, d] of [
    ['from', request.from, from],
    ['to', request.to, to],
  ] as const)
    if (!instantInRange(d.getTime())) throw new MetricsQueryError(`${name}: ${raw} ${OUT_OF_RANGE_INSTANT}`)
  if (request.grain && request.grain !== 'week')
    throw new MetricsQueryError(`grain must be "week" (got "${request.grain}")`)
  // DESIGN "Teams": the units directly below the director, each over its own subtree; deeper
  // units are reached by asking for the unit that leads them (so teams[] partitions the org)
  // both read only the org tables: one round trip instead of two
  const [under, forest] = await Promise.all([unitsUnder(client, director, to), unitForest(client, to)])
  const units = under.filter((u) => u.depth <= 1)
  if (units.length === 0) {
    throw new MetricsQueryError(
      `no org led by ${director}: not a manager in the org chart (import one with \`orgpulse org import\`)`,
      'not_found',
    )
  }
  const root = unitIdFor(director)
  const viewer = request.viewer ?? ADMIN_VIEWER
  const tree = treeOf(forest, root)
  const key = toClickHouseTime(from)
  const shown = (ids: string[]) => publishedUnits(tree, ids)
  const whole = await judgeTree(
    client,
    config,
    tree,
    [{ from, to }],
    METRICS,
    shown(units.map((u) => u.unit_id)),
  )
  const judged = (u: UnitRow): ScopeMetrics => {
    const s = whole.get(u.unit_id)?.get(key) ?? judge({}, u.people, config)
    applyIndividual(s, u.manager_id, viewer)
    return s
  }
  const rootUnit = units.find((u) => u.unit_id === root)!
  const result = orgResult(director, request, { from, to }, units, root, judged)
  if (request.grain === 'week') {
    const weeks = weekWindows(from, to)
    // each week is its own table: suppression is decided per week over the whole tree
    const series = await judgeTree(client, config, tree, weeks, METRICS, shown([root]))
    result.series = weeks.map((w) => {
      const s = series.get(root)?.get(toClickHouseTime(w.from)) ?? judge({}, rootUnit.people, config)
      applyIndividual(s, rootUnit.manager_id, viewer)
      return {
        from: w.from.toISOString(),
        to: w.to.toISOString(),
        metrics: s.metrics,
        samples: s.samples,
        withheld: s.withheld,
        coverage: s.coverage,
      }
    })
  }
  return result
}
