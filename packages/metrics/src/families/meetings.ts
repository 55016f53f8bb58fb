import type { OrgpulseConfig } from '@orgpulse/contracts'
import {
  RESOLVED_CTE,
  SCOPE_CLOSURE_CTE,
  SCOPE_IDENTITIES_CTE,
  SNAPSHOTS_CTE,
  snapFor,
  teamUnit,
  UNIT_NAMES_CTE,
  WINDOWS_CTE,
} from '../sql.ts'
import type { Family, MetricDef } from '../types.ts'

/**
 * Meeting load, focus time and ritual adherence. Base rows come in two kinds:
 *
 * - one row per (scope, window, person, UTC day) for every person whose home unit, in the org
 *   valid that day, is inside the scope: `person_days` (the share of the day inside the window),
 *   `meeting_s` (seconds of that day in meetings the person organised or did not decline),
 *   `esc_s` (the same for escalation / decision-review meetings), `focus_s` (seconds in free
 *   blocks of at least 2 h inside the person's working hours on that local date) and `is_mgr`
 *   (the person leads the scope unit);
 * - one row per (scope, window, ritual, cadence period inside the window) for the configured
 *   rituals expected in that scope: `rit_expected` = 1, `rit_held` = 1 when an occurrence of the
 *   ritual that was not cancelled started in that period.
 *
 * A person's meetings are merged before they are measured: double-booked time counts once, both
 * as meeting time and as busy time. All-day and cancelled occurrences never count as meetings.
 * Out-of-office occurrences (timed or all-day) are busy time for focus, never meeting time.
 * Per-person time zones come from org_people.timezone (else workingHours.timeZone). ClickHouse
 * only takes constant zones in its conversion functions, except `toString(t, tz)`, so the UTC
 * offset at an instant is read from that, and local working hours become instants in two passes
 * (the offset valid at the answer, which is what makes DST weeks right).
 */

/** UTC offset (seconds) of zone `tz` at unix second `x` (both SQL expressions). */
const offsetAt = (x: string, tz: string): string =>
  `(toInt64(toUnixTimestamp(toDateTime(toString(toDateTime(toUInt32(${x}), 'UTC'), ${tz}), 'UTC'))) - toInt64(${x}))`

/** The unix second at which the wall clock in `tz` shows `wall` (seconds of the wall time read as UTC). */
const wallToUnix = (wall: string, tz: string): string =>
  `(${wall} - ${offsetAt(`${wall} - ${offsetAt(wall, tz)}`, tz)})`

/** seconds of the wall time `HH:MM` (a string parameter) on `day`, read as UTC */
const wallClock = (day: string, param: string): string =>
  `toFloat64(toUnixTimestamp(toDateTime(concat(toString(${day}), ' ', {${param}:String}, ':00'), 'UTC')))`

/** intervals (Array(Tuple(Float64, Float64)) of unix seconds) clipped to [lo, hi), empty ones dropped, sorted by start */
const clipped = (iv: string, lo: string, hi: string): string =>
  `arraySort(x -> x.1, arrayFilter(x -> x.2 > x.1, arrayMap(x -> (greatest(x.1, ${lo}), least(x.2, ${hi})), ${iv})))`

/** for sorted intervals: the furthest end reached before each one (at least `lo`) */
const reachedBefore = (iv: string, lo: string): string =>
  `arrayMap(i -> arrayMax(arrayConcat([toFloat64(${lo})], arrayMap(x -> x.2, arraySlice(${iv}, 1, i - 1)))), arrayEnumerate(${iv}))`

/** length of the union of sorted, clipped intervals */
const unionLength = (iv: string, lo: string): string =>
  `arraySum(arrayMap((x, r) -> greatest(0, x.2 - greatest(x.1, r)), ${iv}, ${reachedBefore(iv, lo)}))`

/** total length of the gaps of at least `min` seconds that sorted, clipped intervals leave in [lo, hi) */
const freeBlocks = (iv: string, lo: string, hi: string, min: number): string =>
  `arraySum(arrayFilter(g -> g >= ${min}, arrayConcat(
     arrayMap((x, r) -> x.1 - r, ${iv}, ${reachedBefore(iv, lo)}),
     [toFloat64(${hi}) - arrayMax(arrayConcat([toFloat64(${lo})], arrayMap(x -> x.2, ${iv})))])))`

