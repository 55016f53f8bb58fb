import { createRequire } from 'node:module'

/**
 * Time-zone names as people's systems write them, resolved once for every reader: the HR import
 * (a person's zone, which the meeting metrics hand to ClickHouse, where an unknown name fails the
 * whole query) and the calendar connector (ICS TZIDs, floating times).
 */

/** whether the runtime's time-zone database (Intl, the ICU data Node ships) knows the name, aliases included */
export function isIanaZone(zone: string): boolean {
  if (zone.trim() === '' || /\s/.test(zone)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
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
