import type { NamedEnv } from '@orgpulse/contracts'
import { estimateComplexity } from './complexity.ts'
import { type RateLimitSnapshot, readRateLimitHeaders, waitBefore } from './rate-limit.ts'

/** A failure the user must fix (credential, permission, team name): retrying cannot help. */
export class LinearConfigError extends Error {}

/** Linear refused a request (not a rate limit) or answered something we cannot use. */
export class LinearApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message)
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

export interface LinearClientOptions {
  url: string
  credential: LinearCredential
  /** retries of one request on rate limits and transient failures */
  maxRetries?: number
  /** first backoff when the API gives no reset time; doubles per attempt */
  baseBackoffMs?: number
  maxBackoffMs?: number
  fetch?: typeof fetch
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** called whenever the client waits for a budget (for progress output and tests) */
  onWait?: (info: { ms: number; reason: string }) => void
}

interface GraphQLError {
  message: string
  extensions?: { code?: string; type?: string; userPresentableMessage?: string }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * A minimal Linear GraphQL client over fetch: auth from the environment, rate-limit budgets
 * read from every response and respected before the next request, retries on HTTP 429 and on
 * GraphQL errors with `extensions.code = "RATELIMITED"`, clear errors for credentials.
 */
export class LinearClient {
  readonly limits: RateLimitSnapshot = {}
  private readonly fetchFn: typeof fetch
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>
  /** total time spent waiting for budgets, ms */
  waitedMs = 0
  requests = 0

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
    this.fetchFn = options.fetch ?? fetch
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? realSleep
  }

  private async pause(ms: number, reason: string): Promise<void> {
    if (ms <= 0) return
    this.options.onWait?.({ ms, reason })
    this.waitedMs += ms
    await this.sleep(ms)
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const cost = estimateComplexity(query, variables)
    const maxRetries = this.options.maxRetries ?? 6
    const base = this.options.baseBackoffMs ?? 1000
    const cap = this.options.maxBackoffMs ?? 60_000
    for (let attempt = 0; ; attempt++) {
      const bucket = this.limits.complexity
      if (bucket && cost > bucket.limit) {
        // waiting cannot help: the bucket never holds enough points for this query
        throw new LinearApiError(
          `a ${cost}-point query exceeds Linear's whole complexity budget of ${bucket.limit}: lower linear.maxQueryComplexity`,
          0,
          'RATELIMITED',
        )
      }
      const wait = waitBefore(this.limits, cost, this.now())
      if (wait > 0) {
        await this.pause(
          wait,
          `Linear budget nearly spent (requests ${this.limits.requests?.remaining ?? '?'}, complexity ${this.limits.complexity?.remaining ?? '?'} for a ${cost}-point query)`,
        )
        // the bucket is full again at its reset time
        if (this.limits.requests) this.limits.requests.remaining = this.limits.requests.limit
        if (this.limits.complexity) this.limits.complexity.remaining = this.limits.complexity.limit
      }
      let res: Response
      try {
        this.requests++
        res = await this.fetchFn(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization:
              this.options.credential.kind === 'apiKey'
                ? this.options.credential.value
                : `Bearer ${this.options.credential.value}`,
          },
          body: JSON.stringify({ query, variables }),
        })
      } catch (err) {
        if (attempt >= maxRetries)
          throw new LinearApiError(`cannot reach Linear at ${this.options.url}: ${(err as Error).message}`, 0)
        await this.pause(Math.min(cap, base * 2 ** attempt), 'network error')
        continue
      }
      Object.assign(this.limits, readRateLimitHeaders(res.headers))
      const text = await res.text()
      let body: { data?: T; errors?: GraphQLError[] } | undefined
      try {
        body = text ? (JSON.parse(text) as { data?: T; errors?: GraphQLError[] }) : undefined
      } catch {
        body = undefined
      }
      const codes = (body?.errors ?? []).map((e) => e.extensions?.code ?? '')
      const rateLimited = res.status === 429 || codes.includes('RATELIMITED')
      if (rateLimited) {
        if (attempt >= maxRetries)
          throw new LinearApiError(
            `Linear kept rate-limiting after ${maxRetries} retries`,
            res.status,
            'RATELIMITED',
          )
        const resets = [this.limits.requests, this.limits.complexity]
          .filter((b) => b && b.remaining <= 0)
          .map((b) => b!.resetAt - this.now())
        const retryAfter = Number(res.headers.get('retry-after'))
        const fromHeaders = Math.max(0, ...resets, Number.isFinite(retryAfter) ? retryAfter * 1000 : 0)
        await this.pause(
          fromHeaders > 0 ? fromHeaders : Math.min(cap, base * 2 ** attempt),
          'rate limited by Linear',
        )
        continue
      }
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
      if (res.status >= 500) {
        if (attempt >= maxRetries)
          throw new LinearApiError(`Linear answered HTTP ${res.status} ${maxRetries + 1} times`, res.status)
        await this.pause(Math.min(cap, base * 2 ** attempt), `Linear HTTP ${res.status}`)
        continue
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
          `Linear answered HTTP ${res.status} without data: ${text.slice(0, 200)}`,
          res.status,
        )
      return body.data
    }
  }
}
