import { type GraphRoute, graphError, sendJson } from './server.ts'

/**
 * Mailbox calendars as Microsoft Graph v1.0 serves them to `GET /users/{id}/calendarView/delta`,
 * from the documented shapes:
 * - the event resource, https://learn.microsoft.com/en-us/graph/api/resources/event: `start`/`end`
 *   as `dateTimeTimeZone` (`2026-10-26T10:00:00.0000000` + a zone name, Windows names as Outlook
 *   writes them, e.g. "W. Europe Standard Time"), `isAllDay`, `isCancelled`, `isOrganizer`,
 *   `showAs` (free, tentative, busy, oof, workingElsewhere, unknown), `type` (singleInstance,
 *   occurrence, exception, seriesMaster), `seriesMasterId`, `originalStart` (UTC, "not returned
 *   for events that are single instances"), `iCalUId`, `responseStatus` (the mailbox owner's own
 *   answer), `attendees[]` with `type` (required, optional, resource), `status.response` and
 *   `emailAddress` (a room added by name only has no `address`), `organizer.emailAddress`,
 *   `isOnlineMeeting`/`onlineMeetingProvider`/`onlineMeeting.joinUrl`, `subject`, `body`,
 *   `bodyPreview`, `lastModifiedDateTime`;
 * - calendarView delta, https://learn.microsoft.com/en-us/graph/api/event-delta and
 *   https://learn.microsoft.com/en-us/graph/delta-query-events: the first request names
 *   `startDateTime`/`endDateTime`; pages link on with `@odata.nextLink` (`$skiptoken`), the last
 *   page carries `@odata.deltaLink` (`$deltatoken`); the tokens encode the window and every other
 *   parameter (later requests repeat none); occurrences and exceptions of a series come expanded,
 *   the series master does not; a later round returns what changed since, and an event deleted
 *   or moved out of the window as `{"@odata.type": "#microsoft.graph.event", "id": …,
 *   "@removed": {"reason": "deleted"}}` — its id and nothing else; `Prefer: odata.maxpagesize=N`
 *   and `Prefer: outlook.timezone="…"` (default UTC) apply to each request;
 *   a token the service no longer knows answers 410 Gone (a new full round is needed,
 *   https://learn.microsoft.com/en-us/graph/delta-query-overview);
 * - throttling, https://learn.microsoft.com/en-us/graph/throttling and
 *   https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits: 429 with
 *   `Retry-After` (seconds), code `ApplicationThrottled`, "Application is over its
 *   MailboxConcurrency limit." past 4 concurrent requests per app and mailbox; 503/504 with
 *   `Retry-After` too;
 * - errors: 404 `ErrorInvalidUser` for an unknown user, 404 `MailboxNotEnabledForRESTAPI` for a
 *   user without an Exchange Online mailbox, 403 `ErrorAccessDenied` without Calendars.Read.
 */

export interface GraphDateTimeTimeZone {
  dateTime: string
  timeZone: string
}

export interface GraphEmailAddress {
  name?: string
  address?: string
}

/** Graph's responseType */
export type GraphResponse =
  | 'none'
  | 'organizer'
  | 'tentativelyAccepted'
  | 'accepted'
  | 'declined'
  | 'notResponded'

export interface FakeGraphEvent {
  id: string
  iCalUId?: string
  type?: 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster'
  seriesMasterId?: string | null
  /** UTC instant (`2026-10-19T08:00:00Z`), on occurrences and exceptions only */
  originalStart?: string
  subject?: string
  body?: { contentType: 'html' | 'text'; content: string }
  /** the wall time in its zone, as Outlook stores it */
  start: GraphDateTimeTimeZone
  end: GraphDateTimeTimeZone
  isAllDay?: boolean
  isCancelled?: boolean
  isOrganizer?: boolean
  showAs?: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown'
  responseStatus?: { response: GraphResponse; time?: string }
  organizer?: { emailAddress: GraphEmailAddress }
  attendees?: {
    type: 'required' | 'optional' | 'resource'
    status?: { response: GraphResponse; time?: string }
    emailAddress: GraphEmailAddress
  }[]
  isOnlineMeeting?: boolean
  onlineMeetingProvider?: 'unknown' | 'teamsForBusiness' | 'skypeForBusiness' | 'skypeForConsumer'
  onlineMeeting?: { joinUrl: string } | null
  location?: { displayName: string }
  lastModifiedDateTime?: string
  [key: string]: unknown
}

export type ThrottleStatus = 429 | 503 | 504

interface Stored {
  event: FakeGraphEvent
  seq: number
  removed: boolean
}

interface Mailbox {
  events: Map<string, Stored>
  epoch: number
  inFlight: number
  maxInFlight: number
}

