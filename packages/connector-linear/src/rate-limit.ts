/**
 * Linear's two budgets, as the API reports them on every response (leaky buckets; the reset
 * headers are UTC epoch milliseconds). We read them instead of hard-coding limits, and wait
 * BEFORE a request that the remaining budget could not pay for.
 */
export interface Budget {
  limit: number
  remaining: number
  /** epoch ms when the bucket is full again */
  resetAt: number
}

export interface RateLimitSnapshot {
  requests?: Budget
  complexity?: Budget
  /** complexity Linear charged for the last query (X-Complexity), when reported */
  lastComplexity?: number
}

const num = (h: Headers, name: string): number | undefined => {
  const v = h.get(name)
  if (v === null || v.trim() === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

/** epoch ms; tolerates seconds (some proxies rewrite the header) */
const epochMs = (v: number): number => (v < 1e12 ? v * 1000 : v)

function budget(h: Headers, kind: 'Requests' | 'Complexity'): Budget | undefined {
  const limit = num(h, `x-ratelimit-${kind.toLowerCase()}-limit`)
  const remaining = num(h, `x-ratelimit-${kind.toLowerCase()}-remaining`)
  const reset = num(h, `x-ratelimit-${kind.toLowerCase()}-reset`)
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined
  return { limit, remaining, resetAt: epochMs(reset) }
}

export function readRateLimitHeaders(h: Headers): RateLimitSnapshot {
  const requests = budget(h, 'Requests')
  const complexity = budget(h, 'Complexity')
  const last = num(h, 'x-complexity')
  return {
    ...(requests ? { requests } : {}),
    ...(complexity ? { complexity } : {}),
    ...(last !== undefined ? { lastComplexity: last } : {}),
  }
}

/**
 * How long to wait before spending `requests` requests and `cost` complexity points, given the
 * last known budgets. A leaky bucket refills at limit/window continuously, but the headers only
 * tell when it is full again; waiting until then is conservative and exact enough.
 */
export function waitBefore(
  snapshot: RateLimitSnapshot,
  cost: number,
  now: number,
  reserve = { requests: 0, complexity: 0 },
): number {
  let wait = 0
  const r = snapshot.requests
  // remaining counts what is left after the last response: 0 means this request would be refused
  if (r && r.remaining <= reserve.requests) wait = Math.max(wait, r.resetAt - now)
  const c = snapshot.complexity
  if (c && c.remaining < cost + reserve.complexity) wait = Math.max(wait, c.resetAt - now)
  return Math.max(0, wait)
}
