import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import { METRICS } from './catalog.ts'
import { type ForestUnit, judge, judgeTree, treeOf, unitForest, weekWindows } from './compute.ts'

export interface RollupOptions {
  /** first Monday to (re)compute; weeks are Monday-aligned, UTC */
  from: Date
  /** end, exclusive */
  to: Date
  /** scope-weeks per query (whole trees, fewer weeks): bounds memory on large orgs */
  chunk?: number
  onProgress?: (done: number, total: number) => void
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
          const cal = j.coverage.calendar
          for (const m of METRICS) {
            const calendarBased = m.family === 'meetings'
            const individual = m.individual
              ? `individual: describes one person (${u.manager_id}); in the api, shown only to a token for their own org and to admin tokens`
              : null
            out.push({
              scope: u.unit_id,
              grain: 'week',
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
            })
          }
        }
      }
      if (out.length > 0) {
        await client.insert({
          table: 'metric_rollups',
          values: out,
          format: 'JSONEachRow',
          clickhouse_settings: { async_insert: 0 },
        })
      }
      rows += out.length
    }
    done += tree.filter((u) => u.people > 0).length
    options.onProgress?.(done, populated.length)
  }
  return { scopes: populated.length, weeks: windows.length, rows }
}
