import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { toClickHouseTime } from '@orgpulse/contracts'
import { FAMILIES } from './catalog.ts'
import { liveDecisionEvents, SNAPSHOTS_CTE, snapFor } from './sql.ts'

/**
 * The items behind a figure: the rows of the catalog's own family base relation for one scope and
 * one window, selected with the very predicates the metric expressions count (`decided_in_window`,
 * `open_at_end`, …). A list built here holds exactly the count its metric shows for the same
 * scope and window; nothing here redefines what a decision or a blocker is.
 */
export interface ItemsRequest {
  /** unit id (`u:<manager email>`): the director's org or a team inside it */
  scope: string
  from: Date
  to: Date
}

/**
 * Which decisions, each the predicate of a catalog metric (or its sample):
 * - `decided`: decided_in_window (decisions_decided, latency p50/p90, escalation_rate's sample)
 * - `open`: open_at_end (decisions_open, decision_open_age_p50_days)
 * - `escalated`: decided in the window and escalated (escalation_rate's numerator)
 * - `not_by_leader`: decided in the window, not raised by the scope's leader (centralization's sample)
 * - `centralised`: of those, decided by the leader (centralization's numerator)
 * - `by_leader`: decided in the window by the scope's leader, whoever raised them
 * - `depth`: decided in the window with a known decider (decision_depth's sample)
 * - `waiting_on_leader`: open at the end, the expected decider is the scope's leader
 * - `waiting_on_managers`: open at the end, the expected decider is another manager of a unit in the scope
 * - `reversed`: reversed inside the window (the decision's live steps)
 */
export const DECISION_FILTERS = [
  'decided',
  'open',
  'escalated',
  'not_by_leader',
  'centralised',
  'by_leader',
  'depth',
  'waiting_on_leader',
  'waiting_on_managers',
  'reversed',
] as const
export type DecisionItemFilter = (typeof DECISION_FILTERS)[number]

const DECISION_PREDICATES: Record<DecisionItemFilter, string> = {
  decided: 'b.decided_in_window',
  open: 'b.open_at_end',
  escalated: 'b.decided_in_window AND b.escalated',
  not_by_leader: 'b.decided_in_window AND b.raiser != b.scope_manager',
  centralised: 'b.decided_in_window AND b.raiser != b.scope_manager AND b.decider = b.scope_manager',
  by_leader: 'b.decided_in_window AND b.decider = b.scope_manager',
  depth: 'b.decided_in_window AND b.decider_known',
  waiting_on_leader: "b.open_at_end AND b.expected_decider != '' AND b.expected_decider = b.scope_manager",
  waiting_on_managers: `b.open_at_end AND b.expected_decider != '' AND b.expected_decider != b.scope_manager
    AND concat('u:', b.expected_decider) IN (SELECT unit_id FROM scope_units)`,
  reversed: 'i.reversed_at IS NOT NULL AND i.reversed_at >= b.w_from AND i.reversed_at < b.w_to',
}

export interface DecisionItem {
  id: string
  title: string
  /** the newest status of the decision's live steps (proposed, decided, rejected, withdrawn, reversed, superseded) */
  status: string
  source: string
  sourceId: string
  /** person ids (emails); '' when the identity is not resolved to a person */
  raiser: string
  decider: string | null
  expectedDecider: string
  raisedAt: string
  decidedAt: string | null
  /** days from raised to the end of the window while open, else null */
  ageDays: number | null
  latencyHours: number | null
  escalated: boolean
  deciderLevel: number | null
  /** the raiser's home unit when it was raised */
  team: string
}

const iso = (t: string | null): string | null => (t === null ? null : `${t.replace(' ', 'T')}Z`)

