import {
  type BudgetReading,
  createHttpClient,
  type HttpClient,
  type HttpResponse,
  HttpRetryError,
  type RetryInfo as HttpRetryInfo,
  PointsBudget,
  parseRetryAfter,
} from '@orgpulse/http-client'
import {
  JiraAuthError,
  JiraError,
  JiraNotFoundError,
  JiraPermissionError,
  JiraRateLimitError,
  JiraRequestError,
} from './errors.ts'

export type JiraAuth =
  | {
      kind: 'basic'
      email: string
      token: string /** e.g. "JIRA_EMAIL + JIRA_API_TOKEN" */
      describe: string
    }
  | { kind: 'bearer'; token: string; describe: string }

export interface RetryInfo {
  method: string
  path: string
  status: number | 'network'
  attempt: number
  waitMs: number
  /** what Retry-After asked for, when present */
  retryAfterMs: number | null
}

export interface JiraHttpOptions {
  baseUrl: string
  auth: JiraAuth
  /** retries after the first attempt for 429/503/network errors */
  maxRetries?: number
  /** exponential backoff with jitter when Retry-After is absent */
  backoff?: { baseMs: number; maxMs: number }
  /** a Retry-After longer than this is not waited out: the sync fails with a clear error instead */
  maxRetryAfterMs?: number
  timeoutMs?: number
  onRetry?: (info: RetryInfo) => void
  /** told before every wait for the rate-limit budget (progress output on long backfills) */
  onWait?: (info: { ms: number; reason: string }) => void
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>
  body?: unknown
  /** what this request is for, in words, for error messages ("searching project ENG") */
  what: string
  /**
   * the most points this request can cost (Jira charges 1 per request plus 1 per object it
   * returns): the request waits for the budget's reset unless that many are left; default 1
   */
  cost?: number
}

export { parseRetryAfter }

/**
 * Jira Cloud's points budget as every response reports it: X-RateLimit-Remaining points until
 * X-RateLimit-Reset (ISO 8601; Atlassian documents minute precision, `yyyy-MM-ddTHH:mmZ`), and
 * X-RateLimit-Limit, per https://developer.atlassian.com/cloud/jira/platform/rate-limiting/.
 */
export function jiraBudgetReading(headers: Headers): BudgetReading | undefined {
  const remaining = Number(headers.get('x-ratelimit-remaining')?.trim() ?? '')
  const resetAt = Date.parse(headers.get('x-ratelimit-reset') ?? '')
  if (headers.get('x-ratelimit-remaining') === null || !Number.isFinite(remaining) || Number.isNaN(resetAt))
    return undefined
  const limit = Number(headers.get('x-ratelimit-limit') ?? '')
  return {
    remaining,
    resetAt,
    ...(headers.get('x-ratelimit-limit') && Number.isFinite(limit) ? { limit } : {}),
  }
}

/**
 * Jira over the shared retrying client: 429/503 wait for Retry-After (or back off with jitter),
 * a bounded number of times; 401/403/404 become errors that say which credential and what for.
 */
export class JiraHttp {
  readonly baseUrl: string
  private readonly http: HttpClient
  private readonly maxRetryAfterMs: number
  /** the points budget, spent before each request (requests wait for the reset, not for a 429) */
  readonly budget: PointsBudget
  /** ms spent waiting for the budget */
  waitedMs = 0

