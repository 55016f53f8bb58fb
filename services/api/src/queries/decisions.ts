import { toClickHouseTime } from '@orgpulse/contracts'
import { FAMILIES, liveDecisionEvents } from '@orgpulse/metrics'
import { z } from 'zod'

/**
 * Decision-level rows of a scope (an org or a team subtree), built on the metric catalog's own
 * decisions base relation: attribution, deciders and escalation mean exactly what the metrics
 * mean, and nothing is defined twice.
 */
export const decisionStatusSchema = z.enum([
  'proposed',
  'decided',
  'rejected',
  'withdrawn',
  'reversed',
  'superseded',
])
export type DecisionStatus = z.infer<typeof decisionStatusSchema>

export interface DecisionFilter {
  /** unit id whose subtree the raiser's home unit must be in */
  scope: string
  /** decisions active in [from, to): raised before `to` and not closed (called or withdrawn) before `from` */
  from: Date
  to: Date
  status?: DecisionStatus | undefined
  escalated?: boolean | undefined
  /** the decider's email */
  decider?: string | undefined
  /** the expected decider's email: only decisions still open at `to` that wait on them */
  waitingOn?: string | undefined
}

export const EPOCH = new Date('1970-01-01T00:00:00Z')
/** the end of an open window: far enough for any event, inside DateTime64(3)'s range */
export const FAR_FUTURE = new Date('2200-01-01T00:00:00Z')

/**
 * status from the newest status-bearing step of the decision's newest version (the steps the
 * metrics count); a tie at the same instant goes to the later stage
 */
const STATUS_CTE = `decision_info AS (
  SELECT decision_id,
    argMax(title, version) AS title,
    argMax(multiIf(type = 'decision.raised', 'proposed', type = 'decision.decided', 'decided', type = 'decision.rejected', 'rejected',
      type = 'decision.withdrawn', 'withdrawn', type = 'decision.reversed', 'reversed', 'superseded'),
      (occurred_at, multiIf(type = 'decision.raised', 0, type IN ('decision.decided', 'decision.rejected', 'decision.withdrawn'), 1, 2))) AS status
  FROM ${liveDecisionEvents()}
  WHERE type NOT IN ('decision.escalated', 'decision.dropped')
  GROUP BY decision_id
)`

/**
 * SQL with columns decision_id, title, status, raised_by, raised_at, decided_by, decided_at,
 * expected_decider (null when none), escalated, decider_level, latency_hours, team — one row per decision matching the filter.
 * Parameters: the returned `params`.
 */
export function decisionRowsSql(filter: DecisionFilter): { sql: string; params: Record<string, unknown> } {
  const conditions = [
    'b.raised_at < b.w_to',
    'NOT (b.has_call AND b.called_at < b.w_from)',
    'NOT (b.has_withdrawn AND b.withdrawn_at < b.w_from)',
  ]
  const params: Record<string, unknown> = {
    scopes: [filter.scope],
    w_froms: [toClickHouseTime(filter.from)],
    w_tos: [toClickHouseTime(filter.to)],
  }
  if (filter.status) {
    conditions.push('i.status = {f_status:String}')
    params.f_status = filter.status
  }
  if (filter.escalated !== undefined) {
    conditions.push('(b.has_call AND b.escalated) = {f_escalated:Bool}')
    params.f_escalated = filter.escalated
  }
  if (filter.decider) {
    conditions.push('b.has_call AND b.decider = {f_decider:String}')
    params.f_decider = filter.decider.trim().toLowerCase()
  }
  if (filter.waitingOn) {
    conditions.push('b.open_at_end AND b.expected_decider = {f_waiting:String}')
    params.f_waiting = filter.waitingOn.trim().toLowerCase()
  }
  const sql = `
WITH ${STATUS_CTE}
SELECT
  b.decision_id AS decision_id,
  i.title AS title,
  i.status AS status,
  b.raiser AS raised_by,
  b.raised_at AS raised_at,
  if(b.has_call, b.decider, NULL) AS decided_by,
  if(b.has_call, b.called_at, NULL) AS decided_at,
  nullIf(b.expected_decider, '') AS expected_decider,
  b.has_call AND b.escalated AS escalated,
  if(b.has_call AND b.decider_known, b.decider_level, NULL) AS decider_level,
  if(b.has_call, round(dateDiff('millisecond', b.raised_at, b.called_at) / 3600000.0, 6), NULL) AS latency_hours,
  b.raiser_home AS team
FROM (${FAMILIES.decisions.base}) AS b
LEFT JOIN decision_info AS i ON i.decision_id = b.decision_id
WHERE ${conditions.join(' AND ')}`
  return { sql, params }
}