const FOCUS_BLOCK_SECONDS = 2 * 3600
const unix = (t: string): string => `(toUnixTimestamp64Milli(${t}) / 1000.0)`

/**
 * One row per (window, UTC day of it), with the org snapshot valid that day and the day's part
 * inside the window (unix seconds). Needs SNAPSHOTS_CTE and WINDOWS_CTE before it.
 */
export const DAYS_CTE = `days AS (
  SELECT w_from, w_to, day, (SELECT list FROM snaps) AS snap_list, ${snapFor('day')} AS snap,
    greatest(${unix('w_from')}, toFloat64(toUnixTimestamp(toDateTime(day, 'UTC')))) AS day_lo,
    least(${unix('w_to')}, toFloat64(toUnixTimestamp(toDateTime(day, 'UTC'))) + 86400) AS day_hi
  FROM (
    SELECT w_from, w_to, toDate(w_from) + n AS day
    FROM windows
    ARRAY JOIN range(toUInt32(dateDiff('day', toDate(w_from), toDate(w_to - toIntervalMillisecond(1))) + 1)) AS n
  )
  WHERE day_hi > day_lo
)`

/** the occurrences that were held (not cancelled) near the windows */
export const HELD_CTE = `held AS (
  SELECT meeting_id, start, end, class, ritual, organizer, attendees, responses
  FROM meetings FINAL
  -- absences are kept whole-day too: they only take time away from focus
  WHERE cancelled = 0 AND (all_day = 0 OR class = 'out_of_office') AND end > start
    -- no prefilter on the scope's people here: hasAny against the scope's identity array cost
    -- more than the whole family for a large org; \`carried\` keeps the people in scope by a hashed IN
    AND end > arrayMin({w_froms:Array(DateTime64(3, 'UTC'))}) - toIntervalDay(2)
    AND start < arrayMax({w_tos:Array(DateTime64(3, 'UTC'))}) + toIntervalDay(2)
)`

/**
 * The configured rituals' cadence periods lying wholly inside each window and where each is
 * expected (by its owner, in the org of the period): `expected`, one row per (scope, window,
 * ritual, period), possibly repeated. Needs DAYS_CTE, SCOPE_CLOSURE_CTE and UNIT_NAMES_CTE
 * before it, and the parameters of `ritualParams`.
 */
export const RITUAL_EXPECTED_CTES = `rituals_cfg AS (
  SELECT r.1 AS name, r.2 AS cadence, r.3 AS owner
  FROM (SELECT arrayJoin(arrayZip({rit_names:Array(String)}, {rit_cadences:Array(String)}, {rit_owners:Array(String)})) AS r)
),
periods AS (
  SELECT DISTINCT d.w_from AS w_from, d.w_to AS w_to, d.snap AS snap, rc.name AS name, rc.owner AS owner,
    multiIf(rc.cadence = 'weekly', toMonday(d.day),
            rc.cadence = 'biweekly', toDate('1970-01-05') + intDiv(dateDiff('day', toDate('1970-01-05'), d.day), 14) * 14,
            rc.cadence = 'monthly', toStartOfMonth(d.day),
            toStartOfQuarter(d.day)) AS p_start,
    multiIf(rc.cadence = 'weekly', p_start + 7, rc.cadence = 'biweekly', p_start + 14,
            rc.cadence = 'monthly', addMonths(p_start, 1), addMonths(p_start, 3)) AS p_end
  FROM days AS d CROSS JOIN rituals_cfg AS rc
  WHERE toDateTime64(p_start, 3, 'UTC') >= d.w_from AND toDateTime64(p_end, 3, 'UTC') <= d.w_to
),
-- the period's org decides where the ritual is expected: the owner's home unit (a person), or
-- the owner as a team reference; no owner means every scope
expected AS (
  SELECT p.w_from AS w_from, p.w_to AS w_to, p.name AS name, p.p_start AS p_start, p.p_end AS p_end, sc.scope AS scope
  FROM (
    SELECT pr.w_from AS w_from, pr.w_to AS w_to, pr.snap AS snap, pr.name AS name, pr.p_start AS p_start, pr.p_end AS p_end,
      if(pr.owner = '', '', if(op.person_id != '', op.home_unit,
        if(startsWith(${teamUnit('pr.owner')}, 'u:'), ${teamUnit('pr.owner')}, un.unit_id))) AS owner_unit
    FROM periods AS pr
    LEFT JOIN org_people AS op ON op.effective = pr.snap AND op.person_id = lower(pr.owner)
    LEFT JOIN unit_names AS un ON un.effective = pr.snap AND un.name = pr.owner
  ) AS p
  -- an equality join: a ritual without an owner meets the one '' row of each scope, instead of
  -- an OR condition pairing it with every unit of every scope
  INNER JOIN (
    SELECT DISTINCT effective, unit_id, scope FROM scope_closure
    UNION ALL SELECT DISTINCT effective, '' AS unit_id, scope FROM scope_closure
  ) AS sc
    ON sc.effective = p.snap AND sc.unit_id = p.owner_unit
)`

