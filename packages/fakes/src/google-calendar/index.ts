import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { projectFields } from './fields.ts'

/**
 * A fake of the Google Calendar API v3 (`events.list`, `events.get`) and of Google's OAuth token
 * endpoint for service accounts, built from the documented shapes:
 * - `events.list` pages with `pageToken`/`nextPageToken`; `nextSyncToken` only on the LAST page;
 *   `syncToken` forbids `timeMin`/`timeMax`/`q`/`orderBy`/`updatedMin` (400); an expired sync
 *   token answers 410 `fullSyncRequired`; deleted events come back with status `cancelled`
 *   in incremental syncs (and in full syncs only with `showDeleted=true`);
 * - `fields=` partial responses;
 * - rate limiting on demand: 403 `usageLimits`/`rateLimitExceeded` or `userRateLimitExceeded`,
 *   or 429;
 * - the JWT bearer grant (RS256, `sub` = the user impersonated through domain-wide delegation),
 *   verified against the key pair it generated, whose key JSON it hands out.
 * Calendars hold occurrences as `singleEvents=true` returns them (recurring series already
 * expanded into instances with `recurringEventId`/`originalStartTime`). A series' own event (with
 * `recurrence`) may be stored too: `events.get` returns it, a `singleEvents=true` listing does not
 * ("Whether to expand recurring events into instances and only return single one-off events and
 * instances of recurring events, but not the underlying recurring events themselves",
 * https://developers.google.com/calendar/api/v3/reference/events/list). `singleEvents=false`
 * listings are not modelled: the connector never asks for them.
 *
 * A cancelled instance of a series (a cancelled exception) is sent bare, in listings and by
 * `events.get`, as `{kind, id, status: "cancelled", recurringEventId, originalStartTime}`: no
 * iCalUID, start, end, organizer or attendees. Google's Event resource, `status`: "Cancelled
 * exceptions are only guaranteed to have values for the id, recurringEventId and
 * originalStartTime fields populated. The other fields might be empty."
 * (https://developers.google.com/calendar/api/v3/reference/events; the same text is in
 * `calendar_v3.Schema$Event.status` of @googleapis/calendar 20.0.1, generated from the discovery
 * document).
 */

export interface FakeEventTime {
  date?: string
  dateTime?: string
  timeZone?: string
}

export interface FakeEvent {
  id: string
  status?: 'confirmed' | 'tentative' | 'cancelled'
  iCalUID?: string
  recurringEventId?: string
  originalStartTime?: FakeEventTime
  start?: FakeEventTime
  end?: FakeEventTime
  eventType?: string
  summary?: string
  description?: string
  location?: string
  organizer?: { email?: string; displayName?: string; self?: boolean }
  attendees?: {
    email?: string
    displayName?: string
    responseStatus?: string
    organizer?: boolean
    self?: boolean
    resource?: boolean
    optional?: boolean
    comment?: string
  }[]
  updated?: string
  sequence?: number
  /** RRULE/EXRULE/RDATE/EXDATE lines: set on a series' own event only */
  recurrence?: string[]
  [key: string]: unknown
}

export interface FakeGoogleCalendarSeed {
  /** calendars by owner email (the users the service account may impersonate) */
  calendars?: Record<string, FakeEvent[]>
  /** users whose impersonation is refused (`unauthorized_client`, as when delegation is missing) */
  delegationRefused?: string[]
}

export type RateLimitKind = 'rateLimitExceeded' | 'userRateLimitExceeded' | '429'

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  subject: string | null
  status: number
  at: number
}

interface StoredEvent {
  event: FakeEvent
  /** change sequence at which it last changed */
  seq: number
  /** cancelled events that incremental syncs return as `{id, status}` only */
  minimal: boolean
}

/** what Google sends for an event (see the header): a cancelled instance of a series bare */
function asSent(event: FakeEvent): Record<string, unknown> {
  if (event.status === 'cancelled' && event.recurringEventId) {
    return {
      kind: 'calendar#event',
      id: event.id,
      status: 'cancelled',
      recurringEventId: event.recurringEventId,
      ...(event.originalStartTime ? { originalStartTime: event.originalStartTime } : {}),
    }
  }
  return { kind: 'calendar#event', ...event }
}

interface Calendar {
  events: Map<string, StoredEvent>
  /** bumped by expireSyncTokens: tokens of an older epoch answer 410 */
  epoch: number
}

export interface FakeGoogleCalendar {
  /** the API root to configure as calendar.google.rootUrl */
  rootUrl: string
  /** service-account key JSON (token_uri points at this fake), for GOOGLE_SERVICE_ACCOUNT_KEY */
  serviceAccountKey: string
  requests: RecordedRequest[]
  upsertEvent(calendar: string, event: FakeEvent): void
  /**
   * deletes (cancels) an event; `minimal` makes incremental syncs return only its id and status.
   * An instance of a series becomes a cancelled exception, sent bare (see the header).
   */
  cancelEvent(calendar: string, id: string, options?: { minimal?: boolean }): void
  /** invalidates every sync token handed out so far (for one calendar, or all) */
  expireSyncTokens(calendar?: string): void
  /** the next `count` API requests answer with the given rate-limit error */
  failNext(count: number, kind?: RateLimitKind, retryAfterSeconds?: number): void
  close(): Promise<void>
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
const unb64 = <T>(s: string): T | null => {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T
  } catch {
    return null
  }
}

