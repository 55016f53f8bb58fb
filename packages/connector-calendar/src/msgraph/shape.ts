import { z } from 'zod'
import type { CalendarEvent } from '../payload.ts'

/**
 * Microsoft Graph's event resource (https://learn.microsoft.com/en-us/graph/api/resources/event)
 * → the Google Calendar v3 event shape the mapper reads, so Outlook meetings become the same
 * canonical `meeting.held` occurrences as Google's and the meeting metrics cannot differ:
 * - `iCalUId` is the occurrence's identity across mailboxes; `seriesMasterId` + `originalStart`
 *   (UTC) of an occurrence or exception play Google's `recurringEventId` + `originalStartTime`
 *   (calendarView returns the instances expanded, never the series master);
 * - `start`/`end` keep Graph's wall time and zone (UTC as asked, or a Windows name the mapper
 *   resolves through CLDR windowsZones); an all-day event (`isAllDay`) becomes a `date`;
 * - `isCancelled` → status cancelled; `showAs: oof` → eventType outOfOffice (absence, not
 *   meeting time, as Google's out-of-office events); `free` → transparency transparent;
 * - attendees: `type: resource` → resource (rooms are not people; a room added by name has no
 *   address at all and is dropped with the others without one), `status.response` → Google's
 *   responseStatus, and the mailbox owner's own answer (`responseStatus`, which is where Graph
 *   puts it) over whatever their entry says;
 * - `subject` becomes `summary`: read by the classifier, dropped before publishing (payload.ts's
 *   allowlist), like body, bodyPreview, location and the online meeting's join URL, which are
 *   never copied at all.
 */

const dateTimeTimeZone = z.object({ dateTime: z.string(), timeZone: z.string().optional() }).loose()
const emailAddress = z.object({ address: z.string().nullish() }).loose()

const graphEventSchema = z
  .object({
    id: z.string().min(1),
    iCalUId: z.string().nullish(),
    type: z.string().nullish(),
    seriesMasterId: z.string().nullish(),
    originalStart: z.string().nullish(),
    subject: z.string().nullish(),
    start: dateTimeTimeZone.nullish(),
    end: dateTimeTimeZone.nullish(),
    isAllDay: z.boolean().nullish(),
    isCancelled: z.boolean().nullish(),
    showAs: z.string().nullish(),
    responseStatus: z.object({ response: z.string().nullish() }).loose().nullish(),
    organizer: z.object({ emailAddress: emailAddress.nullish() }).loose().nullish(),
    attendees: z
      .array(
        z
          .object({
            type: z.string().nullish(),
            status: z.object({ response: z.string().nullish() }).loose().nullish(),
            emailAddress: emailAddress.nullish(),
          })
          .loose(),
      )
      .nullish(),
    isOnlineMeeting: z.boolean().nullish(),
    onlineMeetingProvider: z.string().nullish(),
    lastModifiedDateTime: z.string().nullish(),
    '@removed': z.object({ reason: z.string().optional() }).loose().optional(),
  })
  .loose()
export type GraphEvent = z.infer<typeof graphEventSchema>

/** Graph's `responseType` → Google's responseStatus */
const RESPONSES: Record<string, string> = {
  none: 'needsAction',
  notResponded: 'needsAction',
  organizer: 'accepted',
  accepted: 'accepted',
  tentativelyAccepted: 'tentative',
  declined: 'declined',
}

/**
 * What the sync remembers of each event it published from a mailbox: a deletion arrives as
 * `{id, "@removed": {reason}}` and nothing else (https://learn.microsoft.com/en-us/graph/delta-query-events),
 * yet the occurrence it cancels is named by its iCalUId and original start.
 */
export interface PublishedIdentity {
  iCalUID: string
  /** Google-shaped original start: `{dateTime}` (UTC) or `{date}` */
  original: { dateTime?: string; date?: string }
  recurring: boolean
  organizer?: string
  /** the event's lastModifiedDateTime when published */
  updated?: string
}

export type GraphItem =
  | { kind: 'event'; event: CalendarEvent; identity: PublishedIdentity | null }
  | { kind: 'removed'; id: string }
  /** a series master or an event Graph sent without times: nothing to publish */
  | { kind: 'skip'; id: string; why: string }

const dateOf = (t: { dateTime: string }): string => t.dateTime.slice(0, 10)

