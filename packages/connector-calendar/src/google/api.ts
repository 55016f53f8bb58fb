import { OrgpulseError } from '@orgpulse/contracts'
import type { HttpResponse } from '@orgpulse/http-client'
import { z } from 'zod'
import { type CalendarEvent, calendarEventSchema } from '../payload.ts'
import { AuthorizedHttp, type RetryOptions } from '../source/authorized-http.ts'

/**
 * Only what the connector needs (`fields=` partial response): the title (`summary`) is read for
 * classification and dropped in this service; descriptions, locations, attachments and
 * conference data are never even requested.
 */
const EVENT_FIELDS =
  'id,status,iCalUID,recurringEventId,originalStartTime,start,end,eventType,summary,organizer(email,self),attendees(email,responseStatus,organizer,self,resource,optional),updated,sequence,transparency'
export const LIST_FIELDS = `nextPageToken,nextSyncToken,items(${EVENT_FIELDS})`
export const GET_FIELDS = EVENT_FIELDS

/** The reasons Google uses for "slow down" on a 403 (the `usageLimits` domain). */
const RATE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
])

const errorBodySchema = z.object({
  error: z
    .object({
      code: z.number().optional(),
      message: z.string().optional(),
      errors: z
        .array(
          z.object({
            domain: z.string().optional(),
            reason: z.string().optional(),
            message: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
})

const listResponseSchema = z.object({
  items: z.array(calendarEventSchema).default([]),
  nextPageToken: z.string().optional(),
  nextSyncToken: z.string().optional(),
})
export type EventsPage = z.infer<typeof listResponseSchema>

export class GoogleApiError extends OrgpulseError {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super('upstream', message)
  }
}

/** 410 Gone on a sync token: the calendar needs a full sync (Google: `fullSyncRequired`). */
export class SyncTokenExpiredError extends GoogleApiError {}

export interface TokenSource {
  tokenFor(subject: string): Promise<string>
  invalidate(subject: string): void
}

export interface GoogleCalendarApiOptions extends RetryOptions {
  rootUrl: string
  tokens: TokenSource
}

export type ListParams =
  | { kind: 'full'; timeMin: string; timeMax: string; pageSize: number; pageToken?: string }
  | { kind: 'incremental'; syncToken: string; pageSize: number; pageToken?: string }

/** Calendar API v3 `events.list` / `events.get` for a user, acting as that user (domain-wide delegation). */
export class GoogleCalendarApi {
  private readonly http: AuthorizedHttp

  constructor(private readonly opts: GoogleCalendarApiOptions) {
    this.http = new AuthorizedHttp(opts, {
      baseUrl: opts.rootUrl,
      headers: { accept: 'application/json' },
      retryable: (res) => failureOf(res).retryable,
      defaultMaxDelayMs: 32_000,
    })
  }

  async listEvents(subject: string, p: ListParams): Promise<EventsPage> {
    const q = new URLSearchParams({
      singleEvents: 'true',
      // cancelled occurrences must come through so they replace earlier confirmed rows
      showDeleted: 'true',
      maxResults: String(p.pageSize),
      fields: LIST_FIELDS,
    })
    // a sync request must not carry timeMin/timeMax/q (Google answers 400)
    if (p.kind === 'full') {
      q.set('timeMin', p.timeMin)
      q.set('timeMax', p.timeMax)
    } else q.set('syncToken', p.syncToken)
    if (p.pageToken) q.set('pageToken', p.pageToken)
    const body = await this.request(subject, `calendar/v3/calendars/primary/events?${q}`)
    const parsed = listResponseSchema.safeParse(body)
    if (!parsed.success) {
      throw new GoogleApiError(
        `unexpected events.list response for ${subject}: ${parsed.error.issues[0]?.message}`,
        200,
        'badResponse',
      )
    }
    return parsed.data
  }

  /** null when the event no longer exists at all */
  async getEvent(subject: string, eventId: string): Promise<CalendarEvent | null> {
    try {
      const body = await this.request(
        subject,
        `calendar/v3/calendars/primary/events/${encodeURIComponent(eventId)}?${new URLSearchParams({ fields: GET_FIELDS })}`,
      )
      const parsed = calendarEventSchema.safeParse(body)
      return parsed.success ? parsed.data : null
    } catch (err) {
      if (err instanceof GoogleApiError && (err.status === 404 || err.status === 410)) return null
      throw err
    }
  }

  private request(subject: string, path: string): Promise<unknown> {
    return this.http.getJson(path, {
      subject,
      token: () => this.opts.tokens.tokenFor(subject),
      invalidate: () => this.opts.tokens.invalidate(subject),
      reasonOf: (res) => failureOf(res).reason,
      failure: (res) => {
        const f = failureOf(res)
        if (res.status === 410)
          return new SyncTokenExpiredError(
            `sync token of ${subject} expired: ${f.message}`,
            410,
            f.reason || 'fullSyncRequired',
          )
        return new GoogleApiError(
          describe(res.status, f.reason, f.message, subject, f.retryable, this.opts.maxRetries),
          res.status,
          f.reason,
        )
      },
    })
  }
}

/** what Google's error body says, and whether it means "slow down" (429, 5xx, 403 usageLimits) */
function failureOf(res: HttpResponse): { reason: string; message: string; retryable: boolean } {
  if (res.ok) return { reason: '', message: '', retryable: false }
  const body = errorBodySchema.safeParse(res.json() ?? {})
  const first = body.success ? body.data.error?.errors?.[0] : undefined
  const reason = first?.reason ?? ''
  const message = (body.success ? body.data.error?.message : undefined) ?? first?.message ?? res.statusText
  const retryable =
    res.status === 429 ||
    res.status >= 500 ||
    (res.status === 403 && (RATE_LIMIT_REASONS.has(reason) || first?.domain === 'usageLimits'))
  return { reason, message, retryable }
}

function describe(
  status: number,
  reason: string,
  message: string,
  subject: string,
  retryable: boolean,
  maxRetries: number,
): string {
  const what = `Google Calendar answered ${status}${reason ? ` ${reason}` : ''} for the calendar of ${subject}: ${message}`
  if (retryable) return `${what} (still failing after ${maxRetries} retries)`
  if (status === 401)
    return `${what} – the service account's access token was rejected; check the key in the environment`
  if (status === 403)
    return `${what} – check that the service account has domain-wide delegation for calendar.readonly and that ${subject} has Calendar enabled`
  if (status === 404) return `${what} – no such calendar (is ${subject} a user of the domain?)`
  return what
}
