import {
  liveDecisionEvents,
  RESOLVED_CTE,
  SCOPE_CLOSURE_CTE,
  SCOPE_IDENTITIES_CTE,
  SNAPSHOTS_CTE,
  snapFor,
  WINDOWS_CTE,
} from '../sql.ts'
import type { Family, MetricDef } from '../types.ts'

/**
 * One row per (decision, scope, window), with `expected_decider`: the person expected to make
 * the call. A decision belongs to the scopes containing its
 * raiser's home unit in the org valid when it was raised. Its decider's level and the implicit
 * escalation test use the org valid when the call was made.
 */
export const decisionsFamily: Family = {
  id: 'decisions',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${RESOLVED_CTE}, ${SCOPE_CLOSURE_CTE}, ${SCOPE_IDENTITIES_CTE},
state AS (
  SELECT
    decision_id,
    argMinIf(raised_by, occurred_at, type = 'decision.raised') AS raiser_identity,
    minIf(occurred_at, type = 'decision.raised') AS raised_at,
    countIf(type IN ('decision.decided', 'decision.rejected')) > 0 AS has_call,
    minIf(occurred_at, type IN ('decision.decided', 'decision.rejected')) AS called_at,
    argMinIf(actor, occurred_at, type IN ('decision.decided', 'decision.rejected')) AS decider_identity,
    countIf(type = 'decision.withdrawn') > 0 AS has_withdrawn,
    minIf(occurred_at, type = 'decision.withdrawn') AS withdrawn_at,
    countIf(type = 'decision.escalated') > 0 AS explicit_escalation,
    -- every step of a version carries it: the newest version's value, '' when it names nobody
    argMax(expected_decider, (version, arrival)) AS expected_identity
  -- only decisions raised by someone in the requested scopes can be attributed to them
  FROM ${liveDecisionEvents('raised_by IN (SELECT identity FROM scope_identities)')}
  WHERE raised_by IN (SELECT identity FROM scope_identities)
  GROUP BY decision_id
  HAVING countIf(type = 'decision.raised') > 0
),
located AS (
  SELECT
    s.*,
    (SELECT list FROM snaps) AS snap_list,
    ${snapFor('s.raised_at')} AS raised_snap,
    ${snapFor('s.called_at')} AS called_snap,
    rr.person_id AS raiser,
    rd.person_id AS decider,
    -- the person expected to make the call ('' when none or unresolved), as raiser and decider
    re.person_id AS expected_decider
  FROM state AS s
  LEFT JOIN resolved AS rr ON rr.identity = s.raiser_identity
  LEFT JOIN resolved AS rd ON rd.identity = s.decider_identity
  LEFT JOIN resolved AS re ON re.identity = s.expected_identity
),
attributed AS (
  SELECT l.*, p.home_unit AS raiser_home
  FROM located AS l
  INNER JOIN org_people AS p ON p.effective = l.raised_snap AND p.person_id = l.raiser
  WHERE l.raiser != ''
),
judged AS (
  SELECT
    a.*,
    dp.level AS decider_level,
    dp.person_id != '' AS decider_known,
    -- implicit escalation: the decider leads a unit strictly above the raiser's home unit
    (esc.depth > 0) AS implicit_escalation
  FROM attributed AS a
  LEFT JOIN org_people AS dp ON dp.effective = a.called_snap AND dp.person_id = a.decider
  LEFT JOIN org_people AS hp ON hp.effective = a.called_snap AND hp.person_id = a.raiser
  LEFT JOIN org_closure AS esc
    ON esc.effective = a.called_snap AND esc.unit_id = hp.home_unit AND esc.ancestor_id = concat('u:', a.decider)
)
SELECT
  j.*,
  sc.scope AS scope,
  substring(sc.scope, 3) AS scope_manager,
  w.w_from AS w_from,
  w.w_to AS w_to,
  j.has_call AND j.called_at >= w.w_from AND j.called_at < w.w_to AS decided_in_window,
  j.raised_at < w.w_to
    AND NOT (j.has_call AND j.called_at < w.w_to)
    AND NOT (j.has_withdrawn AND j.withdrawn_at < w.w_to) AS open_at_end,
  (j.explicit_escalation OR j.implicit_escalation) AS escalated
FROM judged AS j
INNER JOIN scope_closure AS sc ON sc.effective = j.raised_snap AND sc.unit_id = j.raiser_home
CROSS JOIN windows AS w
`,
}

const hours = `dateDiff('millisecond', raised_at, called_at) / 3600000.0`

export const decisionMetrics: MetricDef[] = [
  {
    id: 'decisions_decided',
    title: 'Decisions decided',
    description:
      'Decisions raised in the org on which a call was made (decided or rejected) inside the window; a later reversal or supersession keeps the original call time.',
    unit: 'count',
    direction: 'neutral',
    thresholds: { warn: null, critical: null },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(decided_in_window)',
    sampleOf: 'decisions decided',
    minSample: 0,
    expr: 'countIf(decided_in_window)',
  },
  {
    id: 'decision_latency_p50_hours',
    title: 'Decision latency p50',
    description: 'Median hours from raised to decided over the decisions decided in the window.',
    unit: 'hours',
    direction: 'lower_is_better',
    thresholds: { warn: 72, critical: 168 },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(decided_in_window)',
    sampleOf: 'decisions decided',
    minSample: 3,
    expr: `if(countIf(decided_in_window) = 0, NULL, quantileExactInclusiveIf(0.5)(${hours}, decided_in_window))`,
  },
  {
    id: 'decision_latency_p90_hours',
    title: 'Decision latency p90',
    description: '90th percentile of hours from raised to decided over the decisions decided in the window.',
    unit: 'hours',
    direction: 'lower_is_better',
    thresholds: { warn: 168, critical: 336 },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(decided_in_window)',
    sampleOf: 'decisions decided',
    minSample: 5,
    expr: `if(countIf(decided_in_window) = 0, NULL, quantileExactInclusiveIf(0.9)(${hours}, decided_in_window))`,
  },
  {
    id: 'decisions_open',
    title: 'Open decisions',
    description:
      'Decisions raised in the org before the end of the window and not decided, rejected or withdrawn by then.',
    unit: 'count',
    direction: 'lower_is_better',
    thresholds: { warn: null, critical: null },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(open_at_end)',
    sampleOf: 'open decisions',
    minSample: 0,
    expr: 'countIf(open_at_end)',
  },
  {
    id: 'decision_open_age_p50_days',
    title: 'Open decision age p50',
    description: 'Median age in days, at the end of the window, of the open decisions.',
    unit: 'days',
    direction: 'lower_is_better',
    thresholds: { warn: 7, critical: 21 },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(open_at_end)',
    sampleOf: 'open decisions',
    minSample: 3,
    expr: `if(countIf(open_at_end) = 0, NULL, quantileExactInclusiveIf(0.5)(dateDiff('millisecond', raised_at, w_to) / 86400000.0, open_at_end))`,
  },
  {
    id: 'escalation_rate',
    title: 'Escalation rate',
    description:
      "Share of decisions decided in the window that were escalated: explicitly, or decided above the raiser's home (the line manager for an IC, the raiser for a manager).",
    unit: 'ratio',
    direction: 'lower_is_better',
    thresholds: { warn: 0.25, critical: 0.4 },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(decided_in_window)',
    sampleOf: 'decisions decided',
    minSample: 3,
    expr: 'if(countIf(decided_in_window) = 0, NULL, countIf(decided_in_window AND escalated) / countIf(decided_in_window))',
  },
  {
    id: 'centralization',
    title: 'Decision centralisation',
    description:
      "Of the decisions decided in the window that the org's leader did not raise: the share the leader decided personally.",
    unit: 'ratio',
    direction: 'lower_is_better',
    thresholds: { warn: 0.3, critical: 0.5 },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(decided_in_window AND raiser != scope_manager)',
    sampleOf: 'decisions decided that the leader did not raise',
    minSample: 3,
    expr: `if(countIf(decided_in_window AND raiser != scope_manager) = 0, NULL,
      countIf(decided_in_window AND raiser != scope_manager AND decider = scope_manager) / countIf(decided_in_window AND raiser != scope_manager))`,
  },
  {
    id: 'decision_depth',
    title: 'Decision depth',
    description:
      'Mean org level of the decider over the decisions decided in the window (IC 0, manager 1, director 2, above 3+).',
    unit: 'level',
    direction: 'lower_is_better',
    thresholds: { warn: 1.8, critical: 2.2 },
    family: 'decisions',
    peopleBased: false,
    sample: 'countIf(decided_in_window AND decider_known)',
    sampleOf: 'decisions decided by someone in the org chart',
    minSample: 3,
    expr: 'if(countIf(decided_in_window AND decider_known) = 0, NULL, avgIf(decider_level, decided_in_window AND decider_known))',
  },
]
