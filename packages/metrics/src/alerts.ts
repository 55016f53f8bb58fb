import type { OrgpulseConfig } from '@orgpulse/contracts'
import { z } from 'zod'
import { metricById } from './catalog.ts'

/**
 * Alert rules, defined once: Grafana's file-provisioned alert rules, the per-director rules that
 * `orgpulse grafana sync` writes, and `orgpulse alerts check` all come from this list. Each rule
 * reads the weekly `metric_rollups` of a director's org (the director's own unit) over the last
 * `windowWeeks` complete weeks, so Grafana and the CLI judge the same numbers.
 */
export const alertRuleSchema = z.object({
  id: z.string().regex(/^[a-z0-9_]+$/),
  title: z.string(),
  /** catalog metric id the rule reads */
  metric: z.string(),
  /**
   * `above`: the mean of the weekly values over the window is above the threshold;
   * `above_baseline`: that mean divided by the mean of the `baselineWeeks` before the window is
   * above the threshold (a factor)
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

/**
 * The rule's query over `metric_rollups`: one row per director (`director`, `value`, and for
 * baseline rules `current` and `baseline`). Only the backend macro `$__toTime` is used, because
 * alert queries run in Grafana's backend where template variables and `$__conditionalAll` never
 * expand. `director` restricts it to one org (per-director Grafana organisations); without it,
 * every director in the org chart valid at the end of the range gets a row (multi-dimensional
 * alert: one instance per director).
 */
export function alertQuery(rule: AlertRule, options: { director?: string } = {}): string {
  const scopes = options.director
    ? `scope = ${sqlString(`u:${options.director.toLowerCase()}`)}`
    : `scope IN (SELECT unit_id FROM org_units
      WHERE kind IN ('group', 'org')
        AND effective = (SELECT max(effective) FROM org_snapshots FINAL WHERE effective <= toDate($__toTime)))`
  const windowStart = `$__toTime - toIntervalSecond(${rule.windowWeeks * WEEK_SECONDS})`
  // the weeks in the range, in a subquery so the output alias `value` never shadows the column
  const common = `FROM (
  SELECT scope, period_end, value AS v FROM metric_rollups FINAL
  WHERE grain = 'week' AND metric = ${sqlString(rule.metric)}
    AND ${scopes}
    AND dateDiff('second', period_start, period_end) = ${WEEK_SECONDS}
    AND period_end <= $__toTime
    AND period_end > $__toTime - toIntervalSecond(${(rule.windowWeeks + rule.baselineWeeks) * WEEK_SECONDS})
    AND value IS NOT NULL
)
GROUP BY scope`
  if (rule.condition === 'above') {
    return `SELECT substring(scope, 3) AS director, avg(v) AS value
${common}
HAVING count() > 0
ORDER BY director`
  }
  return `SELECT substring(scope, 3) AS director,
  avgIf(v, period_end > ${windowStart}) AS current,
  avgIf(v, period_end <= ${windowStart}) AS baseline,
  if(baseline > 0, current / baseline, NULL) AS value
${common}
HAVING countIf(period_end > ${windowStart}) > 0 AND countIf(period_end <= ${windowStart}) > 0 AND value IS NOT NULL
ORDER BY director`
}

export interface AlertRow {
  director: string
  value: number | null
  current?: number | null
  baseline?: number | null
}

export interface FiringAlert {
  rule: string
  title: string
  metric: string
  /** the director whose org fired */
  org: string
  value: number
  threshold: number
  condition: AlertRule['condition']
  /** baseline rules: the window's mean and the baseline's mean */
  current?: number
  baseline?: number
}

/** The same comparison Grafana's threshold expression makes: strictly above. */
export function judgeAlertRows(
  rule: AlertRule,
  config: OrgpulseConfig,
  rows: readonly AlertRow[],
): FiringAlert[] {
  const threshold = alertThreshold(rule, config)
  const out: FiringAlert[] = []
  for (const row of rows) {
    const value = row.value === null ? null : Number(row.value)
    if (value === null || !Number.isFinite(value) || !(value > threshold)) continue
    out.push({
      rule: rule.id,
      title: rule.title,
      metric: rule.metric,
      org: row.director,
      value: Math.round(value * 1e4) / 1e4,
      threshold,
      condition: rule.condition,
      ...(row.current != null ? { current: Math.round(Number(row.current) * 1e4) / 1e4 } : {}),
      ...(row.baseline != null ? { baseline: Math.round(Number(row.baseline) * 1e4) / 1e4 } : {}),
    })
  }
  return out
}
