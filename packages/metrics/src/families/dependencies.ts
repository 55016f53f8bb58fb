import { SCOPE_CLOSURE_CTE, SNAPSHOTS_CTE, snapFor, teamUnit, UNIT_NAMES_CTE, WINDOWS_CTE } from '../sql.ts'
import type { Family, MetricDef } from '../types.ts'

/**
 * One row per (cross-team blocking link, scope, window). A link belongs to a scope when its
 * blocker's or blocked item's team is inside the scope, in the org valid at the end of the window.
 * A link is open from its first `linked` event until a `resolved` event that is not followed by a
 * new `linked` (a reopened blocker counts as open again).
 */
export const dependenciesFamily: Family = {
  id: 'dependencies',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${SCOPE_CLOSURE_CTE}, ${UNIT_NAMES_CTE},
links AS (
  SELECT
    link_id,
    argMaxIf(blocker_item, version, type = 'dependency.linked') AS blocker_item,
    argMaxIf(blocked_item, version, type = 'dependency.linked') AS blocked_item,
    argMaxIf(blocker_team, version, type = 'dependency.linked') AS blocker_team,
    argMaxIf(blocked_team, version, type = 'dependency.linked') AS blocked_team,
    minIf(occurred_at, type = 'dependency.linked') AS created_at,
    maxIf(occurred_at, type = 'dependency.linked') AS last_linked_at,
    countIf(type = 'dependency.resolved') > 0 AS has_resolved,
    maxIf(occurred_at, type = 'dependency.resolved') AS resolved_raw
  FROM dependency_events FINAL
  GROUP BY link_id
  HAVING countIf(type = 'dependency.linked') > 0
),
states AS (
  SELECT
    *,
    has_resolved AND resolved_raw >= last_linked_at AS resolved,
    if(has_resolved AND resolved_raw >= last_linked_at, resolved_raw, toDateTime64('2262-01-01 00:00:00', 3, 'UTC')) AS resolved_at
  FROM links
  WHERE blocker_team != '' AND blocked_team != ''
),
framed AS (
  SELECT s.*, w.w_from AS w_from, w.w_to AS w_to, (SELECT list FROM snaps) AS snap_list,
    ${snapFor('w.w_to - toIntervalMillisecond(1)')} AS snap
  FROM states AS s CROSS JOIN windows AS w
),
units AS (
  SELECT f.*,
    if(startsWith(${teamUnit('f.blocker_team')}, 'u:'), ${teamUnit('f.blocker_team')}, nb.unit_id) AS blocker_unit,
    if(startsWith(${teamUnit('f.blocked_team')}, 'u:'), ${teamUnit('f.blocked_team')}, nd.unit_id) AS blocked_unit
  FROM framed AS f
  LEFT JOIN unit_names AS nb ON nb.effective = f.snap AND nb.name = f.blocker_team
  LEFT JOIN unit_names AS nd ON nd.effective = f.snap AND nd.name = f.blocked_team
),
cross_team AS (
  SELECT * FROM units WHERE blocker_unit != '' AND blocked_unit != '' AND blocker_unit != blocked_unit
),
scoped AS (
  SELECT DISTINCT c.link_id, c.w_from, sc.scope, sc.unit_id = c.blocked_unit AS blocked_side
  FROM cross_team AS c
  INNER JOIN scope_closure AS sc ON sc.effective = c.snap AND sc.unit_id IN (c.blocker_unit, c.blocked_unit)
),
per_scope AS (
  SELECT link_id, w_from, scope, max(blocked_side) AS blocked_in_scope FROM scoped GROUP BY link_id, w_from, scope
),
rows AS (
  SELECT
    c.*,
    ps.scope AS scope,
    ps.blocked_in_scope AS blocked_in_scope,
    c.created_at < c.w_to AND c.resolved_at >= c.w_to AS open_at_end,
    c.resolved AND c.resolved_at >= c.w_from AND c.resolved_at < c.w_to AS resolved_in_window,
    dateDiff('millisecond', c.created_at, c.resolved_at) <= 14 * 86400000 AS resolved_within_14d,
    toUnixTimestamp64Milli(greatest(c.created_at, c.w_from)) / 1000.0 AS clip_start,
    toUnixTimestamp64Milli(least(c.resolved_at, c.w_to)) / 1000.0 AS clip_end
  FROM cross_team AS c
  INNER JOIN per_scope AS ps ON ps.link_id = c.link_id AND ps.w_from = c.w_from
),
items AS (
  SELECT
    *,
    row_number() OVER item = 1 AS first_of_item,
    arraySort(arrayFilter(iv -> iv.2 > iv.1, groupArray((clip_start, clip_end)) OVER item)) AS item_intervals
  FROM rows
  WINDOW item AS (PARTITION BY blocked_item, scope, w_from ORDER BY link_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
SELECT
  *,
  -- union of the item's blocker intervals inside the window: fold over them sorted by start,
  -- extending the current run on overlap and banking it on a gap
  if(first_of_item AND blocked_in_scope AND length(item_intervals) > 0,
    (arrayFold((acc, iv) -> if(iv.1 > acc.3, (acc.1 + (acc.3 - acc.2), iv.1, iv.2), (acc.1, acc.2, greatest(acc.3, iv.2))),
      item_intervals, (0., item_intervals[1].1, item_intervals[1].1)) AS folded).1 + folded.3 - folded.2,
    0.) / 86400 AS blocked_days_of_item
FROM items
`,
}

const ageDays = `dateDiff('millisecond', created_at, w_to) / 86400000.0`

export const dependencyMetrics: MetricDef[] = [
  {
    id: 'blockers_open',
    title: 'Open cross-team blockers',
    description:
      'Cross-team blocking links (A blocks B, owned by different teams, at least one in the org) open at the end of the window.',
    unit: 'count',
    direction: 'lower_is_better',
    thresholds: { warn: 10, critical: 25 },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    expr: 'countIf(open_at_end)',
  },
  {
    id: 'blocker_age_p50_days',
    title: 'Blocker age p50',
    description: 'Median age in days, at the end of the window, of the open cross-team blockers.',
    unit: 'days',
    direction: 'lower_is_better',
    thresholds: { warn: 7, critical: 14 },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    expr: `if(countIf(open_at_end) = 0, NULL, quantileExactInclusiveIf(0.5)(${ageDays}, open_at_end))`,
  },
  {
    id: 'blocker_age_p90_days',
    title: 'Blocker age p90',
    description: '90th percentile age in days, at the end of the window, of the open cross-team blockers.',
    unit: 'days',
    direction: 'lower_is_better',
    thresholds: { warn: 14, critical: 30 },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    expr: `if(countIf(open_at_end) = 0, NULL, quantileExactInclusiveIf(0.9)(${ageDays}, open_at_end))`,
  },
  {
    id: 'blockers_resolved_14d_rate',
    title: 'Blockers resolved within 14 days',
    description:
      'Of the cross-team blocking links resolved in the window: the share resolved within 14 days of being created.',
    unit: 'ratio',
    direction: 'higher_is_better',
    thresholds: { warn: 0.7, critical: 0.5 },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    expr: 'if(countIf(resolved_in_window) = 0, NULL, countIf(resolved_in_window AND resolved_within_14d) / countIf(resolved_in_window))',
  },
  {
    id: 'blocked_item_days',
    title: 'Blocked item-days',
    description:
      'Sum over blocked items in the org of the days inside the window they spent with at least one open cross-team blocker.',
    unit: 'item_days',
    direction: 'lower_is_better',
    thresholds: { warn: null, critical: null },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    // per blocked item, the union of its blockers' open intervals clipped to the window (base row)
    expr: `sum(blocked_days_of_item)`,
  },
]