/**
 * RITUAL_EXPECTED_CTES and whether each expected period was held: `expected_held`, one row per
 * (scope, window, ritual, period) with `held` 0/1. Also needs HELD_CTE. The one relation
 * `ritual_adherence`, `rituals_stopped` and the per-ritual history (rituals.ts) read.
 */
export const RITUAL_PERIODS_CTES = `${RITUAL_EXPECTED_CTES},
ritual_held AS (
  -- the constant test lets the engine skip the scan when no rituals are configured. FINAL over
  -- the meetings some version of which was a ritual (a test on the sorting key, so every version
  -- of such a meeting is merged as in \`held\`), not over every meeting a second time
  SELECT DISTINCT ritual AS name, start FROM held
  WHERE notEmpty({rit_names:Array(String)}) AND class = 'ritual' AND ritual != ''
    AND meeting_id IN (SELECT meeting_id FROM meetings WHERE class = 'ritual' AND notEmpty({rit_names:Array(String)}))
),
expected_held AS (
  SELECT e.scope AS scope, e.w_from AS w_from, e.w_to AS w_to, e.name AS name, e.p_start AS p_start, e.p_end AS p_end,
    max(h.name != '' AND h.start >= toDateTime64(e.p_start, 3, 'UTC') AND h.start < toDateTime64(e.p_end, 3, 'UTC')) AS held
  FROM (SELECT DISTINCT scope, w_from, w_to, name, p_start, p_end FROM expected) AS e
  LEFT JOIN ritual_held AS h ON h.name = e.name
  GROUP BY e.scope, e.w_from, e.w_to, e.name, e.p_start, e.p_end
)`

/** the query parameters RITUAL_PERIODS_CTES reads: the configured rituals */
export function ritualParams(config: OrgpulseConfig): Record<string, string[]> {
  const rituals = config.calendar?.rituals ?? []
  return {
    rit_names: rituals.map((r) => r.name),
    rit_cadences: rituals.map((r) => r.cadence),
    rit_owners: rituals.map((r) => r.owner ?? ''),
  }
}

/**
 * The people whose own calendar is read over the whole window, `covered_people` (w_from, person):
 * the only ones the per-person meeting figures are measured over. Needs WINDOWS_CTE and
 * RESOLVED_CTE before it.
 */
