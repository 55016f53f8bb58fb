import { toClickHouseTime } from '@orgpulse/contracts'
import { FAMILIES, rankTeamPairs as rankPairs } from '@orgpulse/metrics'

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
 * SQL with columns link_id, blocker_item, blocked_item, blocker_team, blocked_team, created_at
 * (when the link first opened), resolved_at (NULL while open at `to`, else the end of its latest
 * open interval before `to`), open_at_end, age_days (at `to` since its current interval opened
 * when open, else the length of that latest interval).
 */
export function dependencyRowsSql(filter: DependencyFilter): {
  sql: string
  params: Record<string, unknown>
} {
  const conditions = ['b.active_in_window']
  if (filter.openOnly) conditions.push('b.open_at_end')
  const sql = `
SELECT
  link_id,
  blocker_item,
  blocked_item,
  blocker_team,
  blocked_team,
  created_at,
  if(open_at_end, NULL, latest.2) AS resolved_at,
  open_at_end,
  round(dateDiff('millisecond', if(open_at_end, open_since, latest.1), if(open_at_end, w_to, latest.2)) / 86400000.0, 6) AS age_days
FROM (
  SELECT
    b.link_id AS link_id,
    any(b.blocker_item) AS blocker_item,
    any(b.blocked_item) AS blocked_item,
    any(b.blocker_unit) AS blocker_team,
    any(b.blocked_unit) AS blocked_team,
    any(b.created_at) AS created_at,
    any(b.open_at_end) AS open_at_end,
    any(b.open_since) AS open_since,
    any(b.w_to) AS w_to,
    arrayLast(iv -> iv.1 < any(b.w_to), any(b.intervals)) AS latest
  FROM (${FAMILIES.dependencies.base}) AS b
  WHERE ${conditions.join(' AND ')}
  GROUP BY b.link_id
)`
  return {
    sql,
    params: {
      scopes: [filter.scope],
      w_froms: [toClickHouseTime(filter.from)],
      w_tos: [toClickHouseTime(filter.to)],
    },
  }
}

export interface TeamPair {
  blockerTeam: string
  blockedTeam: string
  links: number
  open: number
  /** age in days at `to` of the pair's oldest open link; null with none open */
  oldestOpenAgeDays: number | null
  /** the open links' ages summed */
  openAgeDaysTotal: number
}

/** the api's team pairs: the one ranking (packages/metrics team-pairs.ts), links counted */
export function rankTeamPairs(
  links: { blockerTeam: string; blockedTeam: string; open: boolean; ageDays: number }[],
): TeamPair[] {
  return rankPairs(links, (l) => l).map((p) => ({
    blockerTeam: p.blockerTeam,
    blockedTeam: p.blockedTeam,
    links: p.links.length,
    open: p.open,
    oldestOpenAgeDays: p.oldestOpenAgeDays,
    openAgeDaysTotal: p.openAgeDaysTotal,
  }))
}
