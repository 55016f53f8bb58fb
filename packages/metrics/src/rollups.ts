import { type ClickHouseClient, EngineMemoryError } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import { ALERT_RULES } from './alerts.ts'
import { METRICS, metricById } from './catalog.ts'
import { type ForestUnit, judge, judgeTree, treeOf, unitForest, weekWindows } from './compute.ts'
import type { MetricDef, ScopeMetrics } from './types.ts'

export interface RollupOptions {
  /** first Monday to (re)compute; weeks are Monday-aligned, UTC */
  from: Date
  /** end, exclusive */
  to: Date
  /**
   * scope-weeks per query (whole trees, fewer weeks; default DEFAULT_CHUNK): bounds the engine's
   * memory on large orgs. Each query has a large fixed cost (it reads and attributes every fact
   * of the tree), so the default is as large as the default memory budget allows
   */
  chunk?: number
  onProgress?: (done: number, total: number) => void
  /** trailing windows end no later than this (default the clock): a window ending later is not complete */
  now?: Date
}

const WEEK_MS = 7 * 86400000

/**
 * The default `chunk`: a 1,400-unit tree (10,000 people) is judged 14 weeks per query, about 4
 * queries for a year instead of 52 (the refresh before issue 20 used 200, one week per query)
 */
export const DEFAULT_CHUNK = 20_000

/**
 * The rollup grain of a window of `weeks` weeks ending on a Monday: `week` for one week (the
 * weekly rows), `w4`, `w12`, … for trailing windows (period_end the Monday, period_start `weeks`
 * weeks before).
 */
export const windowGrain = (weeks: number): string => (weeks === 1 ? 'week' : `w${weeks}`)

/**
 * The trailing windows the alert rules read, as weeks → the metrics read over them: each rule's
 * window, and its baseline for baseline rules. Stored for director scopes (units of kind group
 * or org) so an alert judges the value pooled over its window, the same figure as
 * `orgpulse metrics --from (E − window) --to E`, never a mean of weekly values.
 */
export function trailingWindows(): Map<number, MetricDef[]> {
  const out = new Map<number, MetricDef[]>()
  const add = (weeks: number, metric: string) => {
    if (weeks <= 1) return
    const list = out.get(weeks) ?? []
    if (!list.some((m) => m.id === metric)) list.push(metricById(metric))
    out.set(weeks, list)
  }
  for (const r of ALERT_RULES) {
    add(r.windowWeeks, r.metric)
    if (r.condition === 'above_baseline') add(r.baselineWeeks, r.metric)
  }
  return out
}

/** one rollup row of a judged scope */
function rollupRow(
  u: ForestUnit,
  grain: string,
  w: { from: Date; to: Date },
  m: MetricDef,
  j: ScopeMetrics,
  computedAt: string,
): Record<string, unknown> {
  const cal = j.coverage.calendar
  const calendarBased = m.family === 'meetings'
  const individual = m.individual
    ? `individual: describes one person (${u.manager_id}); in the api, shown only to a token for their own org and to admin tokens`
    : null
  return {
    scope: u.unit_id,
    grain,
    period_start: toClickHouseTime(w.from),
    period_end: toClickHouseTime(w.to),
    metric: m.id,
    value: individual ? null : (j.metrics[m.id] ?? null),
    sample: individual ? null : (j.samples[m.id] ?? null),
    people: u.people,
    withheld: individual ?? j.withheld[m.id] ?? '',
    coverage_covered: calendarBased
      ? cal.covered
      : m.requires === 'tracker'
        ? j.coverage.trackers.synced
        : null,
    coverage_total: calendarBased ? cal.people : null,
    coverage_share: calendarBased ? cal.share : null,
    computed_at: computedAt,
  }
}

/** rows per insert: one JSONEachRow block of a whole chunk can exceed the engine's memory budget */
const INSERT_ROWS = 20_000

async function insertRollups(client: ClickHouseClient, out: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < out.length; i += INSERT_ROWS) {
    await client.insert({
      table: 'metric_rollups',
      values: out.slice(i, i + INSERT_ROWS),
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    })
  }
}

/**
 * Inserts in the background while the caller judges the next chunk, at most one batch in flight
 * (memory stays bounded by two chunks' rows); `drain` waits for the last and rethrows its error.
 */
function insertQueue(client: ClickHouseClient) {
  let pending: Promise<void> = Promise.resolve()
  let rows = 0
  return {
    async push(out: Record<string, unknown>[]): Promise<void> {
      await pending
      rows += out.length
      pending = insertRollups(client, out)
      // an error surfaces on the next push or on drain, not as an unhandled rejection
      pending.catch(() => {})
    },
    async drain(): Promise<number> {
      await pending
      return rows
    },
  }
}

/**
 * `judgeTree` over `windows`, halving the windows per query while the engine refuses one for its
 * memory budget (a smaller ORGPULSE_ENGINE_MEMORY_MB, a denser org than `chunk` was sized for):
 * windows are independent, so the figures are the same however they are grouped.
 */
