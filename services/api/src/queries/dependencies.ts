import { toClickHouseTime } from '@orgpulse/contracts'
import { FAMILIES } from '@orgpulse/metrics'

/**
 * Cross-team blocking links of a scope, from the catalog's dependencies base relation (same
 * cross-team test, team resolution and open/resolved semantics as the dependency metrics).
 */
export interface DependencyFilter {
  scope: string
  /** links open at some time in [from, to): created before `to`, not resolved before `from` */
  from: Date
  to: Date
  /** only links still open at `to` */
  openOnly?: boolean | undefined
}

/**
 * SQL with columns link_id, blocker_item, blocked_item, blocker_team, blocked_team, created_at,
 * resolved_at (NULL while open), open_at_end, age_days (at `to` when open, else created → resolved).
 */
export function dependencyRowsSql(filter: DependencyFilter): {
  sql: string
  params: Record<string, unknown>
} {
  const conditions = ['b.created_at < b.w_to', 'b.resolved_at >= b.w_from']
  if (filter.openOnly) conditions.push('b.open_at_end')
  const sql = `
SELECT
  b.link_id AS link_id,
  any(b.blocker_item) AS blocker_item,
  any(b.blocked_item) AS blocked_item,
  any(b.blocker_unit) AS blocker_team,
  any(b.blocked_unit) AS blocked_team,
  any(b.created_at) AS created_at,
  if(any(b.resolved), any(b.resolved_at), NULL) AS resolved_at,
  any(b.open_at_end) AS open_at_end,
  round(dateDiff('millisecond', any(b.created_at), if(any(b.open_at_end), any(b.w_to), any(b.resolved_at))) / 86400000.0, 6) AS age_days
FROM (${FAMILIES.dependencies.base}) AS b
WHERE ${conditions.join(' AND ')}
GROUP BY b.link_id`
  return {
    sql,
    params: {
      scopes: [filter.scope],
      w_froms: [toClickHouseTime(filter.from)],
      w_tos: [toClickHouseTime(filter.to)],
    },
  }
}
