/**
 * IANA time-zone arithmetic on top of Intl (no zone database of our own to keep up to date), and
 * Windows zone names read through CLDR's table.
 */
import { createRequire } from 'node:module'

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

export function isIanaZone(zone: string): boolean {
  try {
    formatter(zone)
    return true
  } catch {
    return false
  }
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

/**
 * CLDR's windowsZones table (Unicode's own data package, pinned): Outlook and Exchange write
 * Windows zone names (`TZID:W. Europe Standard Time`), often without the VTIMEZONE that would
 * define them. The territory "001" row of each Windows name is its canonical IANA zone (CLDR
 * TR35, "Zone Identifiers": the golden zone).
 */
let windowsZones: Map<string, string> | undefined

interface WindowsZonesJson {
  supplemental: {
    windowsZones: { mapTimezones: { mapZone: { _other: string; _type: string; _territory: string } }[] }
  }
}

function windowsTable(): Map<string, string> {
  if (!windowsZones) {
    const data = createRequire(import.meta.url)(
      'cldr-core/supplemental/windowsZones.json',
    ) as WindowsZonesJson
    windowsZones = new Map()
    for (const { mapZone } of data.supplemental.windowsZones.mapTimezones) {
      if (mapZone._territory !== '001') continue
      const iana = mapZone._type.split(' ')[0]
      if (iana) windowsZones.set(mapZone._other.toLowerCase(), iana)
    }
  }
  return windowsZones
}

/** every Windows zone name in the table, as CLDR spells it */
export function windowsZoneNames(): string[] {
  const data = createRequire(import.meta.url)('cldr-core/supplemental/windowsZones.json') as WindowsZonesJson
  return [
    ...new Set(
      data.supplemental.windowsZones.mapTimezones
        .filter((z) => z.mapZone._territory === '001')
        .map((z) => z.mapZone._other),
    ),
  ]
}

/** the IANA zone CLDR maps a Windows zone name to, else undefined */
export function windowsZoneToIana(name: string): string | undefined {
  return windowsTable().get(name.trim().toLowerCase())
}

/**
 * The IANA zone a zone name stands for: an IANA name as it is, a Windows name through CLDR, else
 * null (the caller must say so: reading the time in some other zone would shift it silently).
 */
export function resolveZone(name: string | undefined): string | null {
  const n = name?.trim()
  if (!n) return null
  if (isIanaZone(n)) return n
  const iana = windowsZoneToIana(n)
  return iana && isIanaZone(iana) ? iana : null
}

/** A date-time without a UTC offset (`2026-07-07T10:00:00`): a wall time, in its `timeZone` if any. */
export const hasNoOffset = (dateTime: string): boolean => !/(Z|[+-]\d{2}:?\d{2})$/i.test(dateTime.trim())
