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
  sleep?: (ms: number) => Promise<void>
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>
  body?: unknown
  /** what this request is for, in words, for error messages ("searching project ENG") */
  what: string
}

const RETRYABLE = new Set([429, 503])

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, nowMs = Date.now()): number | null {
  if (!header) return null
  const trimmed = header.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs)
}

/** Full-jitter-ish backoff: between half and all of base·2^attempt, capped. */
export function backoffMs(attempt: number, base: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** attempt)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/**
 * fetch with Jira's failure modes handled: 429/503 wait for Retry-After (or back off with jitter),
 * a bounded number of times; 401/403/404 become errors that say which credential and what for.
 */
export class JiraHttp {
  readonly baseUrl: string
  private readonly maxRetries: number
  private readonly backoff: { baseMs: number; maxMs: number }
  private readonly maxRetryAfterMs: number
  private readonly timeoutMs: number
  private readonly sleep: (ms: number) => Promise<void>
  requestCount = 0

  constructor(private readonly options: JiraHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.maxRetries = options.maxRetries ?? 6
    this.backoff = options.backoff ?? { baseMs: 500, maxMs: 30_000 }
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000
    this.timeoutMs = options.timeoutMs ?? 60_000
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
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

  async request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions): Promise<T> {
    const url = new URL(this.baseUrl + path)
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v))
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        this.requestCount++
        res = await fetch(url, {
          method,
          headers: this.headers(),
          ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
          signal: AbortSignal.timeout(this.timeoutMs),
        })
      } catch (err) {
        if (attempt >= this.maxRetries) {
          throw new JiraError(
            `${opts.what}: cannot reach Jira at ${this.baseUrl} after ${attempt + 1} attempts: ${(err as Error).message}`,
          )
        }
        const waitMs = backoffMs(attempt, this.backoff.baseMs, this.backoff.maxMs)
        this.options.onRetry?.({
          method,
          path,
          status: 'network',
          attempt: attempt + 1,
          waitMs,
          retryAfterMs: null,
        })
        await this.sleep(waitMs)
        continue
      }
      if (res.ok) return (await res.json()) as T
      const text = await res.text()
      if (RETRYABLE.has(res.status)) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'))
        if (attempt >= this.maxRetries) {
          throw new JiraRateLimitError(
            `${opts.what}: Jira at ${this.baseUrl} still answered ${res.status} after ${attempt + 1} attempts${messagesOf(text)}; try again later or lower the sync rate`,
            res.status,
          )
        }
        if (retryAfterMs !== null && retryAfterMs > this.maxRetryAfterMs) {
          throw new JiraRateLimitError(
            `${opts.what}: Jira at ${this.baseUrl} asked to wait ${Math.round(retryAfterMs / 1000)} s (Retry-After), longer than the ${Math.round(this.maxRetryAfterMs / 1000)} s limit`,
            res.status,
          )
        }
        const waitMs = retryAfterMs ?? backoffMs(attempt, this.backoff.baseMs, this.backoff.maxMs)
        this.options.onRetry?.({
          method,
          path,
          status: res.status,
          attempt: attempt + 1,
          waitMs,
          retryAfterMs,
        })
        await this.sleep(waitMs)
        continue
      }
      throw this.failure(res.status, text, opts.what, path)
    }
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
