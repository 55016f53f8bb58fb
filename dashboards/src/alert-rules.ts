import type { OrgpulseConfig } from '@orgpulse/contracts'
import {
  ALERT_RULES,
  type AlertRule,
  alertLookbackSeconds,
  alertQuery,
  alertThreshold,
} from '@orgpulse/metrics'
import { z } from 'zod'
import { CLICKHOUSE_DS_UID, ClickHouseQueryBuilder } from './datasource.ts'
import { directorHash } from './grafana.ts'

/**
 * Grafana alert rules from the shared rule list (packages/metrics/src/alerts.ts): query (A,
 * ClickHouse, one row per director) → reduce (B, last value per series) → threshold (C). The
 * shapes are Grafana's provisioning API model (`/api/v1/provisioning/alert-rules`), which the
 * file provisioning format mirrors.
 */
export const EXPR_DS_UID = '__expr__'
export const ALERT_FOLDER_UID = 'orgpulse-alerts'
export const ALERT_GROUP = 'orgpulse'

const relativeTimeRange = z.object({
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
})

export const alertQuerySchema = z.object({
  refId: z.string(),
  queryType: z.string(),
  relativeTimeRange,
  datasourceUid: z.string(),
  model: z.record(z.string(), z.unknown()),
})

export const provisionedAlertRuleSchema = z.object({
  uid: z.string().max(40),
  title: z.string(),
  ruleGroup: z.string(),
  folderUID: z.string(),
  orgID: z.number().int(),
  condition: z.string(),
  data: z.array(alertQuerySchema).min(1),
  noDataState: z.enum(['OK', 'NoData', 'Alerting', 'KeepLast']),
  execErrState: z.enum(['OK', 'Error', 'Alerting', 'KeepLast']),
  for: z.string(),
  annotations: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  isPaused: z.boolean(),
})
export type ProvisionedAlertRule = z.infer<typeof provisionedAlertRuleSchema>

export function alertRuleUid(rule: AlertRule, director?: string): string {
  return director
    ? `op-${directorHash(director)}-${rule.id}`.slice(0, 40)
    : `orgpulse-${rule.id}`.slice(0, 40)
}

export function grafanaAlertRule(
  rule: AlertRule,
  config: OrgpulseConfig,
  options: { orgId: number; director?: string },
): ProvisionedAlertRule {
  const query = new ClickHouseQueryBuilder(
    'A',
    alertQuery(rule, options.director ? { director: options.director } : {}),
    'table',
  ).build()
  const { _implementsDataqueryVariant: _marker, ...model } = query as typeof query & {
    _implementsDataqueryVariant?: unknown
  }
  const threshold = alertThreshold(rule, config)
  return {
    uid: alertRuleUid(rule, options.director),
    title: rule.title,
    ruleGroup: ALERT_GROUP,
    folderUID: ALERT_FOLDER_UID,
    orgID: options.orgId,
    condition: 'C',
    data: [
      {
        refId: 'A',
        queryType: '',
        relativeTimeRange: { from: alertLookbackSeconds(rule), to: 0 },
        datasourceUid: CLICKHOUSE_DS_UID,
        model: { ...model, intervalMs: 1000, maxDataPoints: 43200 },
      },
      {
        refId: 'B',
        queryType: '',
        relativeTimeRange: { from: 0, to: 0 },
        datasourceUid: EXPR_DS_UID,
        model: { refId: 'B', type: 'reduce', expression: 'A', reducer: 'last', settings: { mode: 'dropNN' } },
      },
      {
        refId: 'C',
        queryType: '',
        relativeTimeRange: { from: 0, to: 0 },
        datasourceUid: EXPR_DS_UID,
        model: {
          refId: 'C',
          type: 'threshold',
          expression: 'B',
          conditions: [{ evaluator: { type: 'gt', params: [threshold] } }],
        },
      },
    ],
    // weeks without data are normal in a quiet org: not an alert
    noDataState: 'OK',
    execErrState: 'Error',
    for: '0s',
    annotations: {
      summary: rule.summary,
      description:
        `${rule.metric} ${rule.condition === 'above_baseline' ? 'relative to its baseline' : ''} is {{ $values.B.Value }} (threshold ${threshold}) for {{ $labels.director }}`.replace(
          '  ',
          ' ',
        ),
    },
    labels: { orgpulse_rule: rule.id, metric: rule.metric },
    isPaused: false,
  }
}

export const grafanaAlertRules = (
  config: OrgpulseConfig,
  options: { orgId: number; director?: string },
): ProvisionedAlertRule[] => ALERT_RULES.map((r) => grafanaAlertRule(r, config, options))
