/**
 * IANA time-zone arithmetic on top of Intl (no zone database of our own to keep up to date). Zone
 * names (IANA, or Windows through CLDR's table) are resolved by @orgpulse/contracts, which the HR
 * import shares.
 */
export { isIanaZone, resolveZone, windowsZoneNames, windowsZoneToIana } from '@orgpulse/contracts'

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}

/** local wall time minus UTC, in ms, for the instant `ms` in `zone` */
export function zoneOffsetMs(zone: string, ms: number): number {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  )
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  )
  return wall - Math.floor(ms / 1000) * 1000
}

/**
 * The instant at which the wall clock in `zone` shows the given time. Two passes, because the
 * offset to subtract is the one valid at the answer, not at the wall time read as UTC (this is
 * what makes a local 10:00 meeting 09:00Z in winter and 08:00Z in summer in Europe/Berlin).
 */
export function wallTimeToUtc(
  zone: string,
  wall: { year: number; month: number; day: number; hour: number; minute: number; second: number },
): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second)
  const first = asUtc - zoneOffsetMs(zone, asUtc)
  return new Date(asUtc - zoneOffsetMs(zone, first))
}

/** A date-time without a UTC offset (`2026-07-07T10:00:00`): a wall time, in its `timeZone` if any. */
export const hasNoOffset = (dateTime: string): boolean => !/(Z|[+-]\d{2}:?\d{2})$/i.test(dateTime.trim())
