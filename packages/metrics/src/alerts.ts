import type { OrgpulseConfig } from '@orgpulse/contracts'
import { z } from 'zod'
import { metricById } from './catalog.ts'

/**
 * Alert rules, defined once: Grafana's file-provisioned alert rules, the per-director rules that
 * `orgpulse grafana sync` writes, and `orgpulse alerts check` all come from this list. Each rule
 * reads the director's org value (the director's own unit) pooled over the last `windowWeeks`
 * complete weeks: the trailing-window rows of `metric_rollups` (grain `w4`, …, see
 * `trailingWindows`), which hold exactly what `orgpulse metrics --from (E − window) --to E` shows,
 * E being the Monday 00:00 UTC that ends the last complete week. Grafana and the CLI run the same
 * query, so they judge the same numbers.
 */
export const alertRuleSchema = z.object({
  id: z.string().regex(/^[a-z0-9_]+$/),
  title: z.string(),
  /** catalog metric id the rule reads */
  metric: z.string(),
  /**
   * `above`: the value over the window (pooled: a ratio or quantile over all its items) is above
   * the threshold; `above_baseline`: that value divided by the value over the `baselineWeeks`
   * before the window is above the threshold (a factor)
   */
  condition: z.enum(['above', 'above_baseline']),
  windowWeeks: z.number().int().positive(),
  baselineWeeks: z.number().int().nonnegative(),
  /** which setting under `alerts:` in orgpulse.yaml holds the threshold */
  thresholdSetting: z.enum([
    'centralizationMax',
    'escalationOverBaseline',
    'latencyP90MaxHours',
    'blockerMaxAgeDays',
    'ritualsStoppedMax',
  ]),
  summary: z.string(),
})
export type AlertRule = z.infer<typeof alertRuleSchema>

export const ALERT_RULES: readonly AlertRule[] = [
  {
    id: 'decisions_centralising',
    title: 'Decisions centralising on the director',
    metric: 'centralization',
    condition: 'above',
    windowWeeks: 4,
    baselineWeeks: 0,
    thresholdSetting: 'centralizationMax',
    summary:
      "The director personally decided more than the allowed share of the org's decisions over the last 4 weeks.",
  },
  {
    id: 'escalation_above_baseline',
    title: 'Escalation rate above its baseline',
    metric: 'escalation_rate',
    condition: 'above_baseline',
    windowWeeks: 4,
    baselineWeeks: 12,
    thresholdSetting: 'escalationOverBaseline',
    summary:
      'The escalation rate of the last 4 weeks is above the allowed factor of its rate over the 12 weeks before.',
  },
  {
    id: 'decision_latency_p90_high',
    title: 'Decision latency p90 above its limit',
    metric: 'decision_latency_p90_hours',
    condition: 'above',
    windowWeeks: 4,
    baselineWeeks: 0,
    thresholdSetting: 'latencyP90MaxHours',
    summary:
      'The slowest decisions (p90, hours from raised to decided) took longer than the limit over the last 4 weeks.',
  },
  {
    id: 'cross_team_blockers_stale',
    title: 'Cross-team blockers older than the limit',
    metric: 'blocker_age_p90_days',
    condition: 'above',
    windowWeeks: 1,
    baselineWeeks: 0,
    thresholdSetting: 'blockerMaxAgeDays',
    summary: 'The oldest tenth of the open cross-team blockers (age p90, days) is older than the limit.',
  },
  {
    id: 'ritual_stopped',
    title: 'A ritual stopped',
    metric: 'rituals_stopped',
    condition: 'above',
    // 3 weeks: a weekly ritual skipped once (a holiday) is not stopped; missed 3 times running is
    windowWeeks: 3,
    baselineWeeks: 0,
    thresholdSetting: 'ritualsStoppedMax',
    summary:
      'A configured ritual expected in the org was held in none of its cadence periods over the last 3 weeks.',
  },
].map((r) => {
  const rule = alertRuleSchema.parse(r)
  metricById(rule.metric) // fails at load when a rule names a metric the catalog does not have
  return rule
})

export function alertRuleById(id: string): AlertRule {
  const r = ALERT_RULES.find((x) => x.id === id)
  if (!r) throw new Error(`unknown alert rule "${id}"; known: ${ALERT_RULES.map((x) => x.id).join(', ')}`)
  return r
}

