import { OrgpulseError } from '@orgpulse/contracts'
import ICAL from 'ical.js'
import type { CalendarEvent, EventTime } from './payload.ts'
import { hasNoOffset, resolveZone, wallTimeToUtc } from './zones.ts'

type IcalTime = InstanceType<typeof ICAL.Time>
type IcalComponent = InstanceType<typeof ICAL.Component>
type IcalEvent = InstanceType<typeof ICAL.Event>

export interface IcsWindow {
  from: Date
  to: Date
}

export interface ExpandOptions {
  window: IcsWindow
  /** zone for floating times (no TZID, no Z): the owner's, else workingHours.timeZone */
  defaultZone: string
}

/** Guards against a pathological RRULE (e.g. FREQ=SECONDLY without COUNT) stalling the import. */
const MAX_OCCURRENCES_PER_SERIES = 5000

export class IcsParseError extends OrgpulseError {
  constructor(message: string) {
    super('invalid_input', message)
  }
}

/**
 * Expands an iCalendar document into occurrences inside the window, in the Google Calendar
 * `Event` shape (one item per occurrence, like `singleEvents=true`): RRULE/RDATE expansion,
 * EXDATE (emitted as cancelled occurrences, so an earlier import of that slot is replaced),
 * RECURRENCE-ID overrides (moved or cancelled single occurrences), VTIMEZONE definitions and
 * bare IANA TZIDs, all-day (DATE) events, STATUS:CANCELLED.
 */
export function expandIcs(text: string, options: ExpandOptions): CalendarEvent[] {
  let calendars: IcalComponent[]
  try {
    const root = new ICAL.Component(ICAL.parse(text))
    // text without any component (e.g. empty) parses to an empty jCal array: no name, no children
    calendars = root.name === 'vcalendar' ? [root] : root.name ? root.getAllSubcomponents('vcalendar') : []
  } catch (err) {
    throw new IcsParseError(`not an iCalendar document: ${(err as Error).message}`)
  }
  if (calendars.length === 0) throw new IcsParseError('no VCALENDAR in the document')
  const out: CalendarEvent[] = []
  for (const cal of calendars) {
    try {
      out.push(...expandCalendar(cal, options))
    } catch (err) {
      // ical.js reads values lazily: a malformed value (a UTC offset, a date, an RRULE part)
      // throws only while the series is expanded
      if (err instanceof IcsParseError) throw err
      throw new IcsParseError(
        `invalid iCalendar content: ${err instanceof Error ? err.message : String(err)}`,
      )
    }
  }
  return out
}

function expandCalendar(cal: IcalComponent, options: ExpandOptions): CalendarEvent[] {
  // VTIMEZONEs are registered for the duration of this document only: ical.js keeps a global
  // registry, and a zone named in one feed must not change how another feed is read.
  const registered: string[] = []
  for (const vtz of cal.getAllSubcomponents('vtimezone')) {
    const tzid = String(vtz.getFirstPropertyValue('tzid') ?? '')
    if (tzid && !ICAL.TimezoneService.has(tzid)) {
      checkZoneRules(vtz, tzid)
      ICAL.TimezoneService.register(vtz)
      registered.push(tzid)
    }
  }
  try {
    return expandEvents(cal, options)
  } finally {
    for (const tzid of registered) ICAL.TimezoneService.remove(tzid)
  }
}

/** Frequencies a VTIMEZONE observance may repeat at (real zones change once or twice a year). */
const ZONE_RULE_FREQS = new Set(['YEARLY', 'MONTHLY'])

/**
 * ical.js expands a zone's rules from their DTSTART (often 1970) up to every date it converts,
 * with no limit: a rule repeating every second or minute, or with INTERVAL=0 (which never
 * advances), runs until the process is out of memory. Such a zone is refused, not registered.
 */
function checkZoneRules(vtz: IcalComponent, tzid: string): void {
  for (const observance of vtz.getAllSubcomponents()) {
    for (const prop of observance.getAllProperties('rrule')) {
      const rule = prop.getFirstValue() as { freq?: unknown; interval?: unknown } | null
      const freq = typeof rule?.freq === 'string' ? rule.freq : ''
      const interval = typeof rule?.interval === 'number' ? rule.interval : 0
      if (!ZONE_RULE_FREQS.has(freq) || !(interval >= 1)) {
        throw new IcsParseError(
          `VTIMEZONE ${tzid}: unsupported rule ${prop.toICALString()} (a zone rule repeats YEARLY or MONTHLY, INTERVAL >= 1)`,
        )
      }
    }
  }
}

