import { z } from 'zod'

export const metricUnitSchema = z.enum([
  'count',
  'hours',
  'days',
  'ratio',
  'level',
  'hours_per_week',
  'item_days',
])

/**
 * One metric, defined once: the catalog feeds the CLI, the api, exports, dashboards and alerts.
 * `expr` is a ClickHouse aggregate over its family's base rows (see Family); grouping by scope
 * (and window) happens around it, so the same expression serves one window or a weekly series.
 */
export const metricDefSchema = z.object({
  id: z.string().regex(/^[a-z0-9_]+$/),
  title: z.string(),
  description: z.string(),
  unit: metricUnitSchema,
  direction: z.enum(['higher_is_better', 'lower_is_better', 'neutral']),
  /** default thresholds: values past `warn` / `critical` in the bad direction are flagged */
  thresholds: z.object({ warn: z.number().nullable(), critical: z.number().nullable() }),
  family: z.enum(['decisions', 'dependencies', 'meetings', 'planning']),
  /** people-based metrics are withheld for groups under privacy.minGroupSize */
  peopleBased: z.boolean(),
  /**
   * the value describes one person (the scope's leader): shown only to that leader's own org
   * and to admins, withheld with reason `individual` elsewhere (DESIGN "Privacy")
   */
  individual: z.boolean().optional(),
  /**
   * the source coverage the value needs (DESIGN "No data is not zero"): `calendar`, a group
   * whose people's own calendars are synced for the window (enough of them: privacy.minGroupSize
   * and calendar.minCoverage); `leader_calendar`, the scope leader's own calendar; `tracker`, a
   * Jira project or Linear team mapped into the scope and synced over the window
   */
  requires: z.enum(['calendar', 'leader_calendar', 'tracker']).optional(),
  expr: z.string(),
  /**
   * the n the value rests on: a ClickHouse aggregate over the same base rows as `expr` (the
   * decisions a latency is a quantile of, the people a per-person mean is over, …)
   */
  sample: z.string(),
  /** what `sample` counts, in words: "decisions decided", "people with calendars synced", … */
  sampleOf: z.string(),
  /**
   * below this n the value is not shown (null, reason `too_few: …`): a p90 of two decisions is
   * one of them. 0 for counts and sums, which are never "too few" (DESIGN "No data is not zero")
   */
  minSample: z.number().int().nonnegative(),
})
export type MetricDef = z.infer<typeof metricDefSchema>
export type MetricFamilyId = MetricDef['family']

/** Inputs a family's base query receives, all bound as ClickHouse query parameters. */
export interface BaseParams {
  /** scope unit ids: the director's unit and/or units in its subtree */
  scopes: string[]
  /** windows as [from, to) pairs, ClickHouse DateTime64 text (UTC) */
  windows: { from: string; to: string }[]
}

/**
 * A family's base relation: SQL producing one row per (entity, scope, window) with at least the
 * columns `scope`, `w_from`, `w_to` plus whatever its metrics' expressions read. It may use the
 * query parameters `{scopes:Array(String)}`, `{w_froms:Array(DateTime64(3, 'UTC'))}`,
 * `{w_tos:Array(DateTime64(3, 'UTC'))}` and, for settings, `{min_group:UInt32}`.
 */
export interface Family {
  id: MetricFamilyId
  base: string
  /** extra query parameters the base needs (e.g. working hours) */
  params?: (config: import('@orgpulse/contracts').OrgpulseConfig) => Record<string, unknown>
  /** aggregates evaluated next to the metrics, returned under their (`_`-prefixed) keys: coverage */
  extras?: Record<string, string>
}

export type MetricValues = Record<string, number | null>

/**
 * What the group's figures rest on, for the window: `calendar` counts the people in the group
 * (anyone who belonged to it during the window) and those whose own calendar is synced over the
 * whole window (the only ones the per-person meeting figures are measured over); `trackers` the
 * Jira projects and Linear teams mapped into the group and synced over the window.
 */
export interface Coverage {
  calendar: { covered: number; people: number; share: number | null }
  trackers: { synced: number }
}

export interface ScopeMetrics {
  metrics: MetricValues
  /**
   * metric id → the n its value rests on (`sample` in the catalog, counted over the window);
   * null when the value is withheld for privacy (the n would describe the hidden group)
   */
  samples: MetricValues
  /**
   * metric id → why it is null: `withheld: …` (privacy threshold), `no_data: …` (sources not
   * connected or synced for the window, or nothing in it), `partial_coverage: …` (too few of the
   * group's calendars synced), `too_few: …` (the sample is under the catalog's minSample)
   */
  withheld: Record<string, string>
  people: number
  coverage: Coverage
}