export const alertThreshold = (rule: AlertRule, config: OrgpulseConfig): number =>
  config.alerts[rule.thresholdSetting]

/** how far back the rule's query must see: the window plus the baseline, in seconds (Grafana's relativeTimeRange.from) */
export const alertLookbackSeconds = (rule: AlertRule): number =>
  (rule.windowWeeks + rule.baselineWeeks) * 7 * 86400

const WEEK_SECONDS = 7 * 86400
const sqlString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** the rollup grain of a trailing window of `weeks` weeks (rollups.ts stores them) */
const grainOf = (weeks: number): string => (weeks === 1 ? 'week' : `w${weeks}`)

/** E: Monday 00:00 UTC ending the last complete week at the evaluation instant (`$__toTime`) */
const WINDOW_END = "toDateTime64(toMonday(toTimeZone($__toTime, 'UTC')), 3, 'UTC')"

/**
 * The rule's evaluation with everything `orgpulse alerts check` reports: one row per director
 * with `director`, `value` (null when too few, no data or withheld: not judged), `sample`,
 * `withheld` (why `value` is null) and `window_from`/`window_to`; baseline rules add `current`,
 * `baseline`, `baseline_sample`, `baseline_withheld` and the baseline window, `value` being
 * current / baseline. Only the backend macro `$__toTime` is used, because alert queries run in
 * Grafana's backend where template variables and `$__conditionalAll` never expand. `director`
 * restricts it to one org (per-director Grafana organisations); without it, every director in
 * the org chart valid at the evaluation instant gets a row.
 */
export function alertDetailQuery(rule: AlertRule, options: { director?: string } = {}): string {
  const scopes = options.director
    ? `scope = ${sqlString(`u:${options.director.toLowerCase()}`)}`
    : `scope IN (SELECT unit_id FROM org_units
      WHERE kind IN ('group', 'org')
        AND effective = (SELECT max(effective) FROM org_snapshots FINAL WHERE effective <= toDate($__toTime)))`
  const rows = (weeks: number, endsWeeksBefore: number) => `(
    SELECT scope, value, sample, withheld, period_start, period_end FROM metric_rollups FINAL
    WHERE grain = ${sqlString(grainOf(weeks))} AND metric = ${sqlString(rule.metric)}
      AND ${scopes}
      AND dateDiff('second', period_start, period_end) = ${weeks * WEEK_SECONDS}
      AND period_end = ${WINDOW_END}${endsWeeksBefore > 0 ? ` - toIntervalSecond(${endsWeeksBefore * WEEK_SECONDS})` : ''}
  )`
  if (rule.condition === 'above') {
    return `SELECT substring(c.scope, 3) AS director, c.value AS value, c.sample AS sample, c.withheld AS withheld,
  toString(c.period_start) AS window_from, toString(c.period_end) AS window_to
FROM ${rows(rule.windowWeeks, 0)} AS c
ORDER BY director`
  }
  // a missing baseline row joins as '' (scope, withheld) and NULL (the nullable columns)
  return `SELECT substring(c.scope, 3) AS director, c.value AS current, b.value AS baseline,
  if(b.scope != '' AND baseline > 0, current / baseline, NULL) AS value,
  c.sample AS sample, c.withheld AS withheld, b.sample AS baseline_sample,
  if(b.scope = '', 'no_data: the baseline window has not been computed', b.withheld) AS baseline_withheld,
  toString(c.period_start) AS window_from, toString(c.period_end) AS window_to,
  toString(${WINDOW_END} - toIntervalSecond(${(rule.windowWeeks + rule.baselineWeeks) * WEEK_SECONDS})) AS baseline_from,
  toString(${WINDOW_END} - toIntervalSecond(${rule.windowWeeks * WEEK_SECONDS})) AS baseline_to
FROM ${rows(rule.windowWeeks, 0)} AS c
LEFT JOIN ${rows(rule.baselineWeeks, rule.windowWeeks)} AS b ON b.scope = c.scope
ORDER BY director`
}

/**
 * The Grafana rule's query: `alertDetailQuery` reduced to the `director` label and the one
 * numeric `value` column Grafana alerts on (a table with more numeric columns is not numeric
 * data to Grafana), rows whose value is not judged (too few, no data) left out: no data is OK.
 */