export const coveredPeopleCtes = (
  calendars = '1',
): string => `-- calendar coverage (source_coverage, written by the connectors): per calendar, the ranges it
-- was read completely over: a full sync's range, carried up to the time of each incremental sync
-- that followed it (they continue its sync token), and ICS imports' windows
cal_syncs AS (
  SELECT scope_id AS calendar, mode, ifNull(covered_from, covered_to) AS lo, covered_to AS hi, occurred_at AS at
  FROM source_coverage FINAL WHERE scope_kind = 'calendar' AND ${calendars}
),
cal_ext AS (
  SELECT f.calendar AS calendar, f.at AS full_at, max(i.hi) AS ext_hi
  FROM (SELECT calendar, at, hi FROM cal_syncs WHERE mode = 'incremental') AS i
  ASOF INNER JOIN (SELECT calendar, at FROM cal_syncs WHERE mode = 'full') AS f
    ON f.calendar = i.calendar AND i.at >= f.at
  GROUP BY f.calendar, f.at
),
cal_ranges AS (
  SELECT c.calendar AS calendar,
    groupArray((${unix('c.lo')}, ${unix("greatest(c.hi, if(e.calendar != '', e.ext_hi, c.hi))")})) AS iv
  FROM (SELECT calendar, at, lo, hi FROM cal_syncs WHERE mode != 'incremental') AS c
  LEFT JOIN cal_ext AS e ON e.calendar = c.calendar AND e.full_at = c.at
  GROUP BY c.calendar
),
-- the people whose own calendar is read over the whole window: the only ones measured (a
-- person without a synced calendar is not measured from other people's calendars)
covered_people AS (
  SELECT DISTINCT w_from, person FROM (
    SELECT w.w_from AS w_from, if(r.person_id != '', r.person_id, cw.calendar) AS person,
      ${unix('w.w_from')} AS wlo, ${unix('w.w_to')} AS whi,
      ${unionLength(clipped('cw.iv', 'wlo', 'whi'), 'wlo')} AS covered_s
    FROM cal_ranges AS cw CROSS JOIN windows AS w
    LEFT JOIN resolved AS r ON r.identity = cw.calendar
  )
  WHERE covered_s >= whi - wlo - 0.001
)`

/** coveredPeopleCtes over every calendar */
export const COVERED_PEOPLE_CTES = coveredPeopleCtes()

