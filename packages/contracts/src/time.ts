import { z } from 'zod'
import { OrgpulseError } from './errors.ts'
import { instantInRange, OUT_OF_RANGE_INSTANT } from './storable.ts'

/**
 * An instant as an ISO-8601 string with an offset (or Z), normalised to UTC `...Z`.
 * Bare dates (YYYY-MM-DD) are accepted as midnight UTC because decision logs often carry only a day.
 */
export const instant = z
  .string({ error: 'expected a date-time string' })
  .trim()
  .transform((value, ctx) => {
    const fast = canonicalUtc(value)
    if (fast !== null) return fast
    const normalised = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value
    const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(normalised)
    const ms = Date.parse(normalised)
    if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(normalised) || !hasZone || Number.isNaN(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `unparseable date "${value}" (expected ISO-8601 like 2026-07-01T09:30:00Z or 2026-07-01)`,
      })
      return z.NEVER
    }
    // Date.parse rolls 2026-09-31 over to October 1: the day itself must exist
    const day = strictDateProblem(value.slice(0, 10))
    if (day !== null) {
      ctx.addIssue({ code: 'custom', message: day })
      return z.NEVER
    }
    if (!instantInRange(ms)) {
      ctx.addIssue({ code: 'custom', message: `date "${value}" ${OUT_OF_RANGE_INSTANT}` })
      return z.NEVER
    }
    return new Date(ms).toISOString()
  })

const UTC_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/

/**
 * The common case of `instant` (what sources and orgpulse itself write: UTC to the second or the
 * millisecond) in one regex and one Date.parse; null sends the value through the full checks.
 * The text must come back unchanged from toISOString, which holds only for a day and a time of
 * day that exist (a rolled-over 2026-09-31 or 24:00 does not), so what is returned here is what
 * the full path returns. The full path was a twentieth of the transformer's CPU.
 */
function canonicalUtc(value: string): string | null {
  if (!UTC_SECONDS.test(value)) return null
  const ms = Date.parse(value)
  if (Number.isNaN(ms) || !instantInRange(ms)) return null
  const iso = new Date(ms).toISOString()
  return iso === value || (value.length === 20 && iso === `${value.slice(0, 19)}.000Z`) ? iso : null
}

/** An instant on a canonical event: ISO-8601 in UTC, inside what a DateTime64 column stores. */
export const storedInstant = z.iso
  .datetime()
  .refine((v) => instantInRange(Date.parse(v)), { message: OUT_OF_RANGE_INSTANT })

export const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')

/**
 * A Jira timestamp in ms since the epoch, NaN when unparseable. The REST API writes the offset
 * without a colon (2024-01-31T14:05:12.345+0000), which Date.parse does not read; the Agile API
 * writes ISO (…+10:00). Both are read here.
 */
export const jiraTimeMs = (raw: string): number =>
  Date.parse(raw.trim().replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))

let lastArrival = 0
/**
 * Now, as the `fetchedAt` of a record read from a source: strictly increasing within the process,
 * so two versions of one record read in the same millisecond (two lines of one file) are still
 * ordered by arrival, which decides between versions with the same `updatedAt`.
 */
export function arrivalStamp(): string {
  lastArrival = Math.max(Date.now(), lastArrival + 1)
  return new Date(lastArrival).toISOString()
}

/** ClickHouse DateTime64(3) text form, UTC. */
export function toClickHouseTime(iso: string | Date): string {
  if (typeof iso === 'string' && isPlainIsoMs(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`
  const d = typeof iso === 'string' ? new Date(iso) : iso
  return d.toISOString().replace('T', ' ').replace('Z', '')
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` (what toISOString writes, so what canonical events carry) with a
 * day and time that exist in every month: its text form is a slice of it, no Date needed. Days
 * 29–31, hour 24 and anything else go through Date, which rolls them over as before. Parsing a
 * Date for every timestamp was a tenth of the demo loader's and the sink's own CPU.
 */
function isPlainIsoMs(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s[10] !== 'T') return false
  if (s[4] !== '-' || s[7] !== '-' || s[13] !== ':' || s[16] !== ':' || s[19] !== '.') return false
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  const two = (i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48
  const month = two(5)
  const day = two(8)
  return month >= 1 && month <= 12 && day >= 1 && day <= 28 && two(11) <= 23 && two(14) <= 59 && two(17) <= 59
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate()

/** the formats every date option and query parameter takes, for error messages */
export const DATE_FORMATS =
  'YYYY-MM-DD (a UTC day, e.g. 2026-09-01) or an ISO-8601 instant with an offset (e.g. 2026-09-01T09:00:00Z, 2026-09-01T11:00:00+02:00)'

/**
 * Why `value` is not a date or an instant in the strict formats (null when it is one): a
 * YYYY-MM-DD that names no calendar day ("2026-09-31 is not a date: September has 30 days"),
 * anything else that is not YYYY-MM-DD or an ISO-8601 instant with an offset (US order
 * 09/01/2026, 2026-9-1, "1 Oct 2026": all refused, never guessed).
 */
export function strictDateProblem(value: string): string | null {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2})))?$/.exec(
      value,
    )
  if (!m) return `"${value}" is not a date: use ${DATE_FORMATS}`
  const [, y, mo, d, hh, mi, ss, , oh, om] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12) return `${value} is not a date: there is no month ${mo}`
  if (day < 1 || day > daysIn(year, month)) {
    const name = MONTHS[month - 1]!
    const extra = month === 2 ? ` in ${year}` : ''
    return `${value} is not a date: ${name} has ${daysIn(year, month)} days${extra}`
  }
  if (hh !== undefined) {
    if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? 0) > 59)
      return `${value} is not a time of day: hours go to 23, minutes and seconds to 59`
    if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59))
      return `${value} has no valid UTC offset (±HH:MM)`
  }
  return null
}

/**
 * The one parser for dates given by people: CLI options and api query parameters. YYYY-MM-DD is
 * midnight UTC of that day; an ISO-8601 instant must carry its offset. Throws an
 * OrgpulseError('invalid_input') naming `name` (the option or parameter) and the formats.
 */
export function parseStrictDate(value: string, name: string): Date {
  const v = value.trim()
  const problem = strictDateProblem(v)
  if (problem !== null) throw new OrgpulseError('invalid_input', `${name}: ${problem}`)
  // the range orgpulse stores is checked where the date is used (after a window's length cap)
  return new Date(Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v))
}

/** a zod string that must be a strict date (see parseStrictDate): for query parameters */
export const strictDate = z.string().superRefine((value, ctx) => {
  const problem = strictDateProblem(value.trim())
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
})

/** a zod string that must be a strict YYYY-MM-DD calendar day */
export const strictDay = z.string().superRefine((value, ctx) => {
  const v = value.trim()
  const problem = /^\d{4}-\d{2}-\d{2}$/.test(v)
    ? strictDateProblem(v)
    : `"${value}" is not a day: use YYYY-MM-DD (e.g. 2026-09-01)`
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
})