async function judgeSplitting(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  tree: ForestUnit[],
  windows: { from: Date; to: Date }[],
  metrics: readonly MetricDef[] = METRICS,
): Promise<Map<string, Map<string, ScopeMetrics>>> {
  try {
    return await judgeTree(client, config, tree, windows, metrics)
  } catch (err) {
    if (!(err instanceof EngineMemoryError) || windows.length <= 1) throw err
    const half = Math.ceil(windows.length / 2)
    const [a, b] = [
      await judgeSplitting(client, config, tree, windows.slice(0, half), metrics),
      await judgeSplitting(client, config, tree, windows.slice(half), metrics),
    ]
    for (const [unit, per] of b) {
      const into = a.get(unit) ?? new Map<string, ScopeMetrics>()
      for (const [k, v] of per) into.set(k, v)
      a.set(unit, into)
    }
    return a
  }
}

/** Monday 00:00 UTC of the week containing `d`. */
export function weekStart(d: Date): Date {
  const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86400000)
}

/**
 * Recomputes weekly metric values for every org unit into `metric_rollups`, with the privacy
 * threshold and the coverage rules applied (`judge`: people-based metrics are NULL for groups
 * under privacy.minGroupSize, metrics whose sources are not synced for the week NULL with the
 * reason in `withheld`, and the coverage in `coverage_*`), complementary suppression decided
 * over each whole tree per week (`judgeTree`, the same as the api and the CLI), and individual
 * metrics NULL with reason `individual` for every scope: a director's datasource user reads the
 * rows of every unit in their subtree, so a stored value of one leader would reach the leaders
 * above them (the api and the CLI show it to that leader's own token and to admins).
 * Idempotent: a recomputed week replaces the previous values.
 */
export async function refreshRollups(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: RollupOptions,
): Promise<{ scopes: number; weeks: number; rows: number }> {
  const windows = weekWindows(weekStart(options.from), options.to)
  if (windows.length === 0) return { scopes: 0, weeks: 0, rows: 0 }
  const forest = await unitForest(client, options.to)
  // units with nobody in them have no figures to store (as before: only units with people)
  const populated = forest.filter((u) => u.people > 0)
  const trees = new Map<string, ForestUnit[]>()
  const placed = new Set<string>()
  for (const u of populated) {
    if (placed.has(u.unit_id)) continue
    const tree = treeOf(forest, u.unit_id)
    for (const x of tree) placed.add(x.unit_id)
    trees.set(u.unit_id, tree)
  }
  const budget = options.chunk ?? DEFAULT_CHUNK
  const computedAt = toClickHouseTime(new Date())
  const queue = insertQueue(client)
  let done = 0
  for (const tree of trees.values()) {
    // a tree is suppressed as a whole, so bound each query by weeks: about `chunk` scope-weeks
    const weeksPerQuery = Math.max(1, Math.floor(budget / tree.length))
    for (let i = 0; i < windows.length; i += weeksPerQuery) {
      const part = windows.slice(i, i + weeksPerQuery)
      const judged = await judgeSplitting(client, config, tree, part)
      const out: Record<string, unknown>[] = []
      for (const u of tree) {
        if (u.people <= 0) continue
        for (const w of part) {
          const j = judged.get(u.unit_id)?.get(toClickHouseTime(w.from)) ?? judge({}, u.people, config)
          for (const m of METRICS) out.push(rollupRow(u, 'week', w, m, j, computedAt))
        }
      }
      await queue.push(out)
    }
    await refreshTrailing(client, config, tree, options, computedAt, queue)
    done += tree.filter((u) => u.people > 0).length
    options.onProgress?.(done, populated.length)
  }
  const rows = await queue.drain()
  return { scopes: populated.length, weeks: windows.length, rows }
}

/**
 * The trailing windows (`trailingWindows`) of the tree's director scopes that end on a Monday E
 * after the first recomputed week and no later than `to` and the clock: every window a
 * recomputed week belongs to. Each is judged over the whole tree like `orgpulse metrics` judges
 * [E − N weeks, E) (suppression and minimum samples included), so both show the same figure.
 */
async function refreshTrailing(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  tree: ForestUnit[],
  options: RollupOptions,
  computedAt: string,
  queue: ReturnType<typeof insertQueue>,
): Promise<void> {
  const directors = tree.filter((u) => u.people > 0 && (u.kind === 'group' || u.kind === 'org'))
  if (directors.length === 0) return
  const last = Math.min(options.to.getTime(), (options.now ?? new Date()).getTime())
  const ends: Date[] = []
  for (let e = weekStart(options.from).getTime() + WEEK_MS; e <= last; e += WEEK_MS) ends.push(new Date(e))
  if (ends.length === 0) return
  for (const [weeks, metrics] of trailingWindows()) {
    // only people-based values depend on the rest of the tree (complementary suppression)
    const scopes = metrics.some((m) => m.peopleBased) ? tree : directors
    const perQuery = Math.max(1, Math.floor((options.chunk ?? DEFAULT_CHUNK) / scopes.length))
    for (let i = 0; i < ends.length; i += perQuery) {
      // windows of one length start on distinct Mondays: `judgeTree` keys them by their start
      const windows = ends
        .slice(i, i + perQuery)
        .map((to) => ({ from: new Date(to.getTime() - weeks * WEEK_MS), to }))
      const judged = await judgeSplitting(client, config, scopes, windows, metrics)
      const out: Record<string, unknown>[] = []
      for (const u of directors) {
        for (const w of windows) {
          const j = judged.get(u.unit_id)?.get(toClickHouseTime(w.from)) ?? judge({}, u.people, config)
          for (const m of metrics) out.push(rollupRow(u, windowGrain(weeks), w, m, j, computedAt))
        }
      }
      await queue.push(out)
    }
  }
}
