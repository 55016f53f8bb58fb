import { snapshotFor } from '@orgpulse/org'

/**
 * Shared SQL fragments. Attribution: an event at time t belongs to the org snapshot valid at t;
 * the rule itself lives in @orgpulse/org (`snapshotFor`), these only name it for CTE-style queries.
 */
export const SNAPSHOTS_CTE = `snaps AS (SELECT arraySort(groupUniqArray(effective)) AS list FROM org_snapshots FINAL)`

/** the snapshot effective date for DateTime expression `t`; needs `(SELECT list FROM snaps) AS snap_list` in scope */
export const snapFor = (t: string): string => snapshotFor(t, 'snap_list')

/** the windows relation: one row per [w_from, w_to) */
export const WINDOWS_CTE = `windows AS (SELECT w.1 AS w_from, w.2 AS w_to FROM (SELECT arrayJoin(arrayZip({w_froms:Array(DateTime64(3, 'UTC'))}, {w_tos:Array(DateTime64(3, 'UTC'))})) AS w))`

/** identity → person ('' when unresolved) */
export const RESOLVED_CTE = `resolved AS (SELECT identity, argMax(person_id, updated_at) AS person_id FROM identity_map GROUP BY identity)`

/** scope membership of a unit at a snapshot: closure rows whose ancestor is one of the requested scopes */
export const SCOPE_CLOSURE_CTE = `scope_closure AS (SELECT effective, unit_id, ancestor_id AS scope FROM org_closure WHERE ancestor_id IN {scopes:Array(String)})`

/** resolves a team reference (unit id `u:<email>`, a manager email, or a unit name) to a unit id at snapshot `snap` */
export const teamUnit = (ref: string): string =>
  `multiIf(startsWith(${ref}, 'u:'), ${ref}, position(${ref}, '@') > 0, concat('u:', lower(${ref})), ${ref})`

export const UNIT_NAMES_CTE = `unit_names AS (SELECT effective, name, any(unit_id) AS unit_id FROM org_units GROUP BY effective, name)`

/**
 * Identities of the people whose home unit is inside one of the scopes at any snapshot: lets a
 * family drop the rest of the company's facts before the expensive joins (needs RESOLVED_CTE
 * and SCOPE_CLOSURE_CTE before it).
 */
export const SCOPE_IDENTITIES_CTE = `scope_people AS (
  SELECT DISTINCT person_id FROM org_people WHERE (effective, home_unit) IN (SELECT effective, unit_id FROM scope_closure)
),
scope_identities AS (
  -- a person id is an email, which is also how facts name people whose identity maps to itself
  SELECT identity FROM resolved WHERE person_id IN (SELECT person_id FROM scope_people)
  UNION DISTINCT SELECT person_id AS identity FROM scope_people
)`

/**
 * SCOPE_IDENTITIES_CTE's identities as a query of their own (WITH its CTEs, {scopes}): what
 * `evaluate` reads once per request and binds as {scope_ids}, instead of each family computing
 * them at every reference (an inlined CTE runs once per reference: twice in the decisions
 * family, twice in the meetings family).
 */
export const SCOPE_IDENTITIES_SQL = `WITH ${RESOLVED_CTE}, ${SCOPE_CLOSURE_CTE}, ${SCOPE_IDENTITIES_CTE}
SELECT identity FROM scope_identities`

/** SCOPE_IDENTITIES_CTE with the identities bound as {scope_ids:Array(String)} (SCOPE_IDENTITIES_SQL's rows) */
export const BOUND_SCOPE_IDENTITIES_CTE = `scope_identities AS (SELECT arrayJoin({scope_ids:Array(String)}) AS identity)`

/**
 * The decision steps that count (DESIGN "Decision semantics": the newest version wins as a
 * whole): the steps of each decision's newest complete version — newest `version` (updatedAt),
 * then latest `arrival` — plus deltas (webhook changes) newer than it. A step that only an older
 * version had, a stale copy replayed late, or the steps of an item that stopped being a decision
 * (`decision.dropped`) never reach a metric. Rows are deduplicated here (one per step id, the
 * newest), not with FINAL, which would keep whichever copy of a tied version was inserted last.
 * `decisions` restricts which decisions are read (a condition on decision_events rows); the
 * newest version is found among all of a decision's rows, so a correction that moves it out of
 * the restriction still retires its older steps.
 */
export const liveDecisionEvents = (decisions = '1'): string => `(
  SELECT e.* FROM decision_events AS e
  INNER JOIN (
    SELECT decision_id, maxIf((version, arrival), complete = 1) AS floor
    FROM decision_events
    WHERE decision_id IN (SELECT decision_id FROM decision_events WHERE ${decisions})
    GROUP BY decision_id
  ) AS newest ON newest.decision_id = e.decision_id
  WHERE (e.version, e.arrival) >= newest.floor
  ORDER BY e.version DESC, e.arrival DESC
  LIMIT 1 BY e.id
)`