/** One item of a delta page, read against the mailbox it came from. */
export function readGraphItem(raw: unknown, mailbox: string): GraphItem {
  const parsed = graphEventSchema.safeParse(raw)
  if (!parsed.success) {
    const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : '?'
    return { kind: 'skip', id, why: `unreadable event: ${parsed.error.issues[0]?.message}` }
  }
  const g = parsed.data
  if (g['@removed']) return { kind: 'removed', id: g.id }
  if (g.type === 'seriesMaster') return { kind: 'skip', id: g.id, why: 'series master' }
  if (!g.start || !g.end) return { kind: 'skip', id: g.id, why: 'no start or end' }
  const owner = mailbox.toLowerCase()
  const allDay = g.isAllDay === true
  const time = (t: z.infer<typeof dateTimeTimeZone>) =>
    allDay ? { date: dateOf(t) } : { dateTime: t.dateTime, ...(t.timeZone ? { timeZone: t.timeZone } : {}) }
  const recurring = Boolean(g.seriesMasterId) || g.type === 'occurrence' || g.type === 'exception'
  const original = recurring
    ? g.originalStart
      ? allDay
        ? { date: g.originalStart.slice(0, 10) }
        : { dateTime: g.originalStart }
      : time(g.start)
    : undefined
  const organizer = g.organizer?.emailAddress?.address?.toLowerCase() || undefined
  const own = g.responseStatus?.response ? RESPONSES[g.responseStatus.response] : undefined
  const attendees = (g.attendees ?? []).map((a) => {
    const email = a.emailAddress?.address?.toLowerCase() || undefined
    const said = a.status?.response ? RESPONSES[a.status.response] : undefined
    const response = email && email === owner && own ? own : said
    return {
      ...(email ? { email } : {}),
      ...(response ? { responseStatus: response } : {}),
      ...(a.type === 'resource' ? { resource: true } : {}),
      ...(a.type === 'optional' ? { optional: true } : {}),
      ...(email === owner ? { self: true } : {}),
      ...(email && email === organizer ? { organizer: true } : {}),
    }
  })
  const event: CalendarEvent = {
    id: g.id,
    status: g.isCancelled ? 'cancelled' : 'confirmed',
    ...(g.iCalUId ? { iCalUID: g.iCalUId } : {}),
    ...(recurring && g.seriesMasterId ? { recurringEventId: g.seriesMasterId } : {}),
    ...(original ? { originalStartTime: original } : {}),
    start: time(g.start),
    end: time(g.end),
    eventType: g.showAs === 'oof' ? 'outOfOffice' : 'default',
    summary: g.subject ?? '',
    ...(organizer ? { organizer: { email: organizer, ...(organizer === owner ? { self: true } : {}) } } : {}),
    attendees,
    ...(g.lastModifiedDateTime ? { updated: g.lastModifiedDateTime } : {}),
    ...(g.showAs === 'free' ? { transparency: 'transparent' } : {}),
    ...(g.isOnlineMeeting != null
      ? {
          online: {
            isOnlineMeeting: g.isOnlineMeeting,
            ...(g.onlineMeetingProvider ? { provider: g.onlineMeetingProvider } : {}),
          },
        }
      : {}),
  }
  const identity: PublishedIdentity | null = g.iCalUId
    ? {
        iCalUID: g.iCalUId,
        original: original ?? time(g.start),
        recurring,
        ...(organizer ? { organizer } : {}),
        ...(g.lastModifiedDateTime ? { updated: g.lastModifiedDateTime } : {}),
      }
    : null
  return { kind: 'event', event, identity }
}

/**
 * The cancellation a `@removed` item stands for, from what was published for that id: the same
 * occurrence, cancelled, as of when the removal was read. Graph gives no time for a deletion, and
 * the other mailboxes' copies may carry any later lastModifiedDateTime (an attendee answered after
 * the organiser's last edit): only the reading time is sure to be newer than every copy of what
 * was cancelled.
 */
export function removedAsCancelled(id: string, known: PublishedIdentity, removedAt: string): CalendarEvent {
  return {
    id,
    status: 'cancelled',
    iCalUID: known.iCalUID,
    ...(known.recurring ? { originalStartTime: known.original } : {}),
    start: known.original,
    end: known.original,
    ...(known.organizer ? { organizer: { email: known.organizer } } : {}),
    updated: removedAt,
  }
}
