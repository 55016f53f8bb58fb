import { type Backoff, backoffMs } from './backoff.ts'
import { HttpRetryError } from './errors.ts'
import { type HttpResponse, readResponse } from './response.ts'
import { parseRetryAfter } from './retry-after.ts'

export interface RetryInfo {
  method: string
  /** the path as the caller gave it */
  path: string
  /** without credentials */
  url: string
  status: number | 'network'
  /** 1 for the first retry */
  attempt: number
  waitMs: number
  /** what Retry-After asked for, when present */
  retryAfterMs: number | null
  response?: HttpResponse
  error?: Error
}

/** a wait a response's headers impose on the next request */
export interface BudgetWait {
  waitMs: number
  /** for progress output: which budget ran out */
  reason: string
}

export interface RetryPolicy {
  /** attempts in all, the first included; default 4 */
  maxAttempts?: number
  /** the statuses worth retrying, or a test that may also read the body; default 408/429/500/502/503/504 */
  on?: readonly number[] | ((res: HttpResponse) => boolean)
  /** POST and PATCH are retried only when the caller's POSTs are reads (GraphQL, Jira search, token exchange) */
  retryPost?: boolean
  /** default 500 ms doubling to 30 s, full jitter */
  backoff?: Backoff
  /** a longer Retry-After fails with HttpRetryError (`fail`, the default) or is waited for this long (`cap`); default 5 min */
  maxRetryAfterMs?: number
  longRetryAfter?: 'fail' | 'cap'
  /** overrides the wait before a status retry; default: Retry-After when present, else the backoff */
  delay?: (ctx: {
    attempt: number
    response: HttpResponse
    retryAfterMs: number | null
    backoffMs: number
  }) => number
}

export interface HttpClientOptions {
  /** requests name a path under it, or an absolute URL */
  baseUrl: string
  /** sent with every request; a request's own headers win */
  headers?: Record<string, string>
  retry?: RetryPolicy
  /** read after every response (retried ones too): a positive wait holds the client's next request */
  budget?: (res: HttpResponse) => number | BudgetWait
  onRetry?: (info: RetryInfo) => void
  /** told about every budget wait */
  onWait?: (info: { ms: number; reason: string }) => void
  /** per attempt; none by default */
  timeoutMs?: number
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  now?: () => number
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  /** serialised, with content-type application/json */
  json?: unknown
  body?: string
  headers?: Record<string, string>
  signal?: AbortSignal
  /** told about this request's retries, after the client's own onRetry (for per-request context) */
  onRetry?: (info: RetryInfo) => void
}

const DEFAULT_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504]
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** the URL as it may appear in messages and logs */
export function redactUrl(url: URL): string {
  const u = new URL(url)
  u.username = ''
  u.password = ''
  return u.toString()
}

