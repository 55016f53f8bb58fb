import { decisionMetrics, decisionsFamily } from './families/decisions.ts'
import { dependenciesFamily, dependencyMetrics } from './families/dependencies.ts'
import { meetingMetrics, meetingsFamily } from './families/meetings.ts'
import { planningFamily, planningMetrics, trackerCoverage } from './families/planning.ts'
import { type Family, type MetricDef, type MetricFamilyId, metricDefSchema } from './types.ts'

/**
 * The metric catalog: ids are the public contract (API, CLI, exports, dashboards, alerts).
 *
 * Minimum samples (`minSample`, DESIGN "the catalog sets a minimum sample"): below it a value is
 * null with reason `too_few: n = …`. Counts and sums (decisions decided, open decisions, open
 * blockers, blocked item-days) have 0: a count is never too few, zero is an answer. Ratios and
 * medians need 3 (one or two decisions make a 100 % or a 0 % that says nothing about the org);
 * p90s need 5 (under 5 the p90 is the largest value, interpolated). Means over people need 1
 * covered person: privacy.minGroupSize and calendar.minCoverage already decide whether a group
 * is large enough. Ritual adherence needs 1 expected occurrence, cycle rates 1 cycle, the
 * leader's escalation-meeting hours their own synced calendar.
 */
export const METRICS: readonly MetricDef[] = [
  ...decisionMetrics,
  ...dependencyMetrics,
  ...meetingMetrics,
  ...planningMetrics,
].map((m) => metricDefSchema.parse(m))

export const FAMILIES: Record<MetricFamilyId, Family> = {
  decisions: decisionsFamily,
  dependencies: dependenciesFamily,
  meetings: meetingsFamily,
  planning: planningFamily,
}

/** the tracker coverage relation (Jira projects / Linear teams synced per scope and window) */
export const TRACKER_COVERAGE: Family = trackerCoverage

export const METRIC_IDS = METRICS.map((m) => m.id)

export function metricById(id: string): MetricDef {
  const m = METRICS.find((x) => x.id === id)
  if (!m) throw new Error(`unknown metric id "${id}"; known: ${METRIC_IDS.join(', ')}`)
  return m
}

/**
 * The value of a metric over no rows at all: counts are 0 (nothing was decided, nothing is
 * blocked); ratios, quantiles and means are undefined (null, "no data in the window").
 */
export function valueWithoutRows(m: MetricDef): number | null {
  return m.unit === 'count' || m.unit === 'item_days' ? 0 : null
}
