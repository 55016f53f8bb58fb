import { SCOPE_CLOSURE_CTE, SNAPSHOTS_CTE, snapFor, teamUnit, UNIT_NAMES_CTE, WINDOWS_CTE } from '../sql.ts'
import type { Family, MetricDef } from '../types.ts'

/** One row per (cycle ending in the window, scope): the latest snapshot of each cycle/sprint. */
export const planningFamily: Family = {
  id: 'planning',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${SCOPE_CLOSURE_CTE}, ${UNIT_NAMES_CTE},
latest AS (SELECT * FROM cycles FINAL),
framed AS (
  SELECT l.cycle_id, l.team, l.committed, l.completed, l.added, l.ends_at, w.w_from AS w_from, w.w_to AS w_to,
    (SELECT list FROM snaps) AS snap_list, ${snapFor('l.ends_at')} AS snap
  FROM latest AS l CROSS JOIN windows AS w
  WHERE l.ends_at >= w.w_from AND l.ends_at < w.w_to
),
located AS (
  SELECT f.*, if(startsWith(${teamUnit('f.team')}, 'u:'), ${teamUnit('f.team')}, n.unit_id) AS unit
  FROM framed AS f LEFT JOIN unit_names AS n ON n.effective = f.snap AND n.name = f.team
)
SELECT l.*, sc.scope AS scope
FROM located AS l
INNER JOIN scope_closure AS sc ON sc.effective = l.snap AND sc.unit_id = l.unit
`,
}

export const planningMetrics: MetricDef[] = [
  {
    id: 'cycle_completion_rate',
    title: 'Cycle completion rate',
    description:
      'Completed scope / scope committed at cycle start, over cycles and sprints ending in the window.',
    unit: 'ratio',
    direction: 'higher_is_better',
    thresholds: { warn: 0.7, critical: 0.5 },
    family: 'planning',
    peopleBased: false,
    requires: 'tracker',
    sample: 'uniqExact(cycle_id)',
    sampleOf: 'cycles',
    minSample: 1,
    expr: 'if(sum(committed) = 0, NULL, sum(completed) / sum(committed))',
  },
  {
    id: 'scope_added_rate',
    title: 'Scope added mid-cycle',
    description:
      'Scope added after cycle start / scope committed at cycle start, over cycles and sprints ending in the window.',
    unit: 'ratio',
    direction: 'lower_is_better',
    thresholds: { warn: 0.2, critical: 0.4 },
    family: 'planning',
    peopleBased: false,
    requires: 'tracker',
    sample: 'uniqExact(cycle_id)',
    sampleOf: 'cycles',
    minSample: 1,
    expr: 'if(sum(committed) = 0, NULL, sum(added) / sum(committed))',
  },
]

/**
 * Tracker coverage, one row per (scope, window, synced tracker scope): the Jira projects and
 * Linear teams whose configured team lies inside the scope (in the org valid at the end of the
 * window) and that were synced after the window began. A tracker is read whole, so one sync
 * after the window's start covers it; a synced tracker with no links or cycles is a true zero,
 * no synced tracker at all is no data. Evaluated like a family; its one aggregate is an extra.
 */
export const trackerCoverage: Family = {
  id: 'planning',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${SCOPE_CLOSURE_CTE}, ${UNIT_NAMES_CTE},
syncs AS (
  SELECT source, scope_id, teams, occurred_at FROM source_coverage FINAL WHERE scope_kind IN ('project', 'team')
),
framed AS (
  SELECT concat(s.source, ':', s.scope_id) AS tracker, s.teams AS teams, w.w_from AS w_from, w.w_to AS w_to,
    (SELECT list FROM snaps) AS snap_list, ${snapFor('w.w_to - toIntervalMillisecond(1)')} AS snap
  FROM syncs AS s CROSS JOIN windows AS w
  WHERE s.occurred_at > w.w_from
),
located AS (
  SELECT f.tracker AS tracker, f.w_from AS w_from, f.w_to AS w_to, f.snap AS snap,
    if(startsWith(${teamUnit('f.team')}, 'u:'), ${teamUnit('f.team')}, n.unit_id) AS unit
  FROM (SELECT tracker, w_from, w_to, snap, team FROM framed ARRAY JOIN teams AS team) AS f
  LEFT JOIN unit_names AS n ON n.effective = f.snap AND n.name = f.team
)
SELECT DISTINCT sc.scope AS scope, l.w_from AS w_from, l.w_to AS w_to, l.tracker AS tracker
FROM located AS l
INNER JOIN scope_closure AS sc ON sc.effective = l.snap AND sc.unit_id = l.unit
`,
  extras: { _trackers: 'uniqExact(tracker)' },
}