export function alertQuery(rule: AlertRule, options: { director?: string } = {}): string {
  return `SELECT director, value FROM (
${alertDetailQuery(rule, options)}
)
WHERE value IS NOT NULL
ORDER BY director`
}

/** one row of `alertDetailQuery` */
export interface AlertRow {
  director: string
  value: number | null
  sample?: number | null
  withheld?: string
  window_from?: string
  window_to?: string
  current?: number | null
  baseline?: number | null
  baseline_sample?: number | null
  baseline_withheld?: string
  baseline_from?: string
  baseline_to?: string
}

/** what one rule found for one director's org */
export type AlertStatus = 'firing' | 'ok' | 'too_few' | 'no_data'

export interface AlertEvaluation {
  rule: string
  title: string
  metric: string
  /** the director whose org was judged */
  org: string
  status: AlertStatus
  /** the judged value (baseline rules: the factor current / baseline); null when not judged */
  value: number | null
  /** the n the window's value rests on (the catalog's sample) */
  sample: number | null
  threshold: number
  condition: AlertRule['condition']
  /** [from, to) of the window, ISO-8601 UTC */
  window: { from: string; to: string }
  /** why it was not judged: the metric's reason (too_few: n = …, no_data: …) */
  reason?: string
  /** baseline rules: the value over the window and over the baseline window, and the latter's n */
  current?: number | null
  baseline?: number | null
  baselineSample?: number | null
  baselineWindow?: { from: string; to: string }
  /** baseline rules: why the window's own value is null, and why the baseline's is */
  currentReason?: string
  baselineReason?: string
}

/** an evaluation that fired */
export type FiringAlert = AlertEvaluation & { status: 'firing'; value: number }

const isoOf = (t: string | undefined): string => (t ? `${t.replace(' ', 'T')}Z` : '')
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

/**
 * Judges each director's row of `alertDetailQuery` with the comparison Grafana's threshold
 * expression makes (strictly above). A value that is null is not judged: `too_few` when the
 * window's (or the baseline's) sample is under the catalog's minimum, else `no_data`.
 */
export function evaluateAlertRows(
  rule: AlertRule,
  config: OrgpulseConfig,
  rows: readonly AlertRow[],
): AlertEvaluation[] {
  const threshold = alertThreshold(rule, config)
  return rows.map((row) => {
    const value = num(row.value)
    // why the window's value, or the baseline's, is null
    const reasons = [
      row.withheld ?? '',
      row.baseline_withheld ? `baseline ${row.baseline_withheld}` : '',
    ].filter((r) => r !== '')
    let status: AlertStatus
    let reason: string | undefined
    if (value !== null && Number.isFinite(value)) status = value > threshold ? 'firing' : 'ok'
    else {
      const tooFew = reasons.find((r) => r.includes('too_few:'))
      status = tooFew ? 'too_few' : 'no_data'
      reason =
        tooFew ??
        reasons[0] ??
        (num(row.baseline) === 0 ? 'no_data: the baseline is 0, so there is no factor' : 'no_data')
    }
    const evaluation: AlertEvaluation = {
      rule: rule.id,
      title: rule.title,
      metric: rule.metric,
      org: row.director,
      status,
      value: value !== null && Number.isFinite(value) ? value : null,
      sample: num(row.sample),
      threshold,
      condition: rule.condition,
      window: { from: isoOf(row.window_from), to: isoOf(row.window_to) },
      ...(reason ? { reason } : {}),
    }
    if (rule.condition === 'above_baseline') {
      evaluation.current = num(row.current)
      evaluation.baseline = num(row.baseline)
      evaluation.baselineSample = num(row.baseline_sample)
      evaluation.baselineWindow = { from: isoOf(row.baseline_from), to: isoOf(row.baseline_to) }
      if (row.withheld) evaluation.currentReason = row.withheld
      if (row.baseline_withheld) evaluation.baselineReason = row.baseline_withheld
    }
    return evaluation
  })
}

/** The firing evaluations of `evaluateAlertRows`. */
export function judgeAlertRows(
  rule: AlertRule,
  config: OrgpulseConfig,
  rows: readonly AlertRow[],
): FiringAlert[] {
  return evaluateAlertRows(rule, config, rows).filter((e): e is FiringAlert => e.status === 'firing')
}
