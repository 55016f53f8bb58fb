import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import { METRICS } from './catalog.ts'
import { evaluate, judge, weekWindows } from './compute.ts'
import { SNAPSHOTS_CTE, snapFor } from './sql.ts'

export interface RollupOptions {
  /** first Monday to (re)compute; weeks are Monday-aligned, UTC */
  from: Date
  /** end, exclusive */
  to: Date
  /** scopes per query: bounds memory on large orgs */
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
 * reason in `withheld`, and the coverage in `coverage_*`).
 * Idempotent: a recomputed week replaces the previous values.
 */
export async function refreshRollups(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: RollupOptions,
): Promise<{ scopes: number; weeks: number; rows: number }> {
  const windows = weekWindows(weekStart(options.from), options.to)
  if (windows.length === 0) return { scopes: 0, weeks: 0, rows: 0 }
  const units = await queryRows<{ unit_id: string; people: number }>(
    client,
    `WITH ${SNAPSHOTS_CTE}, (SELECT list FROM snaps) AS snap_list, ${snapFor('{at:DateTime64(3)}')} AS snap
     SELECT c.ancestor_id AS unit_id, count() AS people
     FROM org_people AS p INNER JOIN org_closure AS c ON c.effective = p.effective AND c.unit_id = p.home_unit
     WHERE p.effective = snap GROUP BY c.ancestor_id`,
    { at: toClickHouseTime(new Date(options.to.getTime() - 1)) },
  )
  const chunk = options.chunk ?? 200
  const computedAt = toClickHouseTime(new Date())
  let rows = 0
  for (let i = 0; i < units.length; i += chunk) {
    const part = units.slice(i, i + chunk)
    const values = await evaluate(
      client,
      config,
      part.map((u) => u.unit_id),
      windows,
    )
    const out: Record<string, unknown>[] = []
    for (const u of part) {
      const people = Number(u.people)
      for (const w of windows) {
        // the same privacy and coverage rules as every other output (compute.ts `judge`)
        const j = judge(values.get(u.unit_id)?.get(toClickHouseTime(w.from)) ?? {}, people, config)
        const cal = j.coverage.calendar
        for (const m of METRICS) {
          const calendarBased = m.family === 'meetings'
          out.push({
            scope: u.unit_id,
            grain: 'week',
            period_start: toClickHouseTime(w.from),
            period_end: toClickHouseTime(w.to),
            metric: m.id,
            value: j.metrics[m.id] ?? null,
            people,
            withheld: j.withheld[m.id] ?? '',
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
    options.onProgress?.(Math.min(i + chunk, units.length), units.length)
  }
  return { scopes: units.length, weeks: windows.length, rows }
}
