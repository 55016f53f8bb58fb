import { z } from 'zod'
import { instantInRange, OUT_OF_RANGE_INSTANT } from './storable.ts'

/**
 * An instant as an ISO-8601 string with an offset (or Z), normalised to UTC `...Z`.
 * Bare dates (YYYY-MM-DD) are accepted as midnight UTC because decision logs often carry only a day.
 */
export const instant = z
  .string({ error: 'expected a date-time string' })
  .trim()
  .transform((value, ctx) => {
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
    if (!instantInRange(ms)) {
      ctx.addIssue({ code: 'custom', message: `date "${value}" ${OUT_OF_RANGE_INSTANT}` })
      return z.NEVER
    }
    return new Date(ms).toISOString()
  })

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
  const d = typeof iso === 'string' ? new Date(iso) : iso
  return d.toISOString().replace('T', ' ').replace('Z', '')
}
