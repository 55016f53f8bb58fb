import type { RawEnvelope } from '@orgpulse/contracts'
import { z } from 'zod'
import type { Classification, MeetingShape } from './classify.ts'

/**
 * The event fields the connector reads, in the Google Calendar API v3 `Event` shape. ICS
 * occurrences are converted into the same shape so one mapper serves both.
 */
const eventTime = z.object({
  date: z.string().optional(),
  dateTime: z.string().optional(),
  timeZone: z.string().optional(),
})
export type EventTime = z.infer<typeof eventTime>

export const calendarEventSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['confirmed', 'tentative', 'cancelled']).optional(),
  iCalUID: z.string().optional(),
  recurringEventId: z.string().optional(),
  originalStartTime: eventTime.optional(),
  start: eventTime.optional(),
  end: eventTime.optional(),
  eventType: z.string().optional(),
  summary: z.string().optional(),
  organizer: z.object({ email: z.string().optional(), self: z.boolean().optional() }).loose().optional(),
  attendees: z
    .array(
      z
        .object({
          email: z.string().optional(),
          responseStatus: z.string().optional(),
          organizer: z.boolean().optional(),
          self: z.boolean().optional(),
          resource: z.boolean().optional(),
          optional: z.boolean().optional(),
        })
        .loose(),
    )
    .optional(),
  updated: z.string().optional(),
  sequence: z.number().optional(),
  transparency: z.string().optional(),
  /** Microsoft Graph's `isOnlineMeeting`/`onlineMeetingProvider` (never the join URL): kept in the raw record, no metric reads it yet */
  online: z.object({ isOnlineMeeting: z.boolean(), provider: z.string().optional() }).optional(),
})
export type CalendarEvent = z.infer<typeof calendarEventSchema>

/**
 * The only fields that may leave the ingest service. An allowlist rather than a blocklist: a new
 * free-text field in the vendor's payload (summary, description, location, attendee comments,
 * out-of-office decline messages, conference notes, ...) can never slip into the raw topic.
 */
export function sanitizeEvent(e: CalendarEvent): Omit<CalendarEvent, 'summary'> {
  const out: Omit<CalendarEvent, 'summary'> = { id: e.id }
  if (e.status) out.status = e.status
  if (e.iCalUID) out.iCalUID = e.iCalUID
  if (e.recurringEventId) out.recurringEventId = e.recurringEventId
  if (e.originalStartTime) out.originalStartTime = pickTime(e.originalStartTime)
  if (e.start) out.start = pickTime(e.start)
  if (e.end) out.end = pickTime(e.end)
  if (e.eventType) out.eventType = e.eventType
  if (e.organizer) out.organizer = pickDefined({ email: e.organizer.email, self: e.organizer.self })
  if (e.attendees) {
    out.attendees = e.attendees.map((a) =>
      pickDefined({
        email: a.email,
        responseStatus: a.responseStatus,
        organizer: a.organizer,
        self: a.self,
        resource: a.resource,
        optional: a.optional,
      }),
    )
  }
  if (e.updated) out.updated = e.updated
  if (e.sequence !== undefined) out.sequence = e.sequence
  if (e.transparency) out.transparency = e.transparency
  if (e.online)
    out.online = pickDefined({ isOnlineMeeting: e.online.isOnlineMeeting, provider: e.online.provider })
  return out
}

const pickTime = (t: EventTime): EventTime =>
  pickDefined({ date: t.date, dateTime: t.dateTime, timeZone: t.timeZone })

function pickDefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

/** Human attendees' emails (rooms and resources are not people). */
export function humanAttendees(e: CalendarEvent): string[] {
  return (e.attendees ?? [])
    .filter((a) => !a.resource && a.email)
    .map((a) => (a.email as string).toLowerCase())
}

export const meetingShape = (e: CalendarEvent, owner: string): MeetingShape => ({
  title: e.summary ?? '',
  organizer: (e.organizer?.email ?? owner).toLowerCase(),
  attendees: humanAttendees(e),
})

export interface CalendarMeta {
  /** whose calendar this copy of the event was read from */
  calendar: string
  via: 'google' | 'ics' | 'msgraph'
  [key: string]: unknown
}

/**
 * The raw envelope for one calendar event: the vendor payload minus every free-text field, plus
 * the classification made here. This is the one deliberate exception to "raw payloads unchanged"
 * (DESIGN "Privacy and access"): titles and descriptions must never reach Kafka.
 */
export function calendarEnvelope(
  e: CalendarEvent,
  classification: Classification,
  meta: CalendarMeta,
  fetchedAt: string,
): RawEnvelope {
  return {
    source: 'calendar',
    entity: 'event',
    sourceId: `${meta.calendar}/${e.id}`,
    fetchedAt,
    meta,
    payload: { ...sanitizeEvent(e), classification },
  }
}
