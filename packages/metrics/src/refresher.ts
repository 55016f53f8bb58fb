import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import { refreshRollups, weekStart } from './rollups.ts'

export interface RollupRefresher {
  /** recomputes what is stale now (also runs on the timer) */
  flush(): Promise<void>
  stop(): Promise<void>
}

const WEEK = 7 * 86400000

/**
 * Scope-weeks per query of the background refresh. It shares its process with interactive
 * requests (`orgpulse start`, the api), so it trades speed for memory: a chunk's judged figures
 * and rollup rows live in the JS heap until inserted, and refreshRollups' default (20,000: a
 * 10,000-person tree's 14 weeks at once) took `orgpulse start` on that org from 1.3 to 2.6 GB
 * peak RSS in `pnpm bench`'s memory section. 2,000 is still ten times the chunk of before.
 */
export const BACKGROUND_CHUNK = 2_000

/**
 * The earliest event time among fact rows ingested since `since` (null when none), and whether
 * an org snapshot was imported since then (a re-org can move any week's attribution).
 */
async function changedSince(
  client: ClickHouseClient,
  since: Date,
): Promise<{ earliest: Date | null; orgChanged: boolean }> {
  const [row] = await queryRows<{ n: number; t: string; org: number }>(
    client,
    `SELECT count() AS n, toString(min(t)) AS t,
       (SELECT count() FROM org_snapshots WHERE imported_at >= {since:DateTime64(3)}) AS org
     FROM (
       SELECT occurred_at AS t FROM decision_events WHERE ingested_at >= {since:DateTime64(3)}
       UNION ALL SELECT occurred_at FROM dependency_events WHERE ingested_at >= {since:DateTime64(3)}
       UNION ALL SELECT start FROM meetings WHERE ingested_at >= {since:DateTime64(3)}
       UNION ALL SELECT starts_at FROM cycles WHERE ingested_at >= {since:DateTime64(3)}
     )`,
    { since: toClickHouseTime(since) },
  )
  const earliest = row && Number(row.n) > 0 ? new Date(`${row.t.replace(' ', 'T')}Z`) : null
  return { earliest, orgChanged: Number(row?.org ?? 0) > 0 }
}

/**
 * Keeps `metric_rollups` current for dashboards and alerts, from whichever process runs it (the
 * api in full mode, `orgpulse start` in embedded mode): every `intervalMs` it looks at what the
 * sinks wrote since its last run (`ingested_at`) and recomputes the weeks from the oldest event
 * written up to now (at least the current and previous week, so "open at the end" figures follow
 * the clock). An org import recomputes the whole horizon. The first run covers `initialWeeks`.
 */
export function startRollupRefresher(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: {
    intervalMs?: number
    initialWeeks?: number
    /** scope-weeks per query (default BACKGROUND_CHUNK) */
    chunk?: number
    now?: () => Date
    onError?: (err: Error) => void
  } = {},
): RollupRefresher {
  const now = options.now ?? (() => new Date())
  const horizon = (options.initialWeeks ?? 53) * WEEK
  let since: Date | null = null
  let running: Promise<void> = Promise.resolve()
  const run = async () => {
    const started = now()
    const thisWeek = weekStart(started).getTime()
    try {
      let from = new Date(thisWeek - horizon)
      if (since) {
        const changed = await changedSince(client, since)
        const floor = new Date(thisWeek - WEEK)
        if (!changed.orgChanged)
          from = changed.earliest && changed.earliest < floor ? changed.earliest : floor
        if (from.getTime() < thisWeek - horizon) from = new Date(thisWeek - horizon)
      }
      await refreshRollups(client, config, {
        from,
        to: new Date(thisWeek + WEEK),
        now: started,
        chunk: options.chunk ?? BACKGROUND_CHUNK,
      })
      since = started
    } catch (err) {
      // `since` stays where it was: the next run covers this one's range too
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
    flush,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
