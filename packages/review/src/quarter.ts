import { OrgpulseError } from '@orgpulse/contracts'

const DAY = 86_400_000

export interface QuarterWindow {
  quarter: string
  from: Date
  to: Date
}

/** "2026-Q3" → [2026-07-01, 2026-10-01) UTC; anything else is an invalid_input error */
export function parseQuarter(quarter: string): QuarterWindow {
  const m = /^(\d{4})-Q([1-4])$/.exec(quarter.trim())
  if (!m) throw new OrgpulseError('invalid_input', `quarter must look like 2026-Q3 (got "${quarter}")`)
  const year = Number(m[1])
  const q = Number(m[2])
  return {
    quarter: `${year}-Q${q}`,
    from: new Date(Date.UTC(year, (q - 1) * 3, 1)),
    to: new Date(Date.UTC(year, q * 3, 1)),
  }
}

/** the quarter before: 2026-Q1 → 2025-Q4 */
export function previousQuarter(quarter: string): QuarterWindow {
  const { from } = parseQuarter(quarter)
  const prev = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - 3, 1))
  return parseQuarter(`${prev.getUTCFullYear()}-Q${Math.floor(prev.getUTCMonth() / 3) + 1}`)
}

/** Monday 00:00 UTC of the week holding `d` */
export function mondayOf(d: Date): Date {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY)
}

/**
 * The part of the quarter measured at `now`. A finished quarter is measured whole. A running
 * one is measured through the Monday after its last complete week (weekly figures and the
 * digest end there too, so the review never shows a half week); while not even one week of the
 * quarter is complete it is measured through `now`. A quarter that has not begun is refused.
 */
export function measuredQuarter(
  q: QuarterWindow,
  now: Date,
): { to: Date; partial: { partial: boolean; through: string; daysElapsed: number; days: number } } {
  const days = Math.round((q.to.getTime() - q.from.getTime()) / DAY)
  if (now.getTime() >= q.to.getTime())
    return { to: q.to, partial: { partial: false, through: q.to.toISOString(), daysElapsed: days, days } }
  if (now.getTime() <= q.from.getTime())
    throw new OrgpulseError(
      'invalid_input',
      `${q.quarter} has not begun (it starts ${q.from.toISOString().slice(0, 10)})`,
    )
  const monday = mondayOf(now)
  const to = monday.getTime() > q.from.getTime() ? monday : now
  const daysElapsed = Math.round(((to.getTime() - q.from.getTime()) / DAY) * 100) / 100
  return { to, partial: { partial: true, through: to.toISOString(), daysElapsed, days } }
}

export const dayCount = (from: Date, to: Date): number => (to.getTime() - from.getTime()) / DAY