function expandEvents(cal: IcalComponent, options: ExpandOptions): CalendarEvent[] {
  const vevents = cal.getAllSubcomponents('vevent')
  const masters = new Map<string, IcalComponent>()
  const overrides: IcalComponent[] = []
  for (const v of vevents) {
    const uid = String(v.getFirstPropertyValue('uid') ?? '')
    if (!uid) continue
    if (v.hasProperty('recurrence-id')) overrides.push(v)
    else masters.set(uid, v)
  }
  const out: CalendarEvent[] = []
  const orphanOverrides: IcalComponent[] = []
  const events = new Map<string, IcalEvent>()
  for (const [uid, comp] of masters) events.set(uid, new ICAL.Event(comp))
  for (const o of overrides) {
    const master = events.get(String(o.getFirstPropertyValue('uid')))
    if (master?.isRecurring()) master.relateException(o)
    else orphanOverrides.push(o)
  }
  for (const [uid, ev] of events) {
    const comp = masters.get(uid) as IcalComponent
    if (ev.isRecurring()) out.push(...expandSeries(uid, ev, comp, options))
    else {
      const single = toOccurrence(uid, comp, ev.startDate, null, comp, options)
      if (single && overlaps(single, options.window)) out.push(single)
    }
  }
  for (const o of orphanOverrides) {
    const uid = String(o.getFirstPropertyValue('uid'))
    const ev = new ICAL.Event(o)
    const occ = toOccurrence(
      uid,
      o,
      ev.startDate,
      o.getFirstPropertyValue('recurrence-id') as IcalTime,
      o,
      options,
    )
    if (occ && overlaps(occ, options.window)) out.push(occ)
  }
  return out
}

function expandSeries(
  uid: string,
  ev: IcalEvent,
  master: IcalComponent,
  options: ExpandOptions,
): CalendarEvent[] {
  const out: CalendarEvent[] = []
  const it = ev.iterator()
  // overrides may move an occurrence into the window from slightly outside: look a week around it
  const stopAt = options.window.to.getTime() + 7 * 86_400_000
  for (let i = 0; i < MAX_OCCURRENCES_PER_SERIES; i++) {
    const next = it.next()
    if (!next) break
    const details = ev.getOccurrenceDetails(next)
    const original = instantOf(details.recurrenceId, tzidOf(master, 'dtstart'), options.defaultZone)
    if (original.getTime() > stopAt) break
    const item = details.item.component
    const occ = toOccurrence(
      uid,
      item,
      details.startDate,
      details.recurrenceId,
      master,
      options,
      details.endDate,
    )
    if (occ && overlaps(occ, options.window)) out.push(occ)
  }
  // EXDATEs: the slot no longer exists; say so explicitly so an earlier import of it is replaced
  for (const prop of master.getAllProperties('exdate')) {
    for (const value of prop.getValues() as IcalTime[]) {
      const end = value.clone()
      end.addDuration(ev.duration)
      const occ = toOccurrence(uid, master, value, value, master, options, end)
      if (!occ) continue
      occ.status = 'cancelled'
      if (overlaps(occ, options.window)) out.push(occ)
    }
  }
  return out
}

function tzidOf(comp: IcalComponent, prop: string): string | undefined {
  const p = comp.getFirstProperty(prop)
  const tzid = p?.getParameter('tzid')
  return typeof tzid === 'string' ? tzid : undefined
}

interface Placed {
  /** the instant; for a time in an unknown zone, its wall time read as UTC (only to bound the expansion) */
  at: Date
  /** the TZID that names no zone we know: the time cannot be placed */
  unknownZone?: string
}

/**
 * An ICAL.Time as an instant. Times in a zone the document defined (VTIMEZONE) or in UTC are
 * converted by ical.js; a TZID without VTIMEZONE parses as floating, so its wall time is read in
 * the zone the TZID names (an IANA name, or a Windows name as Outlook and Exchange write them,
 * through CLDR); truly floating times (no TZID) use the default zone. A TZID that names no known
 * zone is not guessed: reading it in the default zone would move the meeting by hours, silently.
 */
function place(t: IcalTime, tzidHint: string | undefined, defaultZone: string): Placed {
  const zone = t.zone
  if (zone && zone.tzid !== 'floating') return { at: t.toJSDate() }
  const wall = { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second }
  if (tzidHint === undefined) return { at: wallTimeToUtc(defaultZone, wall) }
  const tz = resolveZone(tzidHint)
  if (tz) return { at: wallTimeToUtc(tz, wall) }
  return {
    at: new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second)),
    unknownZone: tzidHint,
  }
}

const instantOf = (t: IcalTime, tzidHint: string | undefined, defaultZone: string): Date =>
  place(t, tzidHint, defaultZone).at

const pad = (n: number): string => String(n).padStart(2, '0')
const dateOf = (t: IcalTime): string => `${t.year}-${pad(t.month)}-${pad(t.day)}`
const wallOf = (t: IcalTime): string => `${dateOf(t)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`

