import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { refreshRollups, weekStart } from './rollups.ts'

export interface RollupRefresher {
  /** marks the weeks from `earliest` on as stale (the sink calls this with its batch's oldest event) */
  touch(earliest: Date): void
  /** recomputes what is stale now (also runs on the timer) */
  flush(): Promise<void>
  stop(): Promise<void>
}

const WEEK = 7 * 86400000

/**
 * Keeps `metric_rollups` current for dashboards and alerts: every `intervalMs` it recomputes the
 * weeks from the oldest event written since the last run (at least the current and previous
 * week, so "open at the end" figures follow the clock) up to now. Backfills of old data are
 * picked up because the sink reports the oldest event time of each batch.
 */
export function startRollupRefresher(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: {
    intervalMs?: number
    initialWeeks?: number
    now?: () => Date
    onError?: (err: Error) => void
  } = {},
): RollupRefresher {
  const now = options.now ?? (() => new Date())
  let stale: Date | null = new Date(weekStart(now()).getTime() - (options.initialWeeks ?? 53) * WEEK)
  let running: Promise<void> = Promise.resolve()
  const run = async () => {
    const end = new Date(weekStart(now()).getTime() + WEEK)
    const floor = new Date(weekStart(now()).getTime() - WEEK)
    const from = stale && stale < floor ? stale : floor
    stale = null
    try {
      await refreshRollups(client, config, { from, to: end })
    } catch (err) {
      // keep the range stale so the next run retries it (touch() may have marked more meanwhile)
      const touched = stale as Date | null
      stale = touched && touched < from ? touched : from
      options.onError?.(err as Error)
    }
  }
  const flush = () => {
    running = running.then(run)
    return running
  }
  const timer = setInterval(() => void flush(), options.intervalMs ?? 60_000)
  timer.unref()
  void flush()
  return {
    touch(earliest) {
      if (!stale || earliest < stale) stale = earliest
    },
    flush,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