  constructor(private readonly options: JiraHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000
    const backoff = options.backoff ?? { baseMs: 500, maxMs: 30_000 }
    this.budget = new PointsBudget(options.now, options.sleep)
    this.http = createHttpClient({
      baseUrl: this.baseUrl,
      headers: this.headers(),
      retry: {
        maxAttempts: (options.maxRetries ?? 6) + 1,
        on: [429, 503],
        // Jira's POSTs are searches and bulk reads
        retryPost: true,
        // at least half a step: the measured timing the tests hold Jira to
        backoff: { ...backoff, jitter: { min: 0.5, max: 1 } },
        maxRetryAfterMs: this.maxRetryAfterMs,
      },
      budget: (res) => {
        this.budget.observe(jiraBudgetReading(res.headers))
        return 0
      },
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.onRetry
        ? {
            onRetry: (r: HttpRetryInfo) =>
              options.onRetry?.({
                method: r.method,
                path: r.path,
                status: r.status,
                attempt: r.attempt,
                waitMs: r.waitMs,
                retryAfterMs: r.retryAfterMs,
              }),
          }
        : {}),
    })
  }

  /** requests sent, retries included */
  get requestCount(): number {
    return this.http.sent
  }

  get credential(): string {
    return this.options.auth.describe
  }

  private headers(): Record<string, string> {
    const a = this.options.auth
    const authorization =
      a.kind === 'basic'
        ? `Basic ${Buffer.from(`${a.email}:${a.token}`).toString('base64')}`
        : `Bearer ${a.token}`
    return { authorization, accept: 'application/json', 'content-type': 'application/json' }
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT', path: string, opts: RequestOptions): Promise<T> {
    const cost = opts.cost ?? 1
    this.waitedMs += await this.budget.reserve(cost, (ms) => {
      const left = this.budget.last
      this.options.onWait?.({
        ms,
        reason: `Jira rate-limit budget: ${left?.remaining ?? '?'} of ${left?.limit ?? '?'} points left, ${opts.what} may cost ${cost}`,
      })
    })
    let res: HttpResponse
    try {
      res = await this.http.request(method, path, {
        ...(opts.query ? { query: opts.query } : {}),
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      })
    } catch (err) {
      if (!(err instanceof HttpRetryError)) throw err
      throw this.gaveUp(err, opts.what)
    } finally {
      this.budget.observe(undefined, cost)
    }
    if (res.ok) return JSON.parse(res.text) as T
    throw this.failure(res.status, res.text, opts.what, path)
  }

  private gaveUp(err: HttpRetryError, what: string): JiraError {
    if (err.reason === 'network')
      return new JiraError(
        `${what}: cannot reach Jira at ${this.baseUrl} after ${err.attempts} attempts: ${(err.cause as Error | undefined)?.message ?? err.message}`,
      )
    const status = err.response?.status ?? 0
    if (err.reason === 'retry-after')
      return new JiraRateLimitError(
        `${what}: Jira at ${this.baseUrl} asked to wait ${Math.round((err.retryAfterMs ?? 0) / 1000)} s (Retry-After), longer than the ${Math.round(this.maxRetryAfterMs / 1000)} s limit`,
        status,
      )
    return new JiraRateLimitError(
      `${what}: Jira at ${this.baseUrl} still answered ${status} after ${err.attempts} attempts${messagesOf(err.response?.text ?? '')}; try again later or lower the sync rate`,
      status,
    )
  }

  private failure(status: number, text: string, what: string, path: string): JiraError {
    const detail = messagesOf(text)
    switch (status) {
      case 401:
        return new JiraAuthError(
          `${what}: Jira at ${this.baseUrl} rejected the credentials from ${this.credential} (401${detail}); check that the token is valid, not expired, and belongs to that account`,
          401,
        )
      case 403:
        return new JiraPermissionError(
          `${what}: the account from ${this.credential} is not allowed to do this on ${this.baseUrl} (403${detail}); it needs the Browse projects permission`,
          403,
        )
      case 404:
        return new JiraNotFoundError(
          `${what}: not found on ${this.baseUrl} (404${detail}); check the key, and that the account from ${this.credential} can see it`,
          404,
        )
      case 410:
        return new JiraRequestError(`${what}: ${path} is gone on ${this.baseUrl} (410${detail})`, 410)
      default:
        return new JiraRequestError(`${what}: Jira at ${this.baseUrl} answered ${status}${detail}`, status)
    }
  }
}

/** Jira errors come as {errorMessages: [...], errors: {field: message}}. */
function messagesOf(text: string): string {
  try {
    const body = JSON.parse(text) as { errorMessages?: unknown; errors?: unknown }
    const msgs = [
      ...(Array.isArray(body.errorMessages) ? body.errorMessages.map(String) : []),
      ...(body.errors && typeof body.errors === 'object'
        ? Object.entries(body.errors).map(([k, v]) => `${k}: ${String(v)}`)
        : []),
    ]
    return msgs.length > 0 ? `: ${msgs.join('; ')}` : ''
  } catch {
    const t = text.trim().slice(0, 200)
    return t ? `: ${t}` : ''
  }
}