/** the decisions of one scope and window that a filter's metric counts, oldest raised first */
export async function decisionItems(
  client: ClickHouseClient,
  request: ItemsRequest & { filter: DecisionItemFilter },
): Promise<DecisionItem[]> {
  const rows = await queryRows<{
    id: string
    title: string | null
    status: string | null
    source: string | null
    source_id: string | null
    raiser: string
    decider: string | null
    expected_decider: string
    raised_at: string
    decided_at: string | null
    age_days: number | null
    latency_hours: number | null
    escalated: number | boolean
    decider_level: number | null
    team: string
  }>(
    client,
    `WITH ${SNAPSHOTS_CTE},
     info AS (
       SELECT decision_id,
         argMax(title, version) AS title,
         argMax(source, version) AS source,
         argMax(source_id, version) AS source_id,
         minIf(occurred_at, type = 'decision.reversed') AS first_reversed,
         if(countIf(type = 'decision.reversed') > 0, first_reversed, NULL) AS reversed_at,
         -- a tie at one instant goes to the later stage
         argMax(multiIf(type = 'decision.raised', 'proposed', type = 'decision.decided', 'decided',
             type = 'decision.rejected', 'rejected', type = 'decision.withdrawn', 'withdrawn',
             type = 'decision.reversed', 'reversed', 'superseded'),
           (occurred_at, multiIf(type = 'decision.raised', 0, type IN ('decision.decided', 'decision.rejected', 'decision.withdrawn'), 1, 2))) AS status
       FROM ${liveDecisionEvents()}
       WHERE type NOT IN ('decision.escalated', 'decision.dropped')
       GROUP BY decision_id
     ),
     scope_units AS (
       SELECT unit_id FROM org_closure
       WHERE ancestor_id = {scope:String}
         AND effective = (SELECT ${snapFor('{to_m1:DateTime64(3)}')} FROM (SELECT (SELECT list FROM snaps) AS snap_list))
     )
     SELECT b.decision_id AS id, i.title AS title, i.status AS status, i.source AS source, i.source_id AS source_id,
       b.raiser AS raiser, if(b.has_call, b.decider, NULL) AS decider, b.expected_decider AS expected_decider,
       toString(b.raised_at) AS raised_at,
       if(b.has_call AND b.called_at < b.w_to, toString(b.called_at), NULL) AS decided_at,
       if(b.open_at_end, round(dateDiff('millisecond', b.raised_at, b.w_to) / 86400000.0, 6), NULL) AS age_days,
       if(b.has_call, round(dateDiff('millisecond', b.raised_at, b.called_at) / 3600000.0, 6), NULL) AS latency_hours,
       b.has_call AND b.escalated AS escalated,
       if(b.has_call AND b.decider_known, b.decider_level, NULL) AS decider_level,
       b.raiser_home AS team
     FROM (${FAMILIES.decisions.base}) AS b
     LEFT JOIN info AS i ON i.decision_id = b.decision_id
     WHERE b.scope = {scope:String} AND ${DECISION_PREDICATES[request.filter]}
     ORDER BY b.raised_at, b.decision_id
     SETTINGS join_use_nulls = 1`,
    {
      scopes: [request.scope],
      scope: request.scope,
      w_froms: [toClickHouseTime(request.from)],
      w_tos: [toClickHouseTime(request.to)],
      to_m1: toClickHouseTime(new Date(request.to.getTime() - 1)),
    },
  )
  return rows.map((r) => ({
    id: r.id,
    title: r.title ?? '',
    status: r.status ?? 'proposed',
    source: r.source ?? '',
    sourceId: r.source_id ?? '',
    raiser: r.raiser,
    decider: r.decider,
    expectedDecider: r.expected_decider ?? '',
    raisedAt: iso(r.raised_at)!,
    decidedAt: iso(r.decided_at),
    ageDays: r.age_days === null ? null : Number(r.age_days),
    latencyHours: r.latency_hours === null ? null : Number(r.latency_hours),
    escalated: Boolean(Number(r.escalated)),
    deciderLevel: r.decider_level === null ? null : Number(r.decider_level),
    team: r.team,
  }))
}