/**
 * CLDR windowsZones (https://github.com/unicode-org/cldr/blob/main/common/supplemental/windowsZones.xml,
 * territory 001) for the zones the tests use; the fake's own copy, so the connector's mapping is
 * checked against it rather than against itself.
 */
const WINDOWS_ZONES: Record<string, string> = {
  UTC: 'UTC',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'GMT Standard Time': 'Europe/London',
  'Eastern Standard Time': 'America/New_York',
  'Pacific Standard Time': 'America/Los_Angeles',
  'India Standard Time': 'Asia/Calcutta',
  'Tokyo Standard Time': 'Asia/Tokyo',
}

function iana(zone: string): string {
  const z = WINDOWS_ZONES[zone] ?? zone
  // throws RangeError for a name Intl does not know
  new Intl.DateTimeFormat('en-US', { timeZone: z })
  return z
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/

function wallParts(ms: number, zone: string): number[] {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(ms)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>
  return [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second] as number[]
}

/** the instant a wall time in `zone` names */
export function instantOf(t: GraphDateTimeTimeZone): number {
  const m = WALL.exec(t.dateTime)
  if (!m) throw new Error(`fake msgraph: bad dateTime ${t.dateTime}`)
  const zone = iana(t.timeZone)
  const n = (i: number) => Number(m[i] ?? 0)
  const asUtc = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6))
  const offsetAt = (ms: number) => {
    const [y, mo, d, h, mi, s] = wallParts(ms, zone) as [number, number, number, number, number, number]
    return Date.UTC(y, mo - 1, d, h, mi, s) - ms
  }
  const first = asUtc - offsetAt(asUtc)
  return asUtc - offsetAt(first)
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** an instant as Graph writes it in the requested zone: wall time with seven fractional digits */
function inZone(ms: number, zone: string): GraphDateTimeTimeZone {
  const [y, mo, d, h, mi, s] = wallParts(ms, iana(zone)) as [number, number, number, number, number, number]
  return { dateTime: `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.0000000`, timeZone: zone }
}

/** `Prefer: odata.maxpagesize=2, outlook.timezone="UTC"` (one header or several, joined by commas) */
function preferences(header: string | string[] | undefined): { pageSize?: number; timeZone?: string } {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '')
  const out: { pageSize?: number; timeZone?: string } = {}
  for (const m of text.matchAll(/([\w.]+)\s*=\s*("([^"]*)"|[^,\s]+)/g)) {
    const key = (m[1] as string).toLowerCase()
    const value = m[3] ?? (m[2] as string)
    if (key === 'odata.maxpagesize') out.pageSize = Number(value)
    if (key === 'outlook.timezone') out.timeZone = value
  }
  return out
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
const unb64 = <T>(s: string): T | null => {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T
  } catch {
    return null
  }
}

interface RoundToken {
  mb: string
  start: number
  end: number
  /** changes after this sequence number */
  since: number
  /** the snapshot the round reads */
  upTo: number
  offset: number
  epoch: number
}

export interface FakeGraphCalendarOptions {
  mailboxes?: Record<string, FakeGraphEvent[]>
  /** users of the tenant without an Exchange Online mailbox */
  noMailbox?: string[]
  /** how long each calendar request takes (so concurrent requests overlap) */
  latencyMs?: number
}

export interface FakeGraphCalendar {
  route: GraphRoute
  upsertEvent(mailbox: string, event: FakeGraphEvent): void
  /** deletes an event from a mailbox: delta rounds after it report `@removed` with its id only */
  removeEvent(mailbox: string, id: string): void
  /** forgets every delta and skip token handed out so far (410 Gone) */
  expireDeltaTokens(mailbox?: string): void
  /** the next `count` calendar requests (on `mailbox`, or any) answer with this throttling status and Retry-After */
  failNext(count: number, status?: ThrottleStatus, retryAfterSeconds?: number, mailbox?: string): void
  /** the most requests that were in flight at once on a mailbox */
  maxInFlight(mailbox: string): number
}

const MAILBOX_CONCURRENCY = 4

