import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import type { Viewer } from '@orgpulse/metrics'
import type { WindowMetrics } from './metrics.ts'

/** [from, to) as ISO-8601 UTC instants (`2026-07-01T00:00:00.000Z`) */
export interface ReviewWindow {
  from: string
  to: string
}

/**
 * What every section builder receives (`sections/*.ts`: `(ctx) => Promise<ReviewSection>`).
 * `window` is the quarter actually measured: for a running quarter `to` is `partial.through`
 * (not the quarter's end); `base` is the whole previous quarter. Figures go through
 * computeOrgMetrics / judge with `viewer` so privacy and individual rules are the same as
 * everywhere.
 */
export interface ReviewContext {
  client: ClickHouseClient
  config: OrgpulseConfig
  /** the director's email, trimmed and lower-cased */
  director: string
  /** "2026-Q3" */
  quarter: string
  window: ReviewWindow
  /** the previous quarter, the comparison base ("2026-Q2" and its [from, to)) */
  base: ReviewWindow & { quarter: string }
  /** who the report is for (default admin) */
  viewer: Viewer
  /** the quarter's full [from, to) and whether it is still running */
  partial: { partial: boolean; through: string; daysElapsed: number; days: number }
  now: Date
  /**
   * figures computed beforehand for the windows the report will ask for, by `metricsKey`
   * (buildReview batches them: one judgeTree per distinct org instead of one per window)
   */
  metrics?: Map<string, WindowMetrics>
}

export const metricsKey = (director: string, w: ReviewWindow): string => `${director}|${w.from}|${w.to}`
