import { z } from 'zod'

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
    return new Date(ms).toISOString()
  })

export const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')

/** ClickHouse DateTime64(3) text form, UTC. */
export function toClickHouseTime(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso
  return d.toISOString().replace('T', ' ').replace('Z', '')
}
