import type { ReviewCell, ReviewColumn, ReviewReport, ReviewUnit, SourceCoverage } from '../model.ts'

/**
 * How every rendering of a ReviewReport (HTML, PDF, review-zip, xlsx) writes a figure: rounded by
 * its unit, a relative change as ±%, and an empty figure as the words for why it is empty. One
 * module, so the HTML report and the exported tables never disagree on a number.
 */

/** the unit's suffix as a reader sees it (exports put it in the column header) */
export const UNIT_SUFFIX: Record<ReviewUnit, string> = {
  count: '',
  hours: 'h',
  days: 'd',
  ratio: '%',
  level: 'level',
  hours_per_week: 'h/wk',
  item_days: 'item-days',
  people: 'people',
  text: '',
  date: '',
  email: '',
}

const NUMERIC = new Set<ReviewUnit>([
  'count',
  'hours',
  'days',
  'ratio',
  'level',
  'hours_per_week',
  'item_days',
  'people',
])
export const isNumericUnit = (u: ReviewUnit): boolean => NUMERIC.has(u)

/**
 * A number rounded for its unit, without the suffix: ratios as whole percent (0.6136 → 61),
 * hours, days, h/wk and item-days to one decimal, levels to two, counts and people whole (a
 * fractional count, an average, keeps one decimal).
 */
export function roundFor(unit: ReviewUnit, v: number): number {
  const r = (x: number, d: number) => {
    // through the decimal string, so 1.345 rounds to 1.35 as written (1.345 * 100 is 134.4999…)
    const viaString = Number(`${Math.round(Number(`${x}e${d}`))}e-${d}`)
    // a value already in exponent notation (1e-7) has no decimal string to shift
    const y = Number.isFinite(viaString) ? viaString : Math.round(x * 10 ** d) / 10 ** d
    return Object.is(y, -0) ? 0 : y
  }
  switch (unit) {
    case 'ratio':
      return r(v * 100, 0)
    case 'level':
      return r(v, 2)
    case 'count':
    case 'people':
      return Number.isInteger(v) ? v : r(v, 1)
    default:
      return r(v, 1)
  }
}

/** a value with its unit: `31.5 h`, `61 %`, `11.3 h/wk`, `1.35`, `27` */
export function formatValue(unit: ReviewUnit, v: number | string): string {
  if (typeof v === 'string') return v
  if (!Number.isFinite(v)) return 'no data'
  const n = roundFor(unit, v)
  const text =
    unit === 'hours' || unit === 'days' || unit === 'hours_per_week' || unit === 'item_days'
      ? n.toFixed(1)
      : String(n)
  switch (unit) {
    case 'ratio':
      return `${text} %`
    case 'hours':
      return `${text} h`
    case 'days':
      return `${text} d`
    case 'hours_per_week':
      return `${text} h/wk`
    case 'item_days':
      return `${text} item-days`
    default:
      return text
  }
}

/** a relative change as a signed whole percent: 0.2364 → `+24 %`, −0.1 → `−10 %`, 0 → `±0 %` */
export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return ''
  const pct = Math.round(change * 100)
  const sign = pct > 0 ? '+' : pct < 0 ? '−' : '±'
  return `${sign}${Math.abs(pct)} %`
}

/** the words an empty figure shows: `too few (n = 2)`, `no data`, `withheld` */
export function emptyWords(cell: Pick<ReviewCell, 'reason' | 'sample' | 'status'>): string {
  const reason = cell.reason ?? cell.status ?? 'no_data'
  const kind = reason.split(':')[0]!.trim()
  if (kind === 'too_few') {
    const n = /n\s*=\s*(\d+)/.exec(reason)?.[1] ?? (cell.sample == null ? null : String(cell.sample))
    return n === null ? 'too few' : `too few (n = ${n})`
  }
  if (kind === 'withheld' || kind === 'individual') return 'withheld'
  return 'no data'
}

/** a cell as text: the rounded value with its unit, or the words for why it is empty */
export function cellText(column: Pick<ReviewColumn, 'unit'>, cell: ReviewCell | undefined): string {
  if (!cell || cell.value === null || cell.value === undefined) return emptyWords(cell ?? {})
  return formatValue(column.unit, cell.value)
}

/** the status a cell shows: its own, or the one its empty reason implies */
export function cellStatus(cell: ReviewCell | undefined): NonNullable<ReviewCell['status']> {
  if (!cell) return 'no_data'
  if (cell.status) return cell.status
  if (cell.value === null) {
    const w = emptyWords(cell)
    return w === 'withheld' ? 'withheld' : w.startsWith('too few') ? 'too_few' : 'no_data'
  }
  return 'none'
}

const day = (iso: string) => iso.slice(0, 10)

/** `decisions: 91 of 91 days (100 %), 2026-04-01 → 2026-07-01` and whether it is enough to compare */
export function coverageText(c: SourceCoverage): string {
  const share = c.share === null ? 'no days' : `${Math.round(c.share * 100)} %`
  return `${c.source}: ${c.daysCovered} of ${c.days} days (${share}), ${day(c.period.from)} → ${day(c.period.to)}${c.enough ? '' : ', under 90 %'}`
}

/** the warning every rendering of a running quarter carries, or null for a complete quarter */
export function partialWarning(report: ReviewReport): string | null {
  const p = report.partial
  if (!p.partial) return null
  return `${report.quarter} is still running: figures cover ${p.daysElapsed} of its ${p.days} days, through ${day(p.through)} (exclusive). A partial quarter is compared with the whole of ${report.base.quarter}; totals are not comparable.`
}
