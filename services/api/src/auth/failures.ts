/**
 * Failed authentications per client address, in fixed windows. The api's rate limiter keys on
 * the token and runs after authentication, so a 401 never reached it: 700 guessed tokens were
 * 700 free answers. Past `max` failures in a window an address is answered 429 until the window
 * ends, valid token or not: a guesser cannot tell a hit from a miss while it is locked out.
 */
export interface FailedAuthLimit {
  /** failures allowed per address and window */
  max: number
  windowMs: number
}

export const DEFAULT_FAILED_AUTH_LIMIT: FailedAuthLimit = { max: 30, windowMs: 60_000 }

/** addresses tracked at most; the oldest windows are dropped first, so memory stays bounded under a spray of addresses */
const MAX_TRACKED = 10_000

export class FailedAuthCounter {
  private readonly windows = new Map<string, { start: number; failures: number }>()
  constructor(
    private readonly limit: FailedAuthLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** seconds until `key` may try again, or 0 when it is not locked out */
  retryAfter(key: string): number {
    const w = this.current(key)
    if (!w || w.failures < this.limit.max) return 0
    return Math.max(1, Math.ceil((w.start + this.limit.windowMs - this.now()) / 1000))
  }

  fail(key: string): void {
    const w = this.current(key)
    if (w) {
      w.failures++
      return
    }
    this.windows.set(key, { start: this.now(), failures: 1 })
    if (this.windows.size > MAX_TRACKED) this.windows.delete(this.windows.keys().next().value as string)
  }

  private current(key: string): { start: number; failures: number } | undefined {
    const w = this.windows.get(key)
    if (w && this.now() - w.start >= this.limit.windowMs) {
      this.windows.delete(key)
      return undefined
    }
    return w
  }
}
