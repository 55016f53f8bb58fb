import type { Mapper } from '@orgpulse/connector'
import {
  type CanonicalEventInput,
  eventId,
  formatIssues,
  MEETING_CLASSES,
  normaliseIdentity,
  type RawEnvelope,
  RESPONSES,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { z } from 'zod'
import { resolveZone, wallTimeToUtc } from './zones.ts'

/**
 * Calendar events → `meeting.held`, one per occurrence. The payload is a Google Calendar v3 event
 * (ICS occurrences arrive in the same shape) with every free-text field already removed by the
 * ingest service and its `classification` added there (titles never get this far).
 */
const time = z
  .object({ date: z.string().optional(), dateTime: z.string().optional(), timeZone: z.string().optional() })
  .loose()

const payloadSchema = z
  .object({
    id: z.string().min(1),
    status: z.string().optional(),
    iCalUID: z.string().optional(),
    recurringEventId: z.string().optional(),
    originalStartTime: time.optional(),
    start: time.optional(),
    end: time.optional(),
    eventType: z.string().optional(),
    organizer: z.object({ email: z.string().optional() }).loose().optional(),
    attendees: z
      .array(
        z
          .object({
            email: z.string().optional(),
            responseStatus: z.string().optional(),
            resource: z.boolean().optional(),
          })
          .loose(),
      )
      .optional(),
    updated: z.string().optional(),
    classification: z.object({
      class: z.enum(MEETING_CLASSES),
      ritual: z.string().default(''),
      classifiedAt: z.string().optional(),
    }),
  })
  .loose()
type Payload = z.infer<typeof payloadSchema>

/**
 * Google event types that are not meetings: focus blocks, where-I-work markers, birthdays.
 * Out-of-office events are kept as `out_of_office` occurrences: not meeting time, but not free
 * for focus either.
 */
const NOT_MEETINGS = new Set(['focusTime', 'workingLocation', 'birthday'])

/** The identity of an attendee outside `internalDomains`: counted, never identified. */
export const EXTERNAL_IDENTITY = 'external'

/** `YYYY-MM-DD` for all-day, else the instant in UTC: the occurrence's key and its bounds. */
function instantOf(t: z.infer<typeof time> | undefined): { iso: string; allDay: boolean } | null {
  if (!t) return null
  if (t.dateTime) {
    const wall = WALL_TIME.exec(t.dateTime.trim())
    if (wall) return { iso: wallInstant(wall, t.timeZone), allDay: false }
    const ms = Date.parse(t.dateTime)
    return Number.isNaN(ms) ? null : { iso: new Date(ms).toISOString(), allDay: false }
  }
  if (t.date && /^\d{4}-\d{2}-\d{2}$/.test(t.date)) return { iso: `${t.date}T00:00:00.000Z`, allDay: true }
  return null
}

/**
 * A date-time without an offset is a wall time in `timeZone` (Google: "A time zone offset is
 * required unless a time zone is explicitly specified in timeZone"); an ICS occurrence whose TZID
 * names no zone we know arrives so. Read anywhere else it would be hours off, so it is rejected.
 */
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$/

function wallInstant(m: RegExpExecArray, timeZone: string | undefined): string {
  const wall = m[0]
  const zone = resolveZone(timeZone)
  if (!zone) {
    throw new RejectedRecord(
      timeZone
        ? `unknown time zone "${timeZone}" for ${wall}: neither an IANA nor a Windows (CLDR windowsZones) zone name, and no VTIMEZONE in the file defines it; the occurrence cannot be placed in time (add the VTIMEZONE to the export or use an IANA TZID, then replay)`
        : `calendar time ${wall} has neither a UTC offset nor a time zone: the occurrence cannot be placed in time`,
    )
  }
  const n = (i: number): number => Number(m[i] ?? 0)
  return wallTimeToUtc(zone, {
    year: n(1),
    month: n(2),
    day: n(3),
    hour: n(4),
    minute: n(5),
    second: n(6),
  }).toISOString()
}

const domainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1)

function isInternal(email: string, internalDomains: readonly string[]): boolean {
  // no domains configured: nothing can be told apart, so everyone counts as internal
  if (internalDomains.length === 0) return true
  const d = domainOf(email)
  return internalDomains.some((dom) => d === dom || d.endsWith(`.${dom}`))
}

const RESPONSE_SET = new Set<string>(RESPONSES)

