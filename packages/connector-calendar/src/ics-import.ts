import { readFile } from 'node:fs/promises'
import { type CalendarConfig, OrgpulseError, syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import { classifyMeeting, type OrgLookup, stamped } from './classify.ts'
import { expandIcs, type IcsWindow, unknownZonesOf } from './ics.ts'
import { calendarEnvelope, meetingShape } from './payload.ts'

export interface IcsImportOptions {
  bus: Bus
  calendar: CalendarConfig
  /** a file path or an http(s) URL */
  source: string
  /** whose calendar it is */
  owner: string
  window: IcsWindow
  /** zone for floating times (the owner's, else workingHours.timeZone) */
  defaultZone: string
  org?: OrgLookup
  fetchImpl?: typeof fetch
  /** a re-read with the current rules: each occurrence carries this time (see Classification) */
  classifiedAt?: string
}

export interface IcsImportResult {
  source: string
  owner: string
  /** occurrences imported, cancelled ones not included */
  occurrences: number
  /** cancelled occurrences (an EXDATE, STATUS:CANCELLED): published so an earlier import of them is replaced */
  cancelled: number
  /**
   * occurrences whose TZID names no zone (not defined by a VTIMEZONE, neither IANA nor Windows):
   * published all the same, so the mapper dead-letters each with the reason; in neither count above
   */
  unknownZones: { tzid: string; occurrences: number }[]
  /** the window the feed was read over */
  from: string
  to: string
}

/** a feed that fails is `upstream`; a file that cannot be read is the caller's `invalid_input` */
export class IcsSourceError extends OrgpulseError {
  constructor(message: string, kind: 'upstream' | 'invalid_input' = 'upstream') {
    super(kind, message)
  }
}

const BATCH = 500

/** Reads an ICS file or feed, expands it over the window, classifies and publishes each occurrence. */
export async function importIcs(opts: IcsImportOptions): Promise<IcsImportResult> {
  const owner = opts.owner.trim().toLowerCase()
  const text = await readIcsSource(opts.source, opts.fetchImpl ?? fetch)
  const occurrences = expandIcs(text, { window: opts.window, defaultZone: opts.defaultZone })
  const fetchedAt = new Date().toISOString()
  const envelopes = occurrences.map((e) =>
    calendarEnvelope(
      e,
      stamped(classifyMeeting(meetingShape(e, owner), opts.calendar, opts.org), opts.classifiedAt),
      { calendar: owner, via: 'ics' },
      fetchedAt,
    ),
  )
  for (let i = 0; i < envelopes.length; i += BATCH) await publishRaw(opts.bus, envelopes.slice(i, i + BATCH))
  // the owner's calendar is now known over the window: the coverage record goes behind its occurrences
  await publishRaw(opts.bus, [
    syncedEnvelope(
      'calendar',
      {
        scopeKind: 'calendar',
        scope: owner,
        mode: 'range',
        coveredFrom: opts.window.from.toISOString(),
        coveredTo: opts.window.to.toISOString(),
      },
      fetchedAt,
    ),
  ])
  const unplaced = new Map<string, number>()
  const placed = occurrences.filter((o) => {
    const zones = unknownZonesOf(o)
    for (const z of zones) unplaced.set(z, (unplaced.get(z) ?? 0) + 1)
    return zones.length === 0
  })
  return {
    source: opts.source,
    owner,
    // a cancelled slot (EXDATE, STATUS:CANCELLED) is counted once, as cancelled
    occurrences: placed.filter((o) => o.status !== 'cancelled').length,
    cancelled: placed.filter((o) => o.status === 'cancelled').length,
    unknownZones: [...unplaced].map(([tzid, n]) => ({ tzid, occurrences: n })),
    from: opts.window.from.toISOString(),
    to: opts.window.to.toISOString(),
  }
}

async function readIcsSource(source: string, fetchImpl: typeof fetch): Promise<string> {
  if (/^https?:\/\//i.test(source) || /^webcal:\/\//i.test(source)) {
    const url = source.replace(/^webcal:/i, 'https:')
    let res: Response
    try {
      res = await fetchImpl(url, { headers: { accept: 'text/calendar' } })
    } catch (err) {
      throw new IcsSourceError(`cannot reach ICS feed ${url}: ${(err as Error).message}`)
    }
    if (res.status === 401 || res.status === 403) {
      throw new IcsSourceError(
        `ICS feed ${url} answered ${res.status}: the feed is private; use its secret address (Google: "Secret address in iCal format")`,
      )
    }
    if (res.status === 404) throw new IcsSourceError(`ICS feed ${url} answered 404: no such feed`)
    if (!res.ok) throw new IcsSourceError(`ICS feed ${url} answered ${res.status} ${res.statusText}`)
    return res.text()
  }
  try {
    return await readFile(source, 'utf8')
  } catch (err) {
    throw new IcsSourceError(`cannot read ICS file ${source}: ${(err as Error).message}`, 'invalid_input')
  }
}