function eventTime(t: IcalTime, tzidHint: string | undefined, defaultZone: string): EventTime {
  if (t.isDate) return { date: dateOf(t) }
  const placed = place(t, tzidHint, defaultZone)
  // Google's EventDateTime allows a dateTime without offset when `timeZone` names its zone: the
  // wall time goes on as written, and the mapper dead-letters it with the reason (or places it,
  // on a replay once the zone is known)
  if (placed.unknownZone !== undefined) return { dateTime: wallOf(t), timeZone: placed.unknownZone }
  return { dateTime: placed.at.toISOString() }
}

/** The TZIDs of an occurrence's times that name no known zone (the occurrence cannot be placed). */
export function unknownZonesOf(e: CalendarEvent): string[] {
  const zones = new Set<string>()
  for (const t of [e.start, e.end, e.originalStartTime]) {
    if (t?.dateTime && hasNoOffset(t.dateTime) && !resolveZone(t.timeZone)) zones.add(t.timeZone ?? '')
  }
  return [...zones]
}

const PARTSTAT: Record<string, string> = {
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'tentative',
  'NEEDS-ACTION': 'needsAction',
  // a delegated invitation is passed on: the invitee does not attend
  DELEGATED: 'declined',
}

const mailto = (v: unknown): string =>
  String(v ?? '')
    .replace(/^mailto:/i, '')
    .trim()
    .toLowerCase()

function toOccurrence(
  uid: string,
  item: IcalComponent,
  start: IcalTime,
  recurrenceId: IcalTime | null,
  master: IcalComponent,
  options: ExpandOptions,
  endTime?: IcalTime,
): CalendarEvent | null {
  if (!start) return null
  const startHint = tzidOf(item, 'dtstart')
  const ev = new ICAL.Event(item)
  const end = endTime ?? ev.endDate ?? start
  const endHint = tzidOf(item, 'dtend') ?? startHint
  const originalSource = recurrenceId ?? start
  const originalHint = recurrenceId ? tzidOf(master, 'dtstart') : startHint
  const originalStartTime = eventTime(originalSource, originalHint, options.defaultZone)
  const status = String(
    item.getFirstPropertyValue('status') ?? master.getFirstPropertyValue('status') ?? 'CONFIRMED',
  ).toUpperCase()
  const organizer = mailto(
    item.getFirstPropertyValue('organizer') ?? master.getFirstPropertyValue('organizer'),
  )
  const attendees = item.getAllProperties('attendee').map((a) => {
    const cutype = String(a.getParameter('cutype') ?? 'INDIVIDUAL').toUpperCase()
    const email = mailto(a.getFirstValue())
    const partstat = String(a.getParameter('partstat') ?? 'NEEDS-ACTION').toUpperCase()
    return {
      email,
      responseStatus: PARTSTAT[partstat] ?? 'needsAction',
      ...(cutype === 'ROOM' || cutype === 'RESOURCE' ? { resource: true } : {}),
      ...(email === organizer ? { organizer: true } : {}),
    }
  })
  const modified = (item.getFirstPropertyValue('last-modified') ??
    item.getFirstPropertyValue('dtstamp')) as IcalTime | null
  const originalKey = originalStartTime.dateTime ?? originalStartTime.date ?? ''
  const event: CalendarEvent = {
    id: recurrenceId ? `${uid}_${originalKey.replace(/[-:.]/g, '')}` : uid,
    iCalUID: uid,
    status: status === 'CANCELLED' ? 'cancelled' : status === 'TENTATIVE' ? 'tentative' : 'confirmed',
    start: eventTime(start, startHint, options.defaultZone),
    end: eventTime(end, endHint, options.defaultZone),
    // like Google's `singleEvents=true`: only an occurrence of a series has an original start
    // (and a recurringEventId); a single event is known by its UID alone, so moving it replaces it
    ...(recurrenceId ? { originalStartTime } : {}),
    eventType: 'default',
    summary: String(item.getFirstPropertyValue('summary') ?? master.getFirstPropertyValue('summary') ?? ''),
    attendees,
    sequence: Number(item.getFirstPropertyValue('sequence') ?? 0),
  }
  if (recurrenceId) event.recurringEventId = uid
  if (organizer) event.organizer = { email: organizer }
  if (modified) event.updated = modified.toJSDate().toISOString()
  return event
}

function bounds(t: EventTime | undefined): number {
  if (!t) return Number.NaN
  // a wall time in an unknown zone, read as UTC: within a day of the truth, enough for the window
  if (t.dateTime) return Date.parse(hasNoOffset(t.dateTime) ? `${t.dateTime}Z` : t.dateTime)
  // all-day: the date itself, read as UTC; only used to decide whether it falls in the window
  return Date.parse(`${t.date}T00:00:00Z`)
}

function overlaps(e: CalendarEvent, w: IcsWindow): boolean {
  const s = bounds(e.start)
  const end = Math.max(bounds(e.end), s)
  // a zero-length occurrence (cancelled slot) still belongs to the window it starts in
  return s < w.to.getTime() && (end > w.from.getTime() || (end === s && s >= w.from.getTime()))
}
