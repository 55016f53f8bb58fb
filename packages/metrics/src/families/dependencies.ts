import { SCOPE_CLOSURE_CTE, SNAPSHOTS_CTE, snapFor, teamUnit, UNIT_NAMES_CTE, WINDOWS_CTE } from '../sql.ts'
import type { Family, MetricDef } from '../types.ts'

/** the end of an interval still open: far enough for any event, inside DateTime64(3)'s range */
const OPEN_END = "toDateTime64('2262-01-01 00:00:00', 3, 'UTC')"
/** an empty list of intervals, typed (the fold's accumulator must keep one type) */
const NO_INTERVALS = "CAST([], 'Array(Tuple(DateTime64(3, \\'UTC\\'), DateTime64(3, \\'UTC\\')))')"

/**
 * One row per (cross-team blocking link, scope, window). A link belongs to a scope when its
 * blocker's or blocked item's team is inside the scope, in the org valid at the end of the window.
 *
 * A link is one link however it is seen (DESIGN "A blocking link"): its changes, from either
 * side, are folded in time order into open intervals. An interval opens when the link is made (or
 * its blocker reopened while linked) and closes at the first of: the link removed, the blocker
 * done. A change that finds the link already in that state changes nothing (the other side's
 * record of it, a later removal of a link whose blocker was done); a link made while its blocker
 * is done opens no interval (a zero-length one is dropped). The first interval's end is the link's
 * first resolution, the one that counts.
 */
export const dependenciesFamily: Family = {
  id: 'dependencies',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${SCOPE_CLOSURE_CTE}, ${UNIT_NAMES_CTE},
changes AS (
  SELECT
    link_id,
    argMax(blocker_item, version) AS blocker_item,
    argMax(blocked_item, version) AS blocked_item,
    argMaxIf(blocker_team, version, blocker_team != '') AS blocker_team,
    argMaxIf(blocked_team, version, blocked_team != '') AS blocked_team,
    -- (time, 0 opens | 1 closes): at one instant an opening sorts first, so a link made while
    -- its blocker is done opens and closes at once
    arraySort(groupArray((occurred_at, toUInt8(type != 'dependency.linked')))) AS steps
  FROM dependency_events FINAL
  -- a blocked item closing does not end the blocking (DESIGN): only removal or the blocker done
  WHERE type = 'dependency.linked' OR reason IN ('unlinked', 'blocker_done')
  GROUP BY link_id
),
links AS (
  SELECT
    *,
    arrayFold((acc, s) -> if(s.2 = 0,
        if(acc.1, acc, (true, s.1, acc.3)),
        if(acc.1, (false, s.1, if(s.1 > acc.2, arrayPushBack(acc.3, (acc.2, s.1)), acc.3)), acc)),
      steps, (false, toDateTime64(0, 3, 'UTC'), ${NO_INTERVALS})) AS folded,
    if(folded.1, arrayPushBack(folded.3, (folded.2, ${OPEN_END})), folded.3) AS intervals
  FROM changes
),
states AS (
  SELECT
    link_id, blocker_item, blocked_item, blocker_team, blocked_team, intervals,
    intervals[1].1 AS created_at,
    intervals[1].2 AS first_resolved_at,
    intervals[1].2 < ${OPEN_END} AS resolved
  FROM links
  WHERE length(intervals) > 0 AND blocker_team != '' AND blocked_team != ''
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
    -- the interval open at \`to\` (an interval ending exactly at \`to\` was open throughout [from, to))
    arrayFirst(iv -> iv.1 < c.w_to AND iv.2 >= c.w_to, c.intervals) AS open_interval,
    open_interval.2 >= c.w_to AS open_at_end,
    open_interval.1 AS open_since,
    arrayExists(iv -> iv.1 < c.w_to AND iv.2 >= c.w_from, c.intervals) AS active_in_window,
    c.resolved AND c.first_resolved_at >= c.w_from AND c.first_resolved_at < c.w_to AS resolved_in_window,
    dateDiff('millisecond', c.created_at, c.first_resolved_at) <= 14 * 86400000 AS resolved_within_14d,
    arrayFilter(iv -> iv.2 > iv.1, arrayMap(iv -> (
        toUnixTimestamp64Milli(greatest(iv.1, c.w_from)) / 1000.0,
        toUnixTimestamp64Milli(least(iv.2, c.w_to)) / 1000.0), c.intervals)) AS clipped
  FROM cross_team AS c
  INNER JOIN per_scope AS ps ON ps.link_id = c.link_id AND ps.w_from = c.w_from
),
items AS (
  SELECT
    *,
    row_number() OVER item = 1 AS first_of_item,
    -- blocked item-days count the blocked items whose own team is in the scope
    arraySort(groupArrayArrayIf(clipped, blocked_in_scope) OVER item) AS item_intervals
  FROM rows
  WINDOW item AS (PARTITION BY blocked_item, scope, w_from ORDER BY blocked_in_scope DESC, link_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
SELECT
  *,
  -- union of the item's blocker intervals inside the window: fold over them sorted by start,
  -- extending the current run on overlap and banking it on a gap
  if(first_of_item AND blocked_in_scope AND length(item_intervals) > 0,
    (arrayFold((acc, iv) -> if(iv.1 > acc.3, (acc.1 + (acc.3 - acc.2), iv.1, iv.2), (acc.1, acc.2, greatest(acc.3, iv.2))),
      item_intervals, (0., item_intervals[1].1, item_intervals[1].1)) AS folded_days).1 + folded_days.3 - folded_days.2,
    0.) / 86400 AS blocked_days_of_item
FROM items
`,
}

/** age at `to` of an open link: since its current interval opened */
const ageDays = `dateDiff('millisecond', open_since, w_to) / 86400000.0`

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
    sample: 'countIf(open_at_end)',
    sampleOf: 'open blockers',
    minSample: 0,
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
    sample: 'countIf(open_at_end)',
    sampleOf: 'open blockers',
    minSample: 3,
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
    sample: 'countIf(open_at_end)',
    sampleOf: 'open blockers',
    minSample: 5,
    expr: `if(countIf(open_at_end) = 0, NULL, quantileExactInclusiveIf(0.9)(${ageDays}, open_at_end))`,
  },
  {
    id: 'blockers_resolved_14d_rate',
    title: 'Blockers resolved within 14 days',
    description:
      'Of the cross-team blocking links first resolved in the window (link removed or blocker done, whichever came first): the share first resolved within 14 days of being created.',
    unit: 'ratio',
    direction: 'higher_is_better',
    thresholds: { warn: 0.7, critical: 0.5 },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    sample: 'countIf(resolved_in_window)',
    sampleOf: 'blockers first resolved in the window',
    minSample: 3,
    expr: 'if(countIf(resolved_in_window) = 0, NULL, countIf(resolved_in_window AND resolved_within_14d) / countIf(resolved_in_window))',
  },
  {
    id: 'blocked_item_days',
    title: 'Blocked item-days',
    description:
      'Sum over blocked items whose own team is in the org of the days inside the window they spent with at least one open cross-team blocker.',
    unit: 'item_days',
    direction: 'lower_is_better',
    thresholds: { warn: null, critical: null },
    family: 'dependencies',
    peopleBased: false,
    requires: 'tracker',
    // per blocked item, the union of its blockers' open intervals clipped to the window (base row)
    sample: 'countIf(first_of_item AND blocked_in_scope AND blocked_days_of_item > 0)',
    sampleOf: 'blocked items',
    minSample: 0,
    expr: `sum(blocked_days_of_item)`,
  },
]