export function fakeGraphCalendar(o: FakeGraphCalendarOptions = {}): FakeGraphCalendar {
  const mailboxes = new Map<string, Mailbox>()
  const noMailbox = new Set((o.noMailbox ?? []).map((e) => e.toLowerCase()))
  let seq = 0
  let failures: { status: ThrottleStatus; retryAfter?: number; mailbox?: string }[] = []

  const mailboxOf = (email: string): Mailbox => {
    const key = email.toLowerCase()
    let m = mailboxes.get(key)
    if (!m) {
      m = { events: new Map(), epoch: 1, inFlight: 0, maxInFlight: 0 }
      mailboxes.set(key, m)
    }
    return m
  }
  const upsert = (mailbox: string, event: FakeGraphEvent) => {
    seq++
    const stamp = new Date(Date.parse('2026-01-01T00:00:00Z') + seq * 1000).toISOString()
    mailboxOf(mailbox).events.set(event.id, {
      event: { ...event, lastModifiedDateTime: event.lastModifiedDateTime ?? stamp },
      seq,
      removed: false,
    })
  }
  for (const [email, events] of Object.entries(o.mailboxes ?? {})) {
    mailboxOf(email)
    for (const e of events) upsert(email, e)
  }

  const overlaps = (e: FakeGraphEvent, start: number, end: number) => {
    const s = e.isAllDay ? Date.parse(`${e.start.dateTime.slice(0, 10)}T00:00:00Z`) : instantOf(e.start)
    const en = e.isAllDay ? Date.parse(`${e.end.dateTime.slice(0, 10)}T00:00:00Z`) : instantOf(e.end)
    return s < end && en > start
  }

  /** the event as Graph sends it: every property, times in the requested zone */
  const asSent = (e: FakeGraphEvent, zone: string, owner: string): Record<string, unknown> => {
    const times = e.isAllDay
      ? {
          start: { dateTime: `${e.start.dateTime.slice(0, 10)}T00:00:00.0000000`, timeZone: zone },
          end: { dateTime: `${e.end.dateTime.slice(0, 10)}T00:00:00.0000000`, timeZone: zone },
        }
      : { start: inZone(instantOf(e.start), zone), end: inZone(instantOf(e.end), zone) }
    const isOrganizer = e.isOrganizer ?? e.organizer?.emailAddress.address?.toLowerCase() === owner
    return {
      '@odata.type': '#microsoft.graph.event',
      '@odata.etag': `W/"${Buffer.from(e.lastModifiedDateTime ?? '').toString('base64')}"`,
      createdDateTime: e.lastModifiedDateTime,
      changeKey: Buffer.from(`${e.id}${e.lastModifiedDateTime}`).toString('base64').slice(0, 24),
      categories: [],
      transactionId: null,
      originalStartTimeZone: e.start.timeZone,
      originalEndTimeZone: e.end.timeZone,
      reminderMinutesBeforeStart: 15,
      isReminderOn: true,
      hasAttachments: false,
      bodyPreview: (e.body?.content ?? '').slice(0, 255),
      importance: 'normal',
      sensitivity: 'normal',
      isAllDay: false,
      isCancelled: false,
      responseRequested: true,
      seriesMasterId: null,
      showAs: 'busy',
      type: 'singleInstance',
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(e.id)}&exvsurl=1&path=/calendar/item`,
      onlineMeetingUrl: null,
      isOnlineMeeting: false,
      onlineMeetingProvider: 'unknown',
      allowNewTimeProposals: true,
      isDraft: false,
      hideAttendees: false,
      recurrence: null,
      onlineMeeting: null,
      location: {
        displayName: '',
        locationType: 'default',
        uniqueIdType: 'unknown',
        address: {},
        coordinates: {},
      },
      locations: [],
      body: { contentType: 'html', content: '' },
      attendees: [],
      ...e,
      ...times,
      isOrganizer,
      responseStatus: e.responseStatus ?? {
        response: isOrganizer ? 'organizer' : 'none',
        time: '0001-01-01T00:00:00Z',
      },
    }
  }

  const route: GraphRoute = async ({ path, url, req, res, roles }) => {
    const m = /^users\/([^/]+)\/calendarView\/delta$/i.exec(path)
    if (!m) return null
    if (req.method !== 'GET') return graphError(res, 405, 'Request_BadRequest', 'Method not allowed.')
    if (!roles.some((r) => r === 'Calendars.Read' || r === 'Calendars.ReadWrite'))
      return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
    const user = decodeURIComponent(m[1] as string).toLowerCase()
    if (noMailbox.has(user))
      return graphError(
        res,
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      )
    const mb = mailboxes.get(user)
    if (!mb) return graphError(res, 404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`)
    const failure = failures.find((f) => !f.mailbox || f.mailbox === user)
    if (failure) {
      failures = failures.filter((f) => f !== failure)
      const headers: Record<string, string> =
        failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {}
      if (failure.status === 429)
        return graphError(
          res,
          429,
          'ApplicationThrottled',
          'Application is over its MailboxConcurrency limit.',
          headers,
        )
      return failure.status === 503
        ? graphError(res, 503, 'ServiceUnavailable', 'Service is temporarily unavailable.', headers)
        : graphError(res, 504, 'UnknownError', '', headers)
    }
    if (mb.inFlight >= MAILBOX_CONCURRENCY)
      return graphError(
        res,
        429,
        'ApplicationThrottled',
        'Application is over its MailboxConcurrency limit.',
        {
          'retry-after': '1',
        },
      )
    mb.inFlight++
    mb.maxInFlight = Math.max(mb.maxInFlight, mb.inFlight)
    try {
      if (o.latencyMs) await new Promise((r) => setTimeout(r, o.latencyMs))
      return page(mb, user, url, req.headers.prefer, res)
    } finally {
      mb.inFlight--
    }
  }

  function page(
    mb: Mailbox,
    user: string,
    url: URL,
    prefer: string | string[] | undefined,
    res: Parameters<GraphRoute>[0]['res'],
  ): number {
    const q = url.searchParams
    const skip = q.get('$skiptoken')
    const delta = q.get('$deltatoken')
    let state: RoundToken
    if (skip || delta) {
      const t = unb64<RoundToken>((skip ?? delta) as string)
      if (!t || t.mb !== user) return graphError(res, 400, 'ErrorInvalidUrlQuery', 'The token is not valid.')
      if (t.epoch !== mb.epoch)
        return graphError(res, 410, 'SyncStateNotFound', 'The sync state is no longer available: sync again.')
      // a delta link starts a new round from what the last one had read
      state = delta ? { ...t, since: t.upTo, upTo: seq, offset: 0 } : t
    } else {
      const from = Date.parse(q.get('startDateTime') ?? q.get('StartDateTime') ?? '')
      const to = Date.parse(q.get('endDateTime') ?? q.get('EndDateTime') ?? '')
      if (Number.isNaN(from) || Number.isNaN(to))
        return graphError(
          res,
          400,
          'ErrorInvalidParameter',
          'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
        )
      state = { mb: user, start: from, end: to, since: 0, upTo: seq, offset: 0, epoch: mb.epoch }
    }
    const prefs = preferences(prefer)
    const zone = prefs.timeZone ?? 'UTC'
    try {
      iana(zone)
    } catch {
      return graphError(res, 400, 'ErrorTimeZoneNotSupported', `Time zone '${zone}' is not supported.`)
    }
    const size = prefs.pageSize && prefs.pageSize > 0 ? prefs.pageSize : 10
    const items: Record<string, unknown>[] = []
    const changed = [...mb.events.values()]
      .filter((s) => s.seq > state.since && s.seq <= state.upTo && s.event.type !== 'seriesMaster')
      .sort((a, b) => a.seq - b.seq)
    for (const s of changed) {
      const inWindow = !s.removed && overlaps(s.event, state.start, state.end)
      if (inWindow) items.push(asSent(s.event, zone, user))
      // the first round lists what is there; later ones also what went away
      else if (state.since > 0)
        items.push({
          '@odata.type': '#microsoft.graph.event',
          id: s.event.id,
          '@removed': { reason: 'deleted' },
        })
    }
    const slice = items.slice(state.offset, state.offset + size)
    const base = `${url.origin}/v1.0/users/${encodeURIComponent(user)}/calendarView/delta`
    const body: Record<string, unknown> = {
      '@odata.context': `${url.origin}/v1.0/$metadata#Collection(event)`,
      value: slice,
    }
    if (state.offset + size < items.length)
      body['@odata.nextLink'] = `${base}?$skiptoken=${b64({ ...state, offset: state.offset + size })}`
    else body['@odata.deltaLink'] = `${base}?$deltatoken=${b64({ ...state, offset: 0 })}`
    const applied = [
      prefs.pageSize ? `odata.maxpagesize=${size}` : '',
      prefs.timeZone ? `outlook.timezone="${zone}"` : '',
    ]
      .filter(Boolean)
      .join(', ')
    return sendJson(res, 200, body, applied ? { 'preference-applied': applied } : {})
  }

  return {
    route,
    upsertEvent: upsert,
    removeEvent: (mailbox, id) => {
      const mb = mailboxOf(mailbox)
      const s = mb.events.get(id)
      if (!s) throw new Error(`fake msgraph: no event ${id} in ${mailbox}`)
      seq++
      mb.events.set(id, { ...s, seq, removed: true })
    },
    expireDeltaTokens: (mailbox) => {
      for (const [email, mb] of mailboxes) if (!mailbox || email === mailbox.toLowerCase()) mb.epoch++
    },
    failNext: (count, status = 429, retryAfterSeconds, mailbox) => {
      for (let i = 0; i < count; i++)
        failures.push({
          status,
          ...(retryAfterSeconds !== undefined ? { retryAfter: retryAfterSeconds } : {}),
          ...(mailbox ? { mailbox: mailbox.toLowerCase() } : {}),
        })
    },
    maxInFlight: (mailbox) => mailboxes.get(mailbox.toLowerCase())?.maxInFlight ?? 0,
  }
}
