import type { MetricDef } from '@orgpulse/metrics'

/**
 * Values in words for terminals: a metric's value with its unit (h, d, %, h/wk, level), its
 * good/bad marker from the catalog thresholds, and a null as what it is ("too few (n = 2)",
 * "no data", "withheld"), never a number.
 */

const UNIT_SUFFIX: Record<MetricDef['unit'], string> = {
  count: '',
  hours: ' h',
  days: ' d',
  ratio: ' %',
  level: ' level',
  hours_per_week: ' h/wk',
  item_days: ' item-days',
}

/** the unit's short name, as values print it */
export const unitLabel = (m: MetricDef): string => UNIT_SUFFIX[m.unit].trim() || 'count'

/** a number in the metric's unit: ratios as percentages */
export function formatMetricValue(m: MetricDef, v: number): string {
  switch (m.unit) {
    case 'count':
      return String(Math.round(v))
    case 'ratio':
      return `${(Math.round(v * 1000) / 10).toFixed(1)} %`
    case 'level':
      return `${v.toFixed(2)} level`
    default:
      return `${v.toFixed(1)}${UNIT_SUFFIX[m.unit]}`
  }
}

export type Marker = 'ok' | 'warn' | 'critical'

/** past `warn` / `critical` in the bad direction; null when the catalog sets no thresholds */
export function markerOf(m: MetricDef, v: number): Marker | null {
  const { warn, critical } = m.thresholds
  if (m.direction === 'neutral' || (warn === null && critical === null)) return null
  const past = (t: number | null) => t !== null && (m.direction === 'lower_is_better' ? v >= t : v <= t)
  if (past(critical)) return 'critical'
  if (past(warn)) return 'warn'
  return 'ok'
}

/** why a value is null, in two words: too few (n = 2), no data, withheld */
export function nullLabel(reason: string | undefined, sample: number | null | undefined): string {
  if (reason?.startsWith('too_few:')) return `too few (n = ${sample ?? '?'})`
  if (reason?.startsWith('withheld:') || reason?.startsWith('individual:')) return 'withheld'
  return 'no data'
}

/** one cell: the value with its unit and marker, or what its null means */
export function metricCell(
  m: MetricDef,
  value: number | null | undefined,
  reason: string | undefined,
  sample: number | null | undefined,
): string {
  if (value === null || value === undefined) return nullLabel(reason, sample)
  const marker = markerOf(m, value)
  return marker === null ? formatMetricValue(m, value) : `${formatMetricValue(m, value)} ${marker}`
}

/** a threshold in the metric's unit ("72.0 h", "30.0 %") */
export const formatThreshold = (m: MetricDef, t: number | null): string =>
  t === null ? '—' : formatMetricValue(m, t)

/** "[2026-11-02, 2026-11-30)" as "2026-11-02 → 2026-11-30, 4 weeks, end exclusive" */
export function describeWindow(from: string, to: string): string {
  const ms =
    Date.parse(to.length === 10 ? `${to}T00:00:00Z` : to) -
    Date.parse(from.length === 10 ? `${from}T00:00:00Z` : from)
  const days = ms / 86400000
  const span = Number.isInteger(days / 7)
    ? `${days / 7} week${days === 7 ? '' : 's'}`
    : `${Math.round(days * 10) / 10} days`
  const day = (s: string) => (s.length === 10 ? s : s.replace('T00:00:00.000Z', '').replace('T', ' '))
  return `${day(from)} → ${day(to)}, ${span}, end exclusive`
}
