import { FAMILIES, type MetricDef, type MetricFamilyId } from '@orgpulse/metrics'

/**
 * SQL text for the panels, written for Grafana's ClickHouse data source: dashboard variables
 * `${director:singlequote}` (the director's unit id, `u:<email>`) and `${team:singlequote}` (unit
 * ids inside that org; explicit `singlequote` because the plugin's default joins multi-values
 * without escaping), and only backend macros. Series read the pre-computed weekly
 * `metric_rollups`; the two ranking tables reuse the catalog's family SQL so their attribution is
 * the metrics' own.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template
export const DIRECTOR = '${director:singlequote}'
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template
export const TEAMS = '${team:singlequote}'

const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const ident = (s: string): string => `\`${s.replace(/`/g, '')}\``

/** the org snapshot valid at the end of the range (the earliest one before any snapshot) */
export const SNAPSHOT_AT_END = `(SELECT greatest(min(effective), maxIf(effective, effective <= toDate($__toTime))) FROM org_snapshots FINAL)`

/** the weekly rollup rows of `metrics` for the scopes `scope` selects, in the range: all a series or team panel reads */
export const rollupRowsSql = (metrics: readonly MetricDef[], scope: string): string =>
  `(SELECT period_start, scope, metric, value FROM metric_rollups FINAL
   WHERE grain = 'week' AND ${scope} AND metric IN (${metrics.map((m) => lit(m.id)).join(', ')})
     AND $__timeFilter(period_start))`

/** the scope condition of a panel's rollup rows: the director's unit, or the teams of the variable */
export const panelScope = (sql: string): string =>
  sql.includes(TEAMS) ? `scope IN (${TEAMS})` : `scope = ${DIRECTOR}`

/** one column per metric (named by its title), one row per week: a wide frame Grafana plots as is */
export function orgSeriesSql(metrics: readonly MetricDef[]): string {
  const cols = metrics.map((m) => `maxIf(value, metric = ${lit(m.id)}) AS ${ident(m.title)}`).join(',\n  ')
  return `SELECT period_start AS time,
  ${cols}
FROM ${rollupRowsSql(metrics, `scope = ${DIRECTOR}`)}
GROUP BY time
ORDER BY time`
}

/** one metric per team of the `team` variable: a long frame (time, team, value) Grafana splits by team */
export function teamSeriesSql(metric: MetricDef): string {
  return `SELECT r.period_start AS time, n.name AS team, r.value AS value
FROM ${rollupRowsSql([metric], `scope IN (${TEAMS})`)} AS r
INNER JOIN (SELECT unit_id, name FROM org_units WHERE effective = ${SNAPSHOT_AT_END}) AS n ON n.unit_id = r.scope
ORDER BY time, team`
}

/** the latest week's value of each team in the variable, one row per team: a table panel */
export function teamTableSql(metrics: readonly MetricDef[]): string {
  const cols = metrics
    .map((m) => `argMaxIf(r.value, r.period_start, r.metric = ${lit(m.id)}) AS ${ident(m.title)}`)
    .join(',\n  ')
  return `SELECT n.name AS team,
  ${cols}
FROM ${rollupRowsSql(metrics, `scope IN (${TEAMS})`)} AS r
INNER JOIN (SELECT unit_id, name FROM org_units WHERE effective = ${SNAPSHOT_AT_END}) AS n ON n.unit_id = r.scope
GROUP BY team
ORDER BY team`
}

/**
 * A catalog family's base rows for the director's org over the dashboard range: its query
 * parameters become SQL literals and macros (the data source sends no query parameters).
 */
export function familyRowsSql(family: MetricFamilyId): string {
  const base = FAMILIES[family].base
    .replaceAll('{scopes:Array(String)}', `[${DIRECTOR}]`)
    .replaceAll("{w_froms:Array(DateTime64(3, 'UTC'))}", "[toDateTime64($__fromTime, 3, 'UTC')]")
    .replaceAll("{w_tos:Array(DateTime64(3, 'UTC'))}", "[toDateTime64($__toTime, 3, 'UTC')]")
  const left = base.match(/(?<!\$)\{\w+:[A-Z][^}]*\}/)
  if (left) throw new Error(`family ${family} needs query parameter ${left[0]}, which dashboards cannot bind`)
  return base
}

/** who made the calls on the decisions raised in the org and decided in the range */
export function whoDecidesSql(): string {
  return `SELECT d.decider AS decider, any(p.name) AS name, any(d.decider_level) AS level,
  count() AS decisions, round(count() / sum(count()) OVER (), 3) AS share, countIf(d.escalated) AS escalated
FROM (${familyRowsSql('decisions')}) AS d
LEFT JOIN (SELECT person_id, any(name) AS name FROM org_people GROUP BY person_id) AS p ON p.person_id = d.decider
WHERE d.decided_in_window AND d.decider != ''
GROUP BY d.decider
ORDER BY decisions DESC, decider
LIMIT 15`
}

/** the team pairs with the most cross-team blockers open at the end of the range */
export function worstPairsSql(): string {
  const age = "dateDiff('millisecond', b.created_at, b.w_to) / 86400000.0"
  return `SELECT any(nb.name) AS blocking_team, any(nd.name) AS blocked_team, count() AS open_blockers,
  round(quantileExactInclusive(0.5)(${age}), 1) AS age_p50_days,
  round(max(${age}), 1) AS oldest_days
FROM (${familyRowsSql('dependencies')}) AS b
LEFT JOIN org_units AS nb ON nb.effective = b.snap AND nb.unit_id = b.blocker_unit
LEFT JOIN org_units AS nd ON nd.effective = b.snap AND nd.unit_id = b.blocked_unit
WHERE b.open_at_end
GROUP BY b.blocker_unit, b.blocked_unit
ORDER BY open_blockers DESC, oldest_days DESC, blocking_team, blocked_team
LIMIT 10`
}

/** variable queries: first column the value, second the text (the plugin's metricFindQuery convention) */
export const DIRECTOR_VARIABLE_SQL = `SELECT unit_id, concat(name, ' (', manager_id, ')')
FROM org_units
WHERE kind IN ('group', 'org') AND effective = ${SNAPSHOT_AT_END}
ORDER BY manager_id`

/** the director's teams: the units directly below the director (DESIGN "Teams"), as in the api and CLI */
export const TEAM_VARIABLE_SQL = `SELECT c.unit_id, u.name
FROM org_closure AS c
INNER JOIN org_units AS u ON u.effective = c.effective AND u.unit_id = c.unit_id
WHERE c.ancestor_id = ${DIRECTOR} AND c.depth = 1 AND c.effective = ${SNAPSHOT_AT_END}
ORDER BY u.name`
