import { decisionMetrics, decisionsFamily } from './families/decisions.ts'
import { dependenciesFamily, dependencyMetrics } from './families/dependencies.ts'
import { meetingMetrics, meetingsFamily } from './families/meetings.ts'
import { planningFamily, planningMetrics, trackerCoverage } from './families/planning.ts'
import { type Family, type MetricDef, type MetricFamilyId, metricDefSchema } from './types.ts'

/** The metric catalog: ids are the public contract (API, CLI, exports, dashboards, alerts). */
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
