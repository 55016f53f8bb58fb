import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import {
  ALERT_RULES,
  type AlertRow,
  alertLookbackSeconds,
  alertQuery,
  type FiringAlert,
  judgeAlertRows,
  refreshRollups,
} from '@orgpulse/metrics'
import { expandQuery } from './expand.ts'

export interface AlertCheckOptions {
  /** evaluation instant (default now): Grafana's `now` */
  at?: Date
  /** recompute the weekly rollups the rules read first (default true) */
  refresh?: boolean
}

export interface AlertCheckResult {
  at: string
  firing: FiringAlert[]
  /** rule id → how many directors were evaluated */
  evaluated: Record<string, number>
}

/**
 * `orgpulse alerts check`: the Grafana alert rules without Grafana. Each rule's query is expanded
 * exactly as Grafana's backend would (range [at − lookback, at]) and judged with the same
 * strict "above" comparison as the threshold expression.
 */
export async function checkAlerts(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: AlertCheckOptions = {},
): Promise<AlertCheckResult> {
  const at = options.at ?? new Date()
  const lookback = Math.max(...ALERT_RULES.map(alertLookbackSeconds)) * 1000
  if (options.refresh !== false) {
    await refreshRollups(client, config, { from: new Date(at.getTime() - lookback), to: at })
  }
  const firing: FiringAlert[] = []
  const evaluated: Record<string, number> = {}
  for (const rule of ALERT_RULES) {
    const sql = expandQuery(alertQuery(rule), {
      from: new Date(at.getTime() - alertLookbackSeconds(rule) * 1000),
      to: at,
      alert: true,
    })
    const rows = await queryRows<AlertRow>(client, sql)
    evaluated[rule.id] = rows.length
    firing.push(...judgeAlertRows(rule, config, rows))
  }
  return { at: at.toISOString(), firing, evaluated }
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