export interface HttpClient {
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>
  /** requests put on the wire, retries included */
  readonly sent: number
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retry = options.retry ?? {}
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 4)
  const backoff: Backoff = retry.backoff ?? { baseMs: 500, maxMs: 30_000 }
  const maxRetryAfterMs = retry.maxRetryAfterMs ?? 300_000
  const on = retry.on ?? DEFAULT_STATUSES
  const shouldRetry = typeof on === 'function' ? on : (res: HttpResponse) => on.includes(res.status)
  const fetchFn = options.fetch ?? fetch
  const sleep = options.sleep ?? realSleep
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  // fetch refuses credentials in a URL: they travel as basic auth, and never appear in messages
  const baseUrl = new URL(options.baseUrl)
  const userinfo: Record<string, string> = baseUrl.username
    ? {
        authorization: `Basic ${Buffer.from(`${decodeURIComponent(baseUrl.username)}:${decodeURIComponent(baseUrl.password)}`).toString('base64')}`,
      }
    : {}
  const base = redactUrl(baseUrl).replace(/\/+$/, '')
  let notBefore = 0
  let budgetReason = ''
  let sent = 0

  const resolve = (path: string, query: RequestOptions['query']): URL => {
    const url = /^https?:\/\//i.test(path)
      ? new URL(path)
      : new URL(path === '' || path.startsWith('/') ? base + path : `${base}/${path}`)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    return url
  }

  const observe = (res: HttpResponse) => {
    const got = options.budget?.(res) ?? 0
    const wait = typeof got === 'number' ? { waitMs: got, reason: '' } : got
    if (wait.waitMs > 0) {
      notBefore = Math.max(notBefore, now() + wait.waitMs)
      budgetReason = wait.reason || `rate-limit budget of ${new URL(base).host} spent`
    }
  }

  /** the budget's wait still ahead, cleared: whoever calls this waits it out */
  const takeBudget = (): number => {
    const ms = notBefore - now()
    notBefore = 0
    return Math.max(0, ms)
  }

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const url = resolve(path, opts.query)
    const shown = redactUrl(url)
    const verb = method.toUpperCase()
    const retriable = IDEMPOTENT.has(verb) || retry.retryPost === true
    const headers: Record<string, string> = { ...userinfo, ...options.headers, ...opts.headers }
    if (opts.json !== undefined) headers['content-type'] ??= 'application/json'
    const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body
    const report = (info: RetryInfo) => {
      options.onRetry?.(info)
      opts.onRetry?.(info)
    }
    for (let attempt = 0; ; attempt++) {
      const pending = takeBudget()
      if (pending > 0) {
        options.onWait?.({ ms: pending, reason: budgetReason })
        await sleep(pending)
      }
      const signals = [
        ...(opts.signal ? [opts.signal] : []),
        ...(options.timeoutMs ? [AbortSignal.timeout(options.timeoutMs)] : []),
      ]
      let res: HttpResponse
      try {
        sent++
        res = await readResponse(
          await fetchFn(url, {
            method: verb,
            headers,
            ...(body === undefined ? {} : { body }),
            ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
          }),
        )
      } catch (err) {
        // the caller gave up: not a failure to retry
        if (opts.signal?.aborted) throw err
        const attempts = attempt + 1
        if (!retriable || attempts >= maxAttempts) {
          throw new HttpRetryError(
            `${verb} ${shown}: no answer after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${(err as Error).message}`,
            verb,
            shown,
            attempts,
            'network',
            undefined,
            null,
            { cause: err },
          )
        }
        const waitMs = backoffMs(attempt, backoff, random)
        report({
          method: verb,
          path,
          url: shown,
          status: 'network',
          attempt: attempts,
          waitMs,
          retryAfterMs: null,
          error: err as Error,
        })
        await sleep(waitMs)
        continue
      }
      observe(res)
      if (!retriable || !shouldRetry(res)) return res
      const attempts = attempt + 1
      let retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now())
      if (attempts >= maxAttempts) {
        throw new HttpRetryError(
          `${verb} ${shown}: still answering ${res.status} after ${attempts} attempts`,
          verb,
          shown,
          attempts,
          'attempts',
          res,
          retryAfterMs,
        )
      }
      if (retryAfterMs !== null && retryAfterMs > maxRetryAfterMs) {
        if ((retry.longRetryAfter ?? 'fail') === 'fail')
          throw new HttpRetryError(
            `${verb} ${shown}: answered ${res.status} asking to wait ${Math.round(retryAfterMs / 1000)} s (Retry-After), longer than the ${Math.round(maxRetryAfterMs / 1000)} s limit`,
            verb,
            shown,
            attempts,
            'retry-after',
            res,
            retryAfterMs,
          )
        retryAfterMs = maxRetryAfterMs
      }
      const fromBackoff = backoffMs(attempt, backoff, random)
      const delayed = retry.delay
        ? retry.delay({ attempt, response: res, retryAfterMs, backoffMs: fromBackoff })
        : (retryAfterMs ?? fromBackoff)
      // a budget the response imposed is part of this wait, not another one after it
      const waitMs = Math.max(delayed, takeBudget())
      report({
        method: verb,
        path,
        url: shown,
        status: res.status,
        attempt: attempts,
        waitMs,
        retryAfterMs,
        response: res,
      })
      await sleep(waitMs)
    }
  }

  return {
    request,
    get sent() {
      return sent
    },
  }
}
