import { OrgpulseError } from '@orgpulse/contracts'
import type { HttpResponse } from '@orgpulse/http-client'
import type { ClientCredentialsTokens } from '@orgpulse/msgraph'
import { z } from 'zod'
import { AuthorizedHttp, type RetryOptions } from '../source/authorized-http.ts'

/** One page of `calendarView/delta`: events (or `@removed` stubs), then a next link or the delta link. */
const deltaPageSchema = z.object({
  value: z.array(z.record(z.string(), z.unknown())).default([]),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
})
export type DeltaPage = z.infer<typeof deltaPageSchema>

const errorBodySchema = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
})

export class GraphApiError extends OrgpulseError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super('upstream', message)
  }
}

/** 410 Gone on a delta or skip token: the service lost the round's state; a new full round is needed */
export class DeltaTokenExpiredError extends GraphApiError {}

/** What the sync asks for: a new round over a window, or the next page/round of one (a link Graph gave). */
export type DeltaRequest = { kind: 'window'; from: string; to: string } | { kind: 'link'; url: string }

export interface GraphCalendarApiOptions extends RetryOptions {
  graphUrl: string
  tokens: Pick<ClientCredentialsTokens, 'token' | 'invalidate'>
  pageSize: number
  /** requests in flight per mailbox (Outlook: 4 per app and mailbox) */
  mailboxConcurrency: number
}

/** A counting semaphore per mailbox: Outlook throttles an app past 4 concurrent requests on one mailbox. */
class MailboxGates {
  private readonly gates = new Map<string, { busy: number; waiting: (() => void)[] }>()
  constructor(private readonly limit: number) {}

  async run<T>(mailbox: string, fn: () => Promise<T>): Promise<T> {
    let g = this.gates.get(mailbox)
    if (!g) {
      g = { busy: 0, waiting: [] }
      this.gates.set(mailbox, g)
    }
    const gate = g
    if (gate.busy >= this.limit) await new Promise<void>((resolve) => gate.waiting.push(resolve))
    else gate.busy++
    try {
      return await fn()
    } finally {
      // a waiter takes over the slot; the count changes only when nobody waits
      const next = gate.waiting.shift()
      if (next) next()
      else gate.busy--
    }
  }
}

/** Throttling and transient failures Graph asks to retry after `Retry-After` (https://learn.microsoft.com/en-us/graph/throttling). */
const RETRYABLE = new Set([429, 500, 502, 503, 504])

/**
 * Microsoft Graph v1.0 `GET /users/{id}/calendarView/delta`, app-only. Times are asked for in UTC
 * (`Prefer: outlook.timezone="UTC"`); a zone Graph answers in anyway (a Windows name such as
 * "W. Europe Standard Time") is resolved by the mapper through CLDR's windowsZones.
 */
export class GraphCalendarApi {
  private readonly http: AuthorizedHttp
  private readonly gates: MailboxGates

  constructor(private readonly opts: GraphCalendarApiOptions) {
    this.gates = new MailboxGates(opts.mailboxConcurrency)
    this.http = new AuthorizedHttp(opts, {
      baseUrl: opts.graphUrl,
      headers: {
        accept: 'application/json',
        prefer: `outlook.timezone="UTC", odata.maxpagesize=${opts.pageSize}`,
      },
      retryable: (res) => RETRYABLE.has(res.status),
      defaultMaxDelayMs: 60_000,
    })
  }

  async delta(mailbox: string, r: DeltaRequest): Promise<DeltaPage> {
    const path =
      r.kind === 'link'
        ? r.url
        : `users/${encodeURIComponent(mailbox)}/calendarView/delta?${new URLSearchParams({ startDateTime: r.from, endDateTime: r.to })}`
    const body = await this.gates.run(mailbox, () => this.request(mailbox, path))
    const parsed = deltaPageSchema.safeParse(body)
    if (!parsed.success)
      throw new GraphApiError(
        `unexpected calendarView/delta response for ${mailbox}: ${parsed.error.issues[0]?.message}`,
        200,
        'badResponse',
      )
    return parsed.data
  }

  private request(mailbox: string, path: string): Promise<unknown> {
    return this.http.getJson(path, {
      subject: mailbox,
      // app-only: one token for every mailbox
      token: () => this.opts.tokens.token(),
      invalidate: () => this.opts.tokens.invalidate(),
      reasonOf: (res) => codeOf(res).code,
      failure: (res) => {
        const { code, message } = codeOf(res)
        if (res.status === 410)
          return new DeltaTokenExpiredError(`the delta token of ${mailbox} expired: ${message}`, 410, code)
        return new GraphApiError(
          describe(res.status, code, message, mailbox, this.opts.maxRetries),
          res.status,
          code,
        )
      },
    })
  }
}

function codeOf(res: HttpResponse): { code: string; message: string } {
  const body = errorBodySchema.safeParse(res.json() ?? {})
  const e = body.success ? body.data.error : undefined
  return { code: e?.code ?? '', message: e?.message || res.statusText }
}

function describe(
  status: number,
  code: string,
  message: string,
  mailbox: string,
  maxRetries: number,
): string {
  const what = `Microsoft Graph answered ${status}${code ? ` ${code}` : ''} for the calendar of ${mailbox}: ${message}`
  if (RETRYABLE.has(status)) return `${what} (still failing after ${maxRetries} retries)`
  if (status === 403)
    return `${what} – grant the app the application permission Calendars.Read with admin consent (or widen the application access policy to this mailbox)`
  if (code === 'MailboxNotEnabledForRESTAPI')
    return `${what} – the user has no Exchange Online mailbox (unlicensed, or hosted on-premises)`
  if (status === 404) return `${what} – no such user in the tenant (is ${mailbox} their user principal name?)`
  return what
}
