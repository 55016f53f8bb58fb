/**
 * The rollup refresh as it was before issue 20's performance work (packages/metrics/src/rollups.ts
 * at c9d4d6a), kept so `pnpm bench` measures the new refresh against it in the same run. Only
 * the refresh loop is copied; the stable package APIs (judgeTree, judge, the catalog) are imported.
 * Do not optimise this file: it is the yardstick.
 */
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import {
  type ForestUnit,
  judge,
  judgeTree,
  METRICS,
  type MetricDef,
  type RollupOptions,
  type ScopeMetrics,
  trailingWindows,
  treeOf,
  unitForest,
  weekStart,
  weekWindows,
  windowGrain,
} from '@orgpulse/metrics'

const WEEK_MS = 7 * 86400000

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

async function insertRollups(client: ClickHouseClient, out: Record<string, unknown>[]): Promise<void> {
  if (out.length === 0) return
  await client.insert({
    table: 'metric_rollups',
    values: out,
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
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
export async function baselineRefreshRollups(
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
  const budget = options.chunk ?? 200
  const computedAt = toClickHouseTime(new Date())
  let rows = 0
  let done = 0
  for (const tree of trees.values()) {
    // a tree is suppressed as a whole, so bound each query by weeks: about `chunk` scope-weeks
    const weeksPerQuery = Math.max(1, Math.floor(budget / tree.length))
    for (let i = 0; i < windows.length; i += weeksPerQuery) {
      const part = windows.slice(i, i + weeksPerQuery)
      const judged = await judgeTree(client, config, tree, part)
      const out: Record<string, unknown>[] = []
      for (const u of tree) {
        if (u.people <= 0) continue
        for (const w of part) {
          const j = judged.get(u.unit_id)?.get(toClickHouseTime(w.from)) ?? judge({}, u.people, config)
          for (const m of METRICS) out.push(rollupRow(u, 'week', w, m, j, computedAt))
        }
      }
      await insertRollups(client, out)
      rows += out.length
    }
    rows += await refreshTrailing(client, config, tree, options, computedAt)
    done += tree.filter((u) => u.people > 0).length
    options.onProgress?.(done, populated.length)
  }
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
): Promise<number> {
  const directors = tree.filter((u) => u.people > 0 && (u.kind === 'group' || u.kind === 'org'))
  if (directors.length === 0) return 0
  const last = Math.min(options.to.getTime(), (options.now ?? new Date()).getTime())
  const ends: Date[] = []
  for (let e = weekStart(options.from).getTime() + WEEK_MS; e <= last; e += WEEK_MS) ends.push(new Date(e))
  if (ends.length === 0) return 0
  let rows = 0
  for (const [weeks, metrics] of trailingWindows()) {
    // only people-based values depend on the rest of the tree (complementary suppression)
    const scopes = metrics.some((m) => m.peopleBased) ? tree : directors
    const perQuery = Math.max(1, Math.floor((options.chunk ?? 200) / scopes.length))
    for (let i = 0; i < ends.length; i += perQuery) {
      // windows of one length start on distinct Mondays: `judgeTree` keys them by their start
      const windows = ends
        .slice(i, i + perQuery)
        .map((to) => ({ from: new Date(to.getTime() - weeks * WEEK_MS), to }))
      const judged = await judgeTree(client, config, scopes, windows, metrics)
      const out: Record<string, unknown>[] = []
      for (const u of directors) {
        for (const w of windows) {
          const j = judged.get(u.unit_id)?.get(toClickHouseTime(w.from)) ?? judge({}, u.people, config)
          for (const m of metrics) out.push(rollupRow(u, windowGrain(weeks), w, m, j, computedAt))
        }
      }
      await insertRollups(client, out)
      rows += out.length
    }
  }
  return rows
}