/**
 * Which blocking links, each the predicate of a dependency metric (or its sample):
 * - `open`: open_at_end (blockers_open, blocker age p50/p90)
 * - `resolved`: first resolved in the window (blockers_resolved_14d_rate's sample)
 * - `resolved_14d`: of those, resolved within 14 days (its numerator)
 * - `blocking_days`: the blocked items of the scope that spent days of the window blocked, one row
 *   per item (the row the item-days sum reads: its days are the union of all its blockers'
 *   intervals, the link shown is the first of them) — blocked_item_days and its sample
 */
export const DEPENDENCY_FILTERS = ['open', 'resolved', 'resolved_14d', 'blocking_days'] as const
export type DependencyItemFilter = (typeof DEPENDENCY_FILTERS)[number]

const DEPENDENCY_PREDICATES: Record<DependencyItemFilter, string> = {
  open: 'b.open_at_end',
  resolved: 'b.resolved_in_window',
  resolved_14d: 'b.resolved_in_window AND b.resolved_within_14d',
  blocking_days: 'b.first_of_item AND b.blocked_in_scope AND b.blocked_days_of_item > 0',
}

export interface DependencyItem {
  linkId: string
  blockerItem: string
  blockedItem: string
  /** unit ids of the teams owning each side, in the org valid at the end of the window */
  blockerUnit: string
  blockedUnit: string
  createdAt: string
  /** when the link was first resolved (removed or blocker done); null while never resolved */
  firstResolvedAt: string | null
  openAtEnd: boolean
  /** days since the open interval began, at the end of the window (open links) */
  ageDays: number | null
  resolvedWithin14d: boolean
  /** for the blocked item (first row of each item): its days blocked inside the window, else 0 */
  blockedItemDays: number
}

/** the blocking links of one scope and window that a filter's metric counts, oldest first */
export async function dependencyItems(
  client: ClickHouseClient,
  request: ItemsRequest & { filter: DependencyItemFilter },
): Promise<DependencyItem[]> {
  const rows = await queryRows<{
    link_id: string
    blocker_item: string
    blocked_item: string
    blocker_unit: string
    blocked_unit: string
    created_at: string
    first_resolved_at: string | null
    open_at_end: number | boolean
    age_days: number | null
    within: number | boolean
    item_days: number
  }>(
    client,
    `SELECT b.link_id AS link_id, b.blocker_item AS blocker_item, b.blocked_item AS blocked_item,
       b.blocker_unit AS blocker_unit, b.blocked_unit AS blocked_unit, toString(b.created_at) AS created_at,
       if(b.resolved, toString(b.first_resolved_at), NULL) AS first_resolved_at,
       b.open_at_end AS open_at_end,
       if(b.open_at_end, round(dateDiff('millisecond', b.open_since, b.w_to) / 86400000.0, 6), NULL) AS age_days,
       b.resolved AND b.resolved_within_14d AS within,
       round(b.blocked_days_of_item, 6) AS item_days
     FROM (${FAMILIES.dependencies.base}) AS b
     WHERE b.scope = {scope:String} AND ${DEPENDENCY_PREDICATES[request.filter]}
     ORDER BY ${request.filter === 'open' ? 'b.open_since' : 'b.created_at'}, b.link_id`,
    {
      scopes: [request.scope],
      scope: request.scope,
      w_froms: [toClickHouseTime(request.from)],
      w_tos: [toClickHouseTime(request.to)],
    },
  )
  return rows.map((r) => ({
    linkId: r.link_id,
    blockerItem: r.blocker_item,
    blockedItem: r.blocked_item,
    blockerUnit: r.blocker_unit,
    blockedUnit: r.blocked_unit,
    createdAt: iso(r.created_at)!,
    firstResolvedAt: iso(r.first_resolved_at),
    openAtEnd: Boolean(Number(r.open_at_end)),
    ageDays: r.age_days === null ? null : Number(r.age_days),
    resolvedWithin14d: Boolean(Number(r.within)),
    blockedItemDays: Number(r.item_days),
  }))
}
