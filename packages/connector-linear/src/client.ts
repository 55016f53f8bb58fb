import { type NamedEnv, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, type HttpClient, type HttpResponse, HttpRetryError } from '@orgpulse/http-client'
import { estimateComplexity } from './complexity.ts'
import { type RateLimitSnapshot, readRateLimitHeaders, waitBefore } from './rate-limit.ts'

/** A failure the user must fix (credential, permission, team name): retrying cannot help. */
export class LinearConfigError extends OrgpulseError {
  constructor(message: string) {
    super('config', message)
  }
}

/** Linear refused a request (not a rate limit) or answered something we cannot use. */
export class LinearApiError extends OrgpulseError {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super('upstream', message)
  }
}

export type LinearCredential =
  | { kind: 'apiKey'; value: string; envName: string }
  | { kind: 'oauth'; value: string; envName: string }

/** API key (`Authorization: <key>`) when set, else an OAuth access token (`Bearer`). */
export function credentialFromEnv(
  env: NamedEnv,
  names: { apiKeyEnv: string; oauthTokenEnv: string },
): LinearCredential {
  const key = env.named(names.apiKeyEnv)?.trim()
  if (key) return { kind: 'apiKey', value: key, envName: names.apiKeyEnv }
  const token = env.named(names.oauthTokenEnv)?.trim()
  if (token) return { kind: 'oauth', value: token, envName: names.oauthTokenEnv }
  throw new LinearConfigError(
    `no Linear credential: set ${names.apiKeyEnv} (a personal API key) or ${names.oauthTokenEnv} (an OAuth access token)`,
  )
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export interface LinearClientOptions {
  url: string
  credential: LinearCredential
  /** retries of one request on rate limits and transient failures */
  maxRetries?: number
  /** first backoff when the API gives no reset time; doubles per attempt */
  baseBackoffMs?: number
  maxBackoffMs?: number
  fetch?: typeof fetch
  /** per attempt; default none (a sync waits as long as Linear takes) */
  timeoutMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** called whenever the client waits for a budget (for progress output and tests) */
  onWait?: (info: { ms: number; reason: string }) => void
}

interface GraphQLError {
  message: string
  extensions?: { code?: string; type?: string; userPresentableMessage?: string }
}

type GraphQLBody<T> = { data?: T; errors?: GraphQLError[] }

const errorCodes = (res: HttpResponse): string[] =>
  ((res.json() as GraphQLBody<unknown> | undefined)?.errors ?? []).map((e) => e?.extensions?.code ?? '')

/** Linear says "slow down" with HTTP 429 or, more often, a GraphQL error coded RATELIMITED */
const isRateLimited = (res: HttpResponse): boolean =>
  res.status === 429 || errorCodes(res).includes('RATELIMITED')

/**
 * A minimal Linear GraphQL client over the shared retrying client: auth from the environment,
 * rate-limit budgets read from every response and respected before the next request, retries on
 * HTTP 429, 5xx and GraphQL errors with `extensions.code = "RATELIMITED"`, clear errors for
 * credentials.
 */
export class LinearClient {
  readonly limits: RateLimitSnapshot = {}
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly http: HttpClient
  private readonly maxRetries: number
  /** total time spent waiting for budgets, ms */
  waitedMs = 0

  constructor(private readonly options: LinearClientOptions) {
    let url: URL
    try {
      url = new URL(options.url)
    } catch {
      throw new LinearConfigError(
        `the Linear API URL "${options.url}" is not a URL (linear.apiUrl or LINEAR_API_URL)`,
      )
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new LinearConfigError(
        `the Linear API URL "${options.url}" must be http(s) (linear.apiUrl or LINEAR_API_URL)`,
      )
    }
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? realSleep
    this.maxRetries = options.maxRetries ?? 6
    this.http = createHttpClient({
      baseUrl: options.url,
      headers: {
        'content-type': 'application/json',
        authorization:
          options.credential.kind === 'apiKey'
            ? options.credential.value
            : `Bearer ${options.credential.value}`,
      },
      retry: {
        maxAttempts: this.maxRetries + 1,
        // every request is a GraphQL query: a read
        retryPost: true,
        on: (res) => isRateLimited(res) || res.status >= 500,
        // no jitter: the waits are measured exactly (base·2^attempt)
        backoff: {
          baseMs: options.baseBackoffMs ?? 1000,
          maxMs: options.maxBackoffMs ?? 60_000,
          jitter: { min: 1, max: 1 },
        },
        maxRetryAfterMs: Number.POSITIVE_INFINITY,
        delay: ({ response, retryAfterMs, backoffMs }) => {
          if (!isRateLimited(response)) return backoffMs
          const resets = [this.limits.requests, this.limits.complexity]
            .filter((b) => b && b.remaining <= 0)
            .map((b) => b!.resetAt - this.now())
          const fromHeaders = Math.max(0, ...resets, retryAfterMs ?? 0)
          return fromHeaders > 0 ? fromHeaders : backoffMs
        },
      },
      budget: (res) => {
        Object.assign(this.limits, readRateLimitHeaders(res.headers))
        // the request bucket holds the next request whatever it costs; complexity is per query
        const waitMs = waitBefore(
          { ...(this.limits.requests ? { requests: this.limits.requests } : {}) },
          0,
          this.now(),
        )
        return {
          waitMs,
          reason: `Linear budget nearly spent (requests ${this.limits.requests?.remaining ?? '?'}, complexity ${this.limits.complexity?.remaining ?? '?'})`,
        }
      },
      onRetry: (r) =>
        this.count(
          r.waitMs,
          r.status === 'network'
            ? 'network error'
            : r.response && isRateLimited(r.response)
              ? 'rate limited by Linear'
              : `Linear HTTP ${r.status}`,
        ),
      onWait: (w) => this.count(w.ms, w.reason),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      sleep: this.sleep,
      now: this.now,
    })
  }

  /** requests sent, retries included */
  get requests(): number {
    return this.http.sent
  }

  private count(ms: number, reason: string): void {
    if (ms <= 0) return
    this.options.onWait?.({ ms, reason })
    this.waitedMs += ms
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const cost = estimateComplexity(query, variables)
    const bucket = this.limits.complexity
    if (bucket && cost > bucket.limit) {
      // waiting cannot help: the bucket never holds enough points for this query
      throw new LinearApiError(
        `a ${cost}-point query exceeds Linear's whole complexity budget of ${bucket.limit}: lower linear.maxQueryComplexity`,
        0,
        'RATELIMITED',
      )
    }
    const wait = waitBefore({ ...(bucket ? { complexity: bucket } : {}) }, cost, this.now())
    if (wait > 0) {
      this.count(
        wait,
        `Linear budget nearly spent (requests ${this.limits.requests?.remaining ?? '?'}, complexity ${bucket?.remaining ?? '?'} for a ${cost}-point query)`,
      )
      await this.sleep(wait)
      // the bucket is full again at its reset time
      if (this.limits.requests) this.limits.requests.remaining = this.limits.requests.limit
      if (this.limits.complexity) this.limits.complexity.remaining = this.limits.complexity.limit
    }
    let res: HttpResponse
    try {
      res = await this.http.request('POST', '', { body: JSON.stringify({ query, variables }) })
    } catch (err) {
      if (!(err instanceof HttpRetryError)) throw err
      if (!err.response)
        throw new LinearApiError(
          `cannot reach Linear at ${this.options.url}: ${(err.cause as Error | undefined)?.message ?? err.message}`,
          0,
        )
      if (isRateLimited(err.response))
        throw new LinearApiError(
          `Linear kept rate-limiting after ${this.maxRetries} retries`,
          err.response.status,
          'RATELIMITED',
        )
      throw new LinearApiError(
        `Linear answered HTTP ${err.response.status} ${this.maxRetries + 1} times`,
        err.response.status,
      )
    }
    const body = res.json() as GraphQLBody<T> | undefined
    const codes = errorCodes(res)
    const auth =
      res.status === 401 ||
      res.status === 403 ||
      codes.includes('AUTHENTICATION_ERROR') ||
      codes.includes('FORBIDDEN')
    if (auth) {
      const c = this.options.credential
      const what = c.kind === 'apiKey' ? `the API key in ${c.envName}` : `the OAuth token in ${c.envName}`
      const detail = body?.errors?.[0]?.message ?? `HTTP ${res.status}`
      throw new LinearConfigError(
        res.status === 403 || codes.includes('FORBIDDEN')
          ? `Linear refused ${what} access to this data (${detail}): grant it read access to the teams in orgpulse.yaml`
          : `Linear rejected ${what} (${detail}): check that it is valid and not revoked`,
      )
    }
    if (body?.errors && body.errors.length > 0) {
      const e = body.errors[0]!
      throw new LinearApiError(
        `Linear GraphQL error: ${e.extensions?.userPresentableMessage ?? e.message}`,
        res.status,
        e.extensions?.code,
      )
    }
    if (!res.ok || !body?.data)
      throw new LinearApiError(
        `Linear answered HTTP ${res.status} without data: ${res.text.slice(0, 200)}`,
        res.status,
      )
    return body.data
  }
}
