import { type MetricDef, metricById, type ScopeMetrics } from '@orgpulse/metrics'
import type { ReviewCell, ReviewColumn, ReviewUnit } from './model.ts'

type Status = NonNullable<ReviewCell['status']>

/** the catalog's thresholds and good direction (the pages' statusOf), or the reason's kind */
export function statusOf(m: MetricDef, value: number | null, reason?: string): Status {
  if (value === null) {
    if (!reason) return 'no_data'
    if (reason.startsWith('too_few')) return 'too_few'
    if (reason.startsWith('withheld') || reason.startsWith('individual')) return 'withheld'
    return 'no_data'
  }
  const { warn, critical } = m.thresholds
  if (m.direction === 'neutral' || (warn === null && critical === null)) return 'none'
  const bad = (x: number) => (m.direction === 'lower_is_better' ? value >= x : value <= x)
  if (critical !== null && bad(critical)) return 'critical'
  if (warn !== null && bad(warn)) return 'warn'
  return 'ok'
}

/** relative change (0.25 = +25 %), null when either side is null or the base is 0 */
export function relativeChange(
  value: number | null | undefined,
  base: number | null | undefined,
): number | null {
  if (value === null || value === undefined || base === null || base === undefined || base === 0) return null
  return Math.round(((value - base) / Math.abs(base)) * 1e6) / 1e6
}

type Scope = Pick<ScopeMetrics, 'metrics' | 'samples' | 'withheld'>

/**
 * One metric of one scope as a cell; with `base` (the comparison period's figures of the same
 * scope, or null when that scope did not exist then) it carries `previous` and `change`.
 */
export function metricCell(scope: Scope, id: string, base?: Scope | null): ReviewCell {
  const m = metricById(id)
  const value = scope.metrics[id] ?? null
  const reason = value === null ? (scope.withheld[id] ?? 'no_data: no data in the window') : undefined
  const cell: ReviewCell = { value, sample: scope.samples[id] ?? null, status: statusOf(m, value, reason) }
  if (reason) cell.reason = reason
  if (base !== undefined) {
    const previous = base?.metrics[id] ?? null
    cell.previous = previous
    cell.change = relativeChange(value, previous)
  }
  return cell
}

export const metricColumn = (id: string, key: string = id): ReviewColumn => {
  const m = metricById(id)
  return { key, title: m.title, unit: m.unit, metric: id }
}

export const col = (key: string, title: string, unit: ReviewUnit): ReviewColumn => ({ key, title, unit })

export const text = (value: string): ReviewCell => ({ value })
export const num = (value: number | null, extra: Partial<ReviewCell> = {}): ReviewCell => ({
  value,
  ...extra,
})

export const withheldCell = (reason: string): ReviewCell => ({ value: null, reason, status: 'withheld' })