function googleError(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  domain = 'global',
  extra: Record<string, string> = {},
): void {
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8', ...extra })
  res.end(JSON.stringify({ error: { errors: [{ domain, reason, message }], code, message } }))
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' })
  res.end(JSON.stringify(body))
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      data += c
    })
    req.on('end', () => resolve(data))
    req.on('error', reject)
  })

const timeMs = (t: FakeEventTime | undefined): number =>
  !t
    ? Number.NaN
    : t.dateTime
      ? Date.parse(t.dateTime)
      : t.date
        ? Date.parse(`${t.date}T00:00:00Z`)
        : Number.NaN

const SYNC_INCOMPATIBLE = [
  'timeMin',
  'timeMax',
  'q',
  'orderBy',
  'updatedMin',
  'iCalUID',
  'privateExtendedProperty',
  'sharedExtendedProperty',
]

export async function startFakeGoogleCalendar(
  seed: FakeGoogleCalendarSeed = {},
): Promise<FakeGoogleCalendar> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pub = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }))
  const clientEmail = 'orgpulse-reader@orgpulse-test.iam.gserviceaccount.com'
  const calendars = new Map<string, Calendar>()
  const tokens = new Map<string, string>()
  const refused = new Set((seed.delegationRefused ?? []).map((e) => e.toLowerCase()))
  const requests: RecordedRequest[] = []
  let seq = 0
  let failures: { kind: RateLimitKind; retryAfter?: number }[] = []

  const calendarOf = (email: string): Calendar => {
    const key = email.toLowerCase()
    const existing = calendars.get(key)
    if (existing) return existing
    const created: Calendar = { events: new Map(), epoch: 1 }
    calendars.set(key, created)
    return created
  }
  const upsert = (calendar: string, event: FakeEvent, minimal = false) => {
    seq++
    calendarOf(calendar).events.set(event.id, {
      event: { ...event, updated: event.updated ?? new Date(Date.now() + seq).toISOString() },
      seq,
      minimal,
    })
  }
  for (const [email, events] of Object.entries(seed.calendars ?? {})) {
    calendarOf(email)
    for (const e of events) upsert(email, e)
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req))
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' })
    }
    const [h, c, s] = (form.get('assertion') ?? '').split('.')
    const claims = c
      ? unb64<{ iss?: string; sub?: string; scope?: string; aud?: string; exp?: number }>(c)
      : null
    const signed =
      h && c && s ? verify('RSA-SHA256', Buffer.from(`${h}.${c}`), pub, Buffer.from(s, 'base64url')) : false
    if (!claims || !signed)
      return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' })
    if (claims.aud !== `${rootUrl}token`)
      return json(res, 400, {
        error: 'invalid_grant',
        error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe',
      })
    if ((claims.exp ?? 0) * 1000 < Date.now())
      return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: expired' })
    const sub = (claims.sub ?? '').toLowerCase()
    if (!sub || !calendars.has(sub))
      return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' })
    if (refused.has(sub) || !/\/auth\/calendar(\.readonly)?(\s|$)/.test(claims.scope ?? '')) {
      return json(res, 401, {
        error: 'unauthorized_client',
        error_description:
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      })
    }
    const t = `ya29.fake-${randomBytes(12).toString('hex')}`
    tokens.set(t, sub)
    json(res, 200, { access_token: t, token_type: 'Bearer', expires_in: 3599 })
  }

  function list(res: ServerResponse, cal: Calendar, q: URLSearchParams): void {
    const syncToken = q.get('syncToken')
    if (syncToken) {
      const bad = SYNC_INCOMPATIBLE.filter((p) => q.has(p))
      if (bad.length > 0) {
        googleError(res, 400, 'invalid', `Sync token cannot be used with ${bad.join(', ')}.`)
        return
      }
    }
    const maxResults = Math.min(Number(q.get('maxResults') ?? 250) || 250, 2500)
    const pageToken = q.get('pageToken')
    const page = pageToken
      ? unb64<{ offset: number; upTo: number; since: number; epoch: number }>(pageToken)
      : null
    if (pageToken && !page) {
      googleError(res, 400, 'invalid', 'Invalid page token value.')
      return
    }
    let since = 0
    if (syncToken) {
      const st = unb64<{ epoch: number; seq: number }>(syncToken)
      if (!st) {
        googleError(res, 400, 'invalid', 'Invalid sync token value.')
        return
      }
      if (st.epoch !== cal.epoch) {
        googleError(
          res,
          410,
          'fullSyncRequired',
          'Sync token is no longer valid, a full sync is required.',
          'calendar',
        )
        return
      }
      since = st.seq
    }
    // a page sequence reads one consistent snapshot: changes after its first page wait for the next sync
    const upTo = page?.upTo ?? seq
    const timeMin = q.has('timeMin') ? Date.parse(q.get('timeMin') as string) : Number.NEGATIVE_INFINITY
    const timeMax = q.has('timeMax') ? Date.parse(q.get('timeMax') as string) : Number.POSITIVE_INFINITY
    const showDeleted = q.get('showDeleted') === 'true' || Boolean(syncToken)
    const expand = q.get('singleEvents') === 'true'
    const matching = [...cal.events.values()]
      .filter((s) => s.seq <= upTo && s.seq > since)
      .filter((s) => !(expand && s.event.recurrence))
      .filter((s) => showDeleted || s.event.status !== 'cancelled')
      .filter((s) => {
        if (syncToken) return true
        const st = timeMs(s.event.start ?? s.event.originalStartTime)
        const en = timeMs(s.event.end) || st
        return !(en <= timeMin || st >= timeMax)
      })
      .sort(
        (a, b) =>
          timeMs(a.event.start ?? a.event.originalStartTime) -
            timeMs(b.event.start ?? b.event.originalStartTime) || a.event.id.localeCompare(b.event.id),
      )
    const offset = page?.offset ?? 0
    const slice = matching.slice(offset, offset + maxResults)
    const items = slice.map((s) =>
      s.minimal && s.event.status === 'cancelled' && syncToken
        ? { id: s.event.id, status: 'cancelled' }
        : asSent(s.event),
    )
    const body: Record<string, unknown> = { kind: 'calendar#events', timeZone: 'UTC', items }
    if (offset + maxResults < matching.length)
      body.nextPageToken = b64({ offset: offset + maxResults, upTo, since, epoch: cal.epoch })
    else body.nextSyncToken = b64({ epoch: cal.epoch, seq: upTo })
    json(res, 200, projectFields(body, q.get('fields')))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', rootUrl)
    if (req.method === 'POST' && url.pathname === '/token') {
      await token(req, res)
      return res.statusCode
    }
    const m = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(url.pathname)
    if (!m || req.method !== 'GET') {
      googleError(res, 404, 'notFound', 'Not Found')
      return 404
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    const subject = auth ? tokens.get(auth[1] as string) : undefined
    if (!subject) {
      googleError(res, 401, 'authError', 'Invalid Credentials')
      return 401
    }
    const failure = failures.shift()
    if (failure) {
      const extra: Record<string, string> =
        failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {}
      if (failure.kind === '429')
        googleError(res, 429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits', extra)
      else
        googleError(
          res,
          403,
          failure.kind,
          failure.kind === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : 'User Rate Limit Exceeded',
          'usageLimits',
          extra,
        )
      return res.statusCode
    }
    const calId = decodeURIComponent(m[1] as string).toLowerCase()
    const owner = calId === 'primary' ? subject : calId
    const cal = calendars.get(owner)
    if (!cal || owner !== subject) {
      googleError(res, 404, 'notFound', 'Not Found')
      return 404
    }
    if (m[2]) {
      const stored = cal.events.get(decodeURIComponent(m[2]))
      if (!stored) googleError(res, 404, 'notFound', 'Not Found')
      else json(res, 200, projectFields(asSent(stored.event), url.searchParams.get('fields')))
      return res.statusCode
    }
    list(res, cal, url.searchParams)
    return res.statusCode
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      subject: auth ? (tokens.get(auth[1] as string) ?? null) : null,
      status: 0,
      at: Date.now(),
    }
    handle(req, res)
      .then((status) => {
        record.status = status
        requests.push(record)
      })
      .catch((err: Error) => {
        googleError(res, 500, 'backendError', err.message)
        record.status = 500
        requests.push(record)
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

  return {
    rootUrl,
    serviceAccountKey: JSON.stringify({
      type: 'service_account',
      project_id: 'orgpulse-test',
      private_key_id: randomBytes(8).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: '100000000000000000001',
      token_uri: `${rootUrl}token`,
    }),
    requests,
    upsertEvent: (calendar, event) => upsert(calendar, event),
    cancelEvent: (calendar, id, options) => {
      const stored = calendarOf(calendar).events.get(id)
      if (!stored) throw new Error(`fake: no event ${id} on ${calendar}`)
      upsert(
        calendar,
        { ...stored.event, status: 'cancelled', updated: undefined },
        options?.minimal ?? false,
      )
    },
    expireSyncTokens: (calendar) => {
      for (const [email, c] of calendars) if (!calendar || email === calendar.toLowerCase()) c.epoch++
    },
    failNext: (count, kind = 'rateLimitExceeded', retryAfterSeconds) => {
      for (let i = 0; i < count; i++)
        failures.push({ kind, ...(retryAfterSeconds !== undefined ? { retryAfter: retryAfterSeconds } : {}) })
    },
    close: () => {
      failures = []
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
    },
  }
}
