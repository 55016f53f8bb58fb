/**
 * A server-side budget the client learns from response headers (what is left, when it is full
 * again) and spends BEFORE each request: a request whose predicted cost the remaining points
 * cannot pay waits for the reset instead of spending a 429. Jira Cloud's points quota
 * (X-RateLimit-Remaining / X-RateLimit-Reset) and Linear's complexity bucket are both read this
 * way. The prediction must be an upper bound (a search of `maxResults` issues costs at most
 * 1 + maxResults points): then the budget is used up to the last request it can pay for, and
 * never exceeded.
 *
 * Requests reserve their cost as they leave, so concurrent callers sharing one budget do not
 * both spend the same remaining points; each response then replaces the estimate with the
 * server's own count.
 */
export interface BudgetReading {
  remaining: number
  /** epoch ms when the budget is full again */
  resetAt: number
  limit?: number
}

/**
 * Node's timers count from the event loop's cached clock, so one can fire a few ms before the
 * wall clock (the server's) reaches the reset: the real timer sleeps a little past it.
 */
const timerSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms + 25))

export class PointsBudget {
  private reading: BudgetReading | undefined
  /** points reserved by requests sent since the last reading */
  private inFlight = 0

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = timerSleep,
  ) {}

  /** what the last response said, or undefined before the first one with budget headers */
  get last(): Readonly<BudgetReading> | undefined {
    return this.reading
  }

  /** a response's headers: the server's count replaces the local estimate */
  observe(reading: BudgetReading | undefined, settled = 0): void {
    this.inFlight = Math.max(0, this.inFlight - settled)
    if (reading) this.reading = { ...reading }
  }

  /** ms to wait before a request costing `cost` may leave (0: now) */
  waitFor(cost: number, now = this.now()): number {
    const r = this.reading
    if (!r || r.resetAt <= now) return 0
    return r.remaining - this.inFlight >= cost ? 0 : r.resetAt - now
  }

  /**
   * Waits (calling `onWait` first) until `cost` can be paid, then reserves it. Returns the ms
   * waited. A cost above the whole limit can never be paid: it is sent once the budget is full,
   * and the server decides.
   */
  async reserve(cost: number, onWait?: (ms: number) => void): Promise<number> {
    const ms = this.waitFor(cost)
    if (ms > 0) {
      onWait?.(ms)
      await this.sleep(ms)
      // the budget is full again
      const r = this.reading!
      this.reading = {
        ...r,
        remaining: r.limit ?? Number.POSITIVE_INFINITY,
        resetAt: Number.NEGATIVE_INFINITY,
      }
      this.inFlight = 0
    }
    this.inFlight += cost
    return ms
  }
}
