import { OrgpulseError, parseStrictDate } from '@orgpulse/contracts'
import { weekStart } from '@orgpulse/metrics'

/**
 * The window a page shows, from its query: `range` (a preset: last-week, 4w, 13w, or a quarter
 * such as 2026-Q3) or `from`/`to` (strict YYYY-MM-DD, `to` exclusive). The default is the last
 * complete week (Monday to Monday, UTC): the current week is partial and would read as good news.
 */
export interface PageRange {
  from: Date
  to: Date
  /** what the page calls it: "last complete week", "2026-Q3", "2026-09-01 → 2026-10-01" */
  label: string
  /** the query that names this range, kept on every link of the page */
  query: Record<string, string>
}

export const DAY = 86_400_000
export const WEEK = 7 * DAY
export const PRESETS = ['last-week', '4w', '13w'] as const

const day = (d: Date): string => d.toISOString().slice(0, 10)

/** the one strict parser (contracts): a real calendar day YYYY-MM-DD, or an ISO instant with offset */
export const strictDate = (value: string, name: string): Date => parseStrictDate(value, name)

/** [start, end) of a quarter such as 2026-Q3, or null when `value` is not one */
export function quarterBounds(value: string): { from: Date; to: Date } | null {
  const m = /^(\d{4})-Q([1-4])$/.exec(value)
  if (!m) return null
  const year = Number(m[1])
  const q = Number(m[2])
  return { from: new Date(Date.UTC(year, (q - 1) * 3, 1)), to: new Date(Date.UTC(year, q * 3, 1)) }
}

export function quarterOf(d: Date): string {
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`
}

/** the Monday 00:00 UTC ending the last complete week at `now` */
export const lastCompleteWeekEnd = (now: Date): Date => weekStart(now)

export function parseRange(q: Record<string, unknown>, now: Date): PageRange {
  const str = (k: string): string | undefined => (typeof q[k] === 'string' && q[k] !== '' ? q[k] : undefined)
  const end = lastCompleteWeekEnd(now)
  const range = str('range')
  const from = str('from')
  const to = str('to')
  if (range && (from || to))
    throw new OrgpulseError('invalid_input', 'give either range or from/to, not both')
  if (from || to) {
    if (!from || !to)
      throw new OrgpulseError('invalid_input', 'from and to go together (YYYY-MM-DD, to exclusive)')
    const f = strictDate(from, 'from')
    const t = strictDate(to, 'to')
    if (t <= f) throw new OrgpulseError('invalid_input', `to (${to}) must be after from (${from})`)
    if ((t.getTime() - f.getTime()) / DAY > 731)
      throw new OrgpulseError('invalid_input', 'a page covers at most 731 days (2 years)')
    return { from: f, to: t, label: `${from} → ${to}`, query: { from, to } }
  }
  if (!range || range === 'last-week')
    return {
      from: new Date(end.getTime() - WEEK),
      to: end,
      label: 'last complete week',
      query: range ? { range } : {},
    }
  if (range === '4w' || range === '13w') {
    const weeks = range === '4w' ? 4 : 13
    return {
      from: new Date(end.getTime() - weeks * WEEK),
      to: end,
      label: `last ${weeks} complete weeks`,
      query: { range },
    }
  }
  const quarter = quarterBounds(range)
  if (!quarter)
    throw new OrgpulseError(
      'invalid_input',
      `range must be last-week, 4w, 13w or a quarter such as ${quarterOf(now)} (got "${range}")`,
    )
  // a quarter still under way ends with its last complete week
  if (quarter.to > end && quarter.from < end)
    return { from: quarter.from, to: end, label: `${range} to ${day(end)}`, query: { range } }
  return { ...quarter, label: range, query: { range } }
}

/** the period of the same length just before the window */
export const previousOf = (r: { from: Date; to: Date }): { from: Date; to: Date } => ({
  from: new Date(r.from.getTime() - (r.to.getTime() - r.from.getTime())),
  to: r.from,
})

/** the baseline as the alert rules define it: the 12 weeks before the window, pooled */
export const BASELINE_WEEKS = 12
export const baselineOf = (r: { from: Date }): { from: Date; to: Date } => ({
  from: new Date(r.from.getTime() - BASELINE_WEEKS * WEEK),
  to: r.from,
})

/** the weeks a page's charts show: the window's weeks, at least the 13 weeks ending with it */
export function chartRange(r: { from: Date; to: Date }): { from: Date; to: Date } {
  const weeks = Math.max(13, Math.ceil((r.to.getTime() - r.from.getTime()) / WEEK))
  const to = r.to
  return { from: new Date(to.getTime() - weeks * WEEK), to }
}

export const isoDay = day