export const meetingsFamily: Family = {
  id: 'meetings',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${RESOLVED_CTE}, ${SCOPE_CLOSURE_CTE}, ${SCOPE_IDENTITIES_CTE}, ${UNIT_NAMES_CTE},
${DAYS_CTE},
-- only the calendars of people in scope (an identity resolving to one of them, or their own id):
-- covered_people is read for them only, and the company has thousands of calendars
${coveredPeopleCtes('scope_id IN (SELECT identity FROM scope_identities)')},
-- people in any requested scope, per day: measured once per person-day, scoped at the end
members AS (
  SELECT d.w_from AS w_from, d.w_to AS w_to, d.day AS day, d.day_lo AS day_lo, d.day_hi AS day_hi,
    d.snap AS snap, p.home_unit AS home_unit, p.person_id AS person,
    if(p.timezone != '', p.timezone, {wh_tz:String}) AS tz
  FROM days AS d
  INNER JOIN (
    SELECT effective, person_id, home_unit, timezone FROM org_people
    WHERE (effective, home_unit) IN (SELECT effective, unit_id FROM scope_closure)
  ) AS p ON p.effective = d.snap
),
${HELD_CTE},
-- who carries each occurrence: its organiser, and every attendee who did not decline
carried AS (
  SELECT DISTINCT if(r.person_id != '', r.person_id, c.ident) AS person, c.meeting_id AS meeting_id,
    ${unix('c.start')} AS s, ${unix('c.end')} AS e, c.class IN ('escalation', 'decision_review') AS esc,
    c.class = 'out_of_office' AS away
  FROM (
    SELECT meeting_id, start, end, class, ident, resp
    FROM (
      -- the occurrences someone in scope carries, before their lists are unpacked: unpacking
      -- every attendee of every meeting of the company (rows × columns repeated per attendee)
      -- cost more than reading the meetings; a lambda IN tests the lists in place
      SELECT meeting_id, start, end, class, organizer, attendees, responses FROM held
      WHERE arrayExists(a -> a IN (SELECT identity FROM scope_identities), arrayConcat([organizer], attendees))
    )
    ARRAY JOIN arrayConcat([organizer], attendees) AS ident, arrayConcat(['organizer'], responses) AS resp
    -- a hashed IN before the identity join: a director's org is a few dozen of the company's
    -- identities, and resolving every attendee of every meeting cost more than reading them
    WHERE resp != 'declined' AND ident != 'external' AND ident IN (SELECT identity FROM scope_identities)
  ) AS c
  -- whoever the identity resolves to: person_days keeps the people of \`members\` only
  LEFT JOIN resolved AS r ON r.identity = c.ident
),
-- each interval filed under the UTC days it touches, plus one either side: local working hours
-- of a date can fall on the neighbouring UTC day
busy AS (
  SELECT person, day, groupArrayIf((s, e), NOT away) AS all_iv, groupArrayIf((s, e), esc) AS esc_iv,
    groupArray((s, e)) AS busy_iv
  FROM carried
  ARRAY JOIN arrayMap(k -> toDate(toDateTime(toUInt32(s), 'UTC')) - 1 + k,
    range(toUInt32(dateDiff('day', toDate(toDateTime(toUInt32(s), 'UTC')), toDate(toDateTime(toUInt32(e), 'UTC'))) + 3))) AS day
  GROUP BY person, day
),
person_days AS (
  SELECT m.*, b.all_iv AS all_iv, b.esc_iv AS esc_iv, b.busy_iv AS busy_iv,
    toDayOfWeek(m.day) IN {wh_days:Array(UInt8)} AS working_day
  FROM members AS m
  LEFT JOIN busy AS b ON b.person = m.person AND b.day = m.day
),
-- working hours as instants, once per (time zone, date): the zone conversion is the costly part
-- and a handful of zones serve every person
zone_days AS (
  SELECT tz, day, ${wallToUnix(wallClock('day', 'wh_start'), 'tz')} AS ws_at,
    ${wallToUnix(wallClock('day', 'wh_end'), 'tz')} AS we_at
  -- every zone of the scopes' people on every day (a superset of the pairs \`members\` has: the
  -- inner join below keeps the right ones) without joining the org to the days a second time
  FROM (
    SELECT DISTINCT d.day AS day, z.tz AS tz FROM days AS d
    CROSS JOIN (
      SELECT DISTINCT if(timezone != '', timezone, {wh_tz:String}) AS tz FROM org_people
      WHERE (effective, home_unit) IN (SELECT effective, unit_id FROM scope_closure)
    ) AS z
  )
),
local_hours AS (
  SELECT pd.*, greatest(z.ws_at, ${unix('pd.w_from')}) AS wk_lo, least(z.we_at, ${unix('pd.w_to')}) AS wk_hi
  FROM person_days AS pd
  INNER JOIN zone_days AS z ON z.tz = pd.tz AND z.day = pd.day
),
measured AS (
  SELECT lh.*,
    ${clipped('lh.all_iv', 'lh.day_lo', 'lh.day_hi')} AS day_iv,
    ${clipped('lh.esc_iv', 'lh.day_lo', 'lh.day_hi')} AS day_esc_iv,
    ${clipped('lh.busy_iv', 'lh.wk_lo', 'lh.wk_hi')} AS work_iv
  FROM local_hours AS lh
),
${RITUAL_PERIODS_CTES},
person_measures AS (
  SELECT w_from, w_to, snap, home_unit, person,
    (day_hi - day_lo) / 86400 AS person_days,
    ${unionLength('day_iv', 'day_lo')} AS meeting_s,
    ${unionLength('day_esc_iv', 'day_lo')} AS esc_s,
    if(working_day AND wk_hi > wk_lo, ${freeBlocks('work_iv', 'wk_lo', 'wk_hi', FOCUS_BLOCK_SECONDS)}, 0) AS focus_s
  FROM measured
)
SELECT sc.scope AS scope, pm.w_from AS w_from, pm.w_to AS w_to, pm.person AS person,
  pm.person_days AS person_days, pm.meeting_s AS meeting_s, pm.esc_s AS esc_s, pm.focus_s AS focus_s,
  pm.person = substring(sc.scope, 3) AS is_mgr,
  dateDiff('second', pm.w_from, pm.w_to) / 86400 AS window_days,
  0 AS rit_expected, 0 AS rit_held, '' AS rit_name,
  -- one membership test here: the CTEs above are inlined wherever they are referenced
  (pm.w_from, pm.person) IN (SELECT w_from, person FROM covered_people) AS covered, true AS is_person
FROM person_measures AS pm
INNER JOIN scope_closure AS sc ON sc.effective = pm.snap AND sc.unit_id = pm.home_unit
UNION ALL
SELECT e.scope AS scope, e.w_from AS w_from, e.w_to AS w_to, concat('ritual:', e.name, '@', toString(e.p_start)) AS person,
  0 AS person_days, 0 AS meeting_s, 0 AS esc_s, 0 AS focus_s, false AS is_mgr,
  dateDiff('second', e.w_from, e.w_to) / 86400 AS window_days,
  1 AS rit_expected, e.held AS rit_held, e.name AS rit_name, false AS covered, false AS is_person
FROM expected_held AS e
`,
  params: (config: OrgpulseConfig) => ({
    wh_start: config.workingHours.start,
    wh_end: config.workingHours.end,
    wh_days: config.workingHours.days,
    wh_tz: config.workingHours.timeZone,
    ...ritualParams(config),
  }),
  // the group's calendar coverage, next to its metrics (see compute.ts: coverage gates)
  extras: {
    _cal_covered: 'uniqExactIf(person, is_person AND covered)',
    _cal_people: 'uniqExactIf(person, is_person)',
    _leader_covered: 'countIf(is_mgr AND covered) > 0',
  },
}

/** total hours / person-weeks, over the people whose own calendar is synced for the window */
const perPersonWeek = (col: string): string =>
  `if(sumIf(person_days, covered) = 0, NULL, sumIf(${col}, covered) / 3600 / (sumIf(person_days, covered) / 7))`

export const meetingMetrics: MetricDef[] = [
  {
    id: 'meeting_hours_per_person_week',
    title: 'Meeting hours per person per week',
    description:
      'Mean over the people in the org whose own calendar is synced for the window of their weekly hours in meetings they organised or did not decline (all-day and cancelled occurrences excluded; double-booked time counts once): total hours / person-weeks. Null (partial_coverage) when fewer than privacy.minGroupSize people, or a share below calendar.minCoverage, are covered.',
    unit: 'hours_per_week',
    direction: 'lower_is_better',
    thresholds: { warn: 15, critical: 20 },
    family: 'meetings',
    peopleBased: true,
    requires: 'calendar',
    sample: 'uniqExactIf(person, is_person AND covered)',
    sampleOf: 'people with calendars synced',
    minSample: 1,
    expr: perPersonWeek('meeting_s'),
  },
  {
    id: 'director_escalation_meeting_hours_week',
    title: 'Leader hours in escalation and decision meetings per week',
    description:
      "The org leader's weekly hours in meetings classified escalation or decision review that they organised or did not decline.",
    unit: 'hours_per_week',
    direction: 'lower_is_better',
    thresholds: { warn: 4, critical: 8 },
    family: 'meetings',
    peopleBased: true,
    individual: true,
    requires: 'leader_calendar',
    sample: 'uniqExactIf(person, is_mgr AND covered)',
    sampleOf: 'leaders with their own calendar synced',
    minSample: 1,
    expr: `if(countIf(is_mgr AND covered) = 0, NULL, sumIf(esc_s, is_mgr AND covered) / 3600 / (max(window_days) / 7))`,
  },
  {
    id: 'focus_hours_per_person_week',
    title: 'Focus hours per person per week',
    description:
      'Mean weekly hours, over the people whose own calendar is synced for the window, in free blocks of at least 2 hours inside working hours (workingHours in config, in each person’s time zone); meetings and out-of-office time are not free. Null without calendar coverage, never a full-focus week.',
    unit: 'hours_per_week',
    direction: 'higher_is_better',
    thresholds: { warn: 12, critical: 6 },
    family: 'meetings',
    peopleBased: true,
    requires: 'calendar',
    sample: 'uniqExactIf(person, is_person AND covered)',
    sampleOf: 'people with calendars synced',
    minSample: 1,
    expr: perPersonWeek('focus_s'),
  },
  {
    id: 'ritual_adherence',
    title: 'Ritual adherence',
    description:
      'Held / expected occurrences of the configured rituals: per ritual, the cadence periods (weeks, fortnights, months, quarters; UTC) lying wholly inside the window, and whether an occurrence that was not cancelled started in each.',
    unit: 'ratio',
    direction: 'higher_is_better',
    thresholds: { warn: 0.8, critical: 0.6 },
    family: 'meetings',
    peopleBased: true,
    requires: 'calendar',
    sample: 'sum(rit_expected)',
    sampleOf: 'expected ritual occurrences',
    minSample: 1,
    expr: 'if(sum(rit_expected) = 0, NULL, sum(rit_held) / sum(rit_expected))',
  },
  {
    id: 'rituals_stopped',
    title: 'Rituals stopped',
    description:
      'Of the configured rituals expected in the scope with at least one cadence period lying wholly inside the window: how many were held in none of those periods (a weekly ritual over a 3-week window missed all 3 weeks). Null when no ritual has a whole period inside the window. The relation is the one ritual_adherence reads.',
    unit: 'count',
    direction: 'lower_is_better',
    thresholds: { warn: null, critical: 1 },
    family: 'meetings',
    peopleBased: true,
    requires: 'calendar',
    sample: 'uniqExactIf(rit_name, rit_expected = 1)',
    sampleOf: 'rituals expected',
    minSample: 1,
    expr: 'if(sum(rit_expected) = 0, NULL, uniqExactIf(rit_name, rit_expected = 1) - uniqExactIf(rit_name, rit_held = 1))',
  },
]

/**
 * What complementary suppression reads of a unit whose figures are not published (compute.ts
 * `judgeTree` with `publish`): the same rows as meetingsFamily's without measuring anyone's
 * meetings: one per (scope, window, person in the scope that window) with `covered`, and one per
 * (scope, window, expected ritual) with its number of expected periods. Its coverage extras are the family's; the suppressible meeting
 * metrics are replaced by MEETING_SHAPES. Measuring every person-day of the company is what made
 * one director's figures cost seconds, while whether a unit's value is hidden depends only on
 * its people, its coverage and whether any ritual is expected in it.
 */
export const meetingsShapeFamily: Family = {
  id: 'meetings',
  base: `
WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${RESOLVED_CTE}, ${SCOPE_CLOSURE_CTE}, ${UNIT_NAMES_CTE},
${DAYS_CTE},
${COVERED_PEOPLE_CTES},
-- the org snapshots valid on some day of each window: a person is in a scope for the window
-- when their home unit is inside it on any of its days (the family's members, per day)
members AS (
  SELECT DISTINCT d.w_from AS w_from, d.snap AS snap, p.home_unit AS home_unit, p.person_id AS person
  FROM (SELECT DISTINCT w_from, snap FROM days) AS d
  INNER JOIN (
    SELECT effective, person_id, home_unit FROM org_people
    WHERE (effective, home_unit) IN (SELECT effective, unit_id FROM scope_closure)
  ) AS p ON p.effective = d.snap
),
${RITUAL_EXPECTED_CTES}
SELECT sc.scope AS scope, m.w_from AS w_from, m.person AS person,
  m.person = substring(sc.scope, 3) AS is_mgr,
  0 AS rit_expected, '' AS rit_name,
  (m.w_from, m.person) IN (SELECT w_from, person FROM covered_people) AS covered, true AS is_person
FROM members AS m
INNER JOIN scope_closure AS sc ON sc.effective = m.snap AND sc.unit_id = m.home_unit
UNION ALL
-- one row per (scope, window, ritual) counting its expected periods: the family's one row per
-- period would be a row per scope and week of the year for every ritual expected everywhere
SELECT scope, w_from, '' AS person, false AS is_mgr, uniqExact(p_start, p_end) AS rit_expected, name AS rit_name,
  false AS covered, false AS is_person
FROM expected
GROUP BY scope, w_from, name
`,
  params: ritualParams,
  extras: meetingsFamily.extras!,
}

/**
 * For each suppressible meeting metric (people-based, not individual), an expression over
 * meetingsShapeFamily's rows that is NULL exactly when the metric's own value is, and its sample:
 * suppression reads only whether a value is shown, never the value. The per-person means are
 * NULL when no covered person-day is in the scope (every person-day of the family lasts more
 * than 0 s), the ritual metrics when no ritual period is expected in it.
 */
export const MEETING_SHAPES: Record<string, { expr: string; sample: string }> = {
  meeting_hours_per_person_week: {
    expr: 'if(countIf(is_person AND covered) = 0, NULL, 0)',
    sample: 'uniqExactIf(person, is_person AND covered)',
  },
  focus_hours_per_person_week: {
    expr: 'if(countIf(is_person AND covered) = 0, NULL, 0)',
    sample: 'uniqExactIf(person, is_person AND covered)',
  },
  ritual_adherence: { expr: 'if(sum(rit_expected) = 0, NULL, 0)', sample: 'sum(rit_expected)' },
  rituals_stopped: {
    expr: 'if(sum(rit_expected) = 0, NULL, 0)',
    sample: 'uniqExactIf(rit_name, rit_expected > 0)',
  },
}
