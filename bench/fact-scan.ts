import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { toClickHouseTime } from '@orgpulse/contracts'

/**
 * The floor a metrics request is measured against (issue 20): every column the metric families
 * read, from each fact table, FINAL, over the window, discarded (FORMAT Null). Meetings are the
 * ones overlapping the window; the other tables are filtered on their event time.
 */
export const FACT_SCANS: Record<string, string> = {
  decision_events: `SELECT id, decision_id, type, occurred_at, raised_by, actor, expected_decider, version, arrival, complete
    FROM decision_events FINAL WHERE occurred_at >= {from:DateTime64(3)} AND occurred_at < {to:DateTime64(3)}`,
  dependency_events: `SELECT link_id, type, reason, occurred_at, version, blocker_item, blocked_item, blocker_team, blocked_team
    FROM dependency_events FINAL WHERE occurred_at >= {from:DateTime64(3)} AND occurred_at < {to:DateTime64(3)}`,
  meetings: `SELECT meeting_id, start, end, class, ritual, organizer, attendees, responses, cancelled, all_day
    FROM meetings FINAL WHERE start < {to:DateTime64(3)} AND end > {from:DateTime64(3)}`,
  cycles: `SELECT cycle_id, team, committed, completed, added, ends_at
    FROM cycles FINAL WHERE ends_at >= {from:DateTime64(3)} AND ends_at < {to:DateTime64(3)}`,
  source_coverage: `SELECT source, scope_kind, scope_id, mode, covered_from, covered_to, teams, occurred_at
    FROM source_coverage FINAL WHERE occurred_at < {to:DateTime64(3)}`,
}

/** ms per table for one pass of FACT_SCANS over [from, to), and their sum */
export async function scanFacts(
  client: ClickHouseClient,
  from: Date,
  to: Date,
): Promise<{ total: number; tables: Record<string, number> }> {
  const tables: Record<string, number> = {}
  for (const [table, sql] of Object.entries(FACT_SCANS)) {
    const t = performance.now()
    await client.command({
      query: `${sql}\nFORMAT Null`,
      query_params: { from: toClickHouseTime(from), to: toClickHouseTime(to) },
    })
    tables[table] = Math.round(performance.now() - t)
  }
  return { total: Object.values(tables).reduce((a, b) => a + b, 0), tables }
}
