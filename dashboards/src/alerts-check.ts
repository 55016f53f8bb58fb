import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import {
  ALERT_RULES,
  type AlertEvaluation,
  type AlertRow,
  alertDetailQuery,
  alertLookbackSeconds,
  alertThreshold,
  evaluateAlertRows,
  type FiringAlert,
  refreshRollups,
  weekStart,
} from '@orgpulse/metrics'
import { expandQuery } from './expand.ts'

export interface AlertCheckOptions {
  /** evaluation instant (default now): Grafana's `now` */
  at?: Date
  /** recompute the weekly rollups the rules read first (default true) */
  refresh?: boolean
}

/** one rule over every director's org */
export interface RuleCheck {
  id: string
  title: string
  metric: string
  condition: 'above' | 'above_baseline'
  threshold: number
  windowWeeks: number
  baselineWeeks: number
  orgs: AlertEvaluation[]
}

export interface AlertCheckResult {
  at: string
  /** E: the Monday 00:00 UTC ending the last complete week; every window ends there */
  windowEnd: string
  firing: FiringAlert[]
  /** rule id → how many directors' orgs were evaluated */
  evaluated: Record<string, number>
  rules: RuleCheck[]
  /** the directors' orgs any rule evaluated */
  orgs: number
  /** evaluations by status, over every rule and org */
  counts: Record<AlertEvaluation['status'], number>
}

/**
 * `orgpulse alerts check`: the Grafana alert rules without Grafana. Each rule's detail query
 * (the Grafana rule's query is `alertDetailQuery` reduced to director and value) is expanded
 * exactly as Grafana's backend would (range [at − lookback, at]) and judged with the same
 * strict "above" comparison as the threshold expression; values that are too few or no data
 * are reported as such, never judged.
 */
export async function checkAlerts(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: AlertCheckOptions = {},
): Promise<AlertCheckResult> {
  const at = options.at ?? new Date()
  const lookback = Math.max(...ALERT_RULES.map(alertLookbackSeconds)) * 1000
  if (options.refresh !== false) {
    await refreshRollups(client, config, { from: new Date(at.getTime() - lookback), to: at, now: at })
  }
  const firing: FiringAlert[] = []
  const evaluated: Record<string, number> = {}
  const rules: RuleCheck[] = []
  const orgs = new Set<string>()
  const counts = { firing: 0, ok: 0, too_few: 0, no_data: 0 }
  for (const rule of ALERT_RULES) {
    const sql = expandQuery(alertDetailQuery(rule), {
      from: new Date(at.getTime() - alertLookbackSeconds(rule) * 1000),
      to: at,
      alert: true,
    })
    const rows = await queryRows<AlertRow>(client, sql)
    const evaluations = evaluateAlertRows(rule, config, rows)
    evaluated[rule.id] = evaluations.length
    for (const e of evaluations) {
      orgs.add(e.org)
      counts[e.status]++
      if (e.status === 'firing') firing.push(e as FiringAlert)
    }
    rules.push({
      id: rule.id,
      title: rule.title,
      metric: rule.metric,
      condition: rule.condition,
      threshold: alertThreshold(rule, config),
      windowWeeks: rule.windowWeeks,
      baselineWeeks: rule.baselineWeeks,
      orgs: evaluations,
    })
  }
  return {
    at: at.toISOString(),
    windowEnd: weekStart(at).toISOString(),
    firing,
    evaluated,
    rules,
    orgs: orgs.size,
    counts,
  }
}

/** posts the firing alerts as one JSON document (Slack-compatible `text` plus the structured list) */
export async function postAlerts(
  url: string,
  result: AlertCheckResult,
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  const text = result.firing
    .map((f) => `:rotating_light: ${f.title} — ${f.org}: ${f.value} > ${f.threshold}`)
    .join('\n')
  const res = await fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, at: result.at, alerts: result.firing }),
  })
  if (!res.ok) throw new Error(`alert webhook answered ${res.status} ${res.statusText}`)
}
