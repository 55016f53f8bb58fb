export interface Backoff {
  baseMs: number
  maxMs: number
  /**
   * The band the wait is drawn from, as fractions of the capped step base·2^attempt. Full jitter
   * ({0, 1}, the default) spreads parallel clients best; connectors whose measured timing is part
   * of their contract keep theirs (Jira waits at least half a step, Linear none, Google a step
   * plus up to a quarter).
   */
  jitter?: { min: number; max: number }
}

export const FULL_JITTER = { min: 0, max: 1 }

/** the wait before retry number `attempt + 1`, in ms */
export function backoffMs(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const step = Math.min(b.maxMs, b.baseMs * 2 ** attempt)
  const { min, max } = b.jitter ?? FULL_JITTER
  return Math.round(step * (min + random() * (max - min)))
}
