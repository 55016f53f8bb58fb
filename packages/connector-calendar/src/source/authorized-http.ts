import { createHttpClient, type HttpClient, type HttpResponse, HttpRetryError } from '@orgpulse/http-client'

/** A retry the vendor asked for (rate limit, transient failure), told to the caller's progress. */
export interface RetryNotice {
  subject: string
  attempt: number
  delayMs: number
  status: number
  reason: string
}

/** How a vendor's client retries, and the hooks tests and progress set: alike for every vendor. */
export interface RetryOptions {
  /** retries of one request before its failure is thrown */
  maxRetries: number
  /** first back-off delay; doubles per attempt (with jitter) up to maxDelayMs */
  baseDelayMs?: number
  maxDelayMs?: number
  fetchImpl?: typeof fetch
  sleep?: (ms: number) => Promise<void>
  onRetry?: (n: RetryNotice) => void
}

/** What differs per vendor: where it is, what every request sends, what it asks to retry. */
export interface VendorEndpoint {
  baseUrl: string
  headers: Record<string, string>
  /** the failures the vendor asks to retry after a pause (its rate limits, 5xx) */
  retryable: (res: HttpResponse) => boolean
  /** the longest pause (back-off step or Retry-After) unless RetryOptions.maxDelayMs says */
  defaultMaxDelayMs: number
}

/** Whom one request is for, the access token it carries, and how the vendor words a failure. */
export interface RequestAs {
  /** the person or mailbox: named in retry notices */
  subject: string
  token(): Promise<string>
  /** forget the token, so the next token() fetches a fresh one */
  invalidate(): void
  /** the vendor's name for a failure (its error code or reason; '' when it gave none) */
  reasonOf(res: HttpResponse): string
  /** the error a failed response ends in, once retries (and one fresh token on a 401) are spent */
  failure(res: HttpResponse): Error
}

/**
 * GETs JSON from a calendar vendor with a bearer token, as both vendors ask to be called: their
 * retryable failures retried with back-off (Retry-After honoured, capped at maxDelayMs), a 401
 * retried once with a fresh token (one revoked or expired early), anything else thrown as the
 * vendor's own error.
 */
export class AuthorizedHttp {
  private readonly http: HttpClient

  constructor(
    private readonly opts: RetryOptions,
    vendor: VendorEndpoint,
  ) {
    const maxDelayMs = opts.maxDelayMs ?? vendor.defaultMaxDelayMs
    this.http = createHttpClient({
      baseUrl: vendor.baseUrl,
      headers: vendor.headers,
      retry: {
        maxAttempts: opts.maxRetries + 1,
        on: vendor.retryable,
        // a step plus up to a quarter on top, so parallel syncs do not retry in lockstep
        backoff: { baseMs: opts.baseDelayMs ?? 1000, maxMs: maxDelayMs, jitter: { min: 1, max: 1.25 } },
        maxRetryAfterMs: maxDelayMs,
        longRetryAfter: 'cap',
      },
      ...(opts.fetchImpl ? { fetch: opts.fetchImpl } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    })
  }

  async getJson(path: string, as: RequestAs): Promise<unknown> {
    for (let authRetried = false; ; authRetried = true) {
      const token = await as.token()
      let res: HttpResponse
      try {
        res = await this.http.request('GET', path, {
          headers: { authorization: `Bearer ${token}` },
          onRetry: (r) => {
            if (r.response)
              this.opts.onRetry?.({
                subject: as.subject,
                attempt: r.attempt,
                delayMs: r.waitMs,
                status: r.response.status,
                reason: as.reasonOf(r.response) || String(r.response.status),
              })
          },
        })
      } catch (err) {
        if (!(err instanceof HttpRetryError) || !err.response) throw err
        res = err.response
      }
      if (res.ok) return JSON.parse(res.text)
      if (res.status === 401 && !authRetried) {
        as.invalidate()
        continue
      }
      throw as.failure(res)
    }
  }
}