export const mapCalendar: Mapper = (envelope: RawEnvelope, ctx) => {
  if (envelope.entity !== 'event')
    throw new RejectedRecord(`unknown calendar entity "${envelope.entity}" (expected "event")`)
  const parsed = payloadSchema.safeParse(envelope.payload)
  if (!parsed.success) {
    throw new RejectedRecord(`invalid calendar event: ${formatIssues(parsed.error).join('; ')}`)
  }
  const e: Payload = parsed.data
  if (e.eventType && NOT_MEETINGS.has(e.eventType)) return []
  const away = e.eventType === 'outOfOffice' || e.classification.class === 'out_of_office'
  const owner = typeof envelope.meta?.calendar === 'string' ? envelope.meta.calendar.toLowerCase() : ''
  const internalDomains = ctx.config.calendar?.internalDomains ?? []
  const cancelled = e.status === 'cancelled'

  const original = instantOf(e.originalStartTime) ?? instantOf(e.start)
  if (!e.iCalUID || !original) {
    throw new RejectedRecord(
      `calendar event ${e.id}${cancelled ? ' (cancelled)' : ''} has no ${e.iCalUID ? 'start' : 'iCalUID'}: the occurrence cannot be identified${
        !e.iCalUID && e.recurringEventId
          ? ` (an instance of series ${e.recurringEventId}, whose own event could not be read for its iCalUID)`
          : ''
      }`,
    )
  }
  const start = instantOf(e.start) ?? original
  const end = instantOf(e.end) ?? start
  if (Date.parse(end.iso) < Date.parse(start.iso))
    throw new RejectedRecord(`calendar event ${e.id} ends before it starts`)

  const organizerEmail = (e.organizer?.email ?? owner).toLowerCase()
  // Google shows a meeting as cancelled on the calendar of an attendee who was removed from it
  // (or who deleted it), and so does Exchange (`isCancelled`, or the copy deleted: `@removed`):
  // only the organiser's copy can cancel an internally organised meeting, and the org-wide sync
  // reads the organiser's calendar too. ICS exports carry the organiser's STATUS:CANCELLED, so
  // they are taken as they are.
  if (
    cancelled &&
    (envelope.meta?.via === 'google' || envelope.meta?.via === 'msgraph') &&
    owner &&
    owner !== organizerEmail &&
    isInternal(organizerEmail, internalDomains)
  ) {
    return []
  }
  const humans = (e.attendees ?? []).filter((a) => !a.resource && a.email)
  // a block with nobody else on it (lunch, a personal reminder) is not a meeting; a
  // cancellation still goes through, so it can replace an occurrence stored earlier
  const participants = new Set(
    [organizerEmail, ...humans.map((a) => (a.email as string).toLowerCase())].filter(Boolean),
  )
  if (!cancelled && participants.size < 2 && !away) return []

  const attendees: { person: string; response: (typeof RESPONSES)[number] }[] = []
  let external = 0
  const seen = new Set<string>()
  for (const a of humans) {
    const email = (a.email as string).toLowerCase()
    if (seen.has(email)) continue
    seen.add(email)
    if (!isInternal(email, internalDomains)) {
      external++
      continue
    }
    const response = a.responseStatus && RESPONSE_SET.has(a.responseStatus) ? a.responseStatus : 'needsAction'
    attendees.push({ person: normaliseIdentity(email), response: response as (typeof RESPONSES)[number] })
  }
  const organizer = !organizerEmail
    ? EXTERNAL_IDENTITY
    : isInternal(organizerEmail, internalDomains)
      ? normaliseIdentity(organizerEmail)
      : EXTERNAL_IDENTITY

  // the same occurrence on every attendee's calendar (and in an ICS export) gets the same key: an
  // occurrence of a series its UID and original start, a single event its UID alone, so a moved
  // single event replaces its earlier time instead of adding a second meeting
  const recurring = e.recurringEventId !== undefined || e.originalStartTime !== undefined
  const meetingId = recurring
    ? `${e.iCalUID}|${original.allDay ? original.iso.slice(0, 10) : original.iso}`
    : e.iCalUID
  const updated = Date.parse(e.updated ?? '')
  const read = Number.isNaN(updated) ? Date.parse(envelope.fetchedAt) || 0 : updated
  // a re-read with new rules is a newer version of an unchanged event: same meeting id, the
  // class it has now (a later change in the source still wins, its `updated` being later)
  const classified = Date.parse(e.classification.classifiedAt ?? '')
  const version = Number.isNaN(classified) ? read : Math.max(read, classified)
  const event: CanonicalEventInput = {
    type: 'meeting.held',
    id: eventId('calendar', meetingId, String(version)),
    source: 'calendar',
    sourceId: e.id,
    occurredAt: start.iso,
    version,
    meetingId,
    start: start.iso,
    end: end.iso,
    allDay: start.allDay,
    cancelled,
    class: away ? 'out_of_office' : e.classification.class,
    ritual: !away && e.classification.class === 'ritual' ? e.classification.ritual : '',
    organizer,
    attendees,
    externalAttendees: external,
  }
  return [event]
}
