import { parseStrictDate } from '@orgpulse/contracts'
import type { AlertCheckResult, RuleCheck } from '@orgpulse/dashboards'
import type { MetricDef } from '@orgpulse/metrics'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { describeWindow, formatMetricValue, nullLabel } from '../format.ts'
import { UserError } from '../io.ts'
import { table } from '../table.ts'

/** exit code when at least one alert fires: distinct from 1 (error) so cron/CI can tell them apart */
export const EXIT_FIRING = 2

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const day = (iso: string) => iso.slice(0, 10)

/** "evaluated 4 rules over 3 directors' orgs, windows …; 1 firing, 5 ok, 2 values too few (n < min), 1 no data" */
export function alertSummary(result: AlertCheckResult): string {
  const end = day(result.windowEnd)
  const windows = [
    ...new Set(
      result.rules.flatMap((r) => [
        `${plural(r.windowWeeks, 'week')} ${day(new Date(Date.parse(result.windowEnd) - r.windowWeeks * 7 * 86400000).toISOString())} → ${end}`,
        ...(r.condition === 'above_baseline'
          ? [
              `baseline ${plural(r.baselineWeeks, 'week')} ${day(new Date(Date.parse(result.windowEnd) - (r.windowWeeks + r.baselineWeeks) * 7 * 86400000).toISOString())} → ${day(new Date(Date.parse(result.windowEnd) - r.windowWeeks * 7 * 86400000).toISOString())}`,
            ]
          : []),
      ]),
    ),
  ]
  const c = result.counts
  return `evaluated ${plural(result.rules.length, 'rule')} over ${plural(result.orgs, "director's org", "directors' orgs")} at ${result.at}, windows ending ${end} (the last complete week, end exclusive): ${windows.join('; ')}; ${c.firing} firing, ${c.ok} ok, ${plural(c.too_few, 'value')} too few (n < min), ${c.no_data} no data`
}

/** one rule's table: every org with its status, value (with unit), n; baseline rules in three labelled columns */
function ruleTable(rule: RuleCheck, metric: MetricDef): string {
  const v = (x: number | null | undefined) =>
    x === null || x === undefined ? null : formatMetricValue(metric, x)
  const status = (s: string) => s.replace('_', ' ')
  if (rule.condition === 'above_baseline') {
    return table(
      rule.orgs.map((o) => ({
        org: o.org,
        status: status(o.status),
        [`${metric.title}, last ${plural(rule.windowWeeks, 'week')}`]:
          v(o.current) ?? nullLabel(o.currentReason, o.sample),
        [`baseline, ${plural(rule.baselineWeeks, 'week')} before`]:
          v(o.baseline) ?? nullLabel(o.baselineReason, o.baselineSample),
        [`factor (fires above ${rule.threshold}×)`]: o.value === null ? '—' : `${o.value.toFixed(2)}×`,
        n: o.sample,
        'baseline n': o.baselineSample ?? null,
      })),
    )
  }
  return table(
    rule.orgs.map((o) => ({
      org: o.org,
      status: status(o.status),
      [`${metric.title}, last ${plural(rule.windowWeeks, 'week')}`]:
        v(o.value) ?? nullLabel(o.reason, o.sample),
      'fires above': formatMetricValue(metric, rule.threshold),
      [`n (${metric.sampleOf})`]: o.sample,
    })),
  )
}

export function registerAlertsCommands(program: Command, ctx: CommandContext): void {
  const alerts = program.command('alerts').description('the alert rules Grafana evaluates, without Grafana')
  alerts
    .command('check')
    .description(
      `evaluate every alert rule for every director's org over the windows ending with the last complete week; exit ${EXIT_FIRING} when something fires, 0 when nothing does (also when there was nothing to evaluate: the output says so), 1 on errors`,
    )
    .option('--format <format>', 'table or json', 'table')
    .option(
      '--post',
      'also POST the firing alerts to the webhook whose URL is in the env var named by alerts.webhookUrlEnv',
    )
    .option('--at <instant>', 'evaluate as of this instant (YYYY-MM-DD or ISO-8601 with offset; default now)')
    .action(async (opts: { format: string; post?: boolean; at?: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { checkAlerts, postAlerts } = await import('@orgpulse/dashboards')
        const { metricById } = await import('@orgpulse/metrics')
        if (!['table', 'json'].includes(opts.format))
          throw new UserError(`--format must be table or json (got ${opts.format})`)
        const at = opts.at ? parseStrictDate(opts.at, '--at') : undefined
        const webhookEnv = rt.config.alerts.webhookUrlEnv
        const url = rt.env.named(webhookEnv)
        if (opts.post && !url)
          throw new UserError(`--post needs a webhook URL in $${webhookEnv} (alerts.webhookUrlEnv)`)
        const result = await checkAlerts(rt.client, rt.config, at ? { at } : {})
        if (opts.format === 'json') io.out(JSON.stringify(result, null, 2))
        else if (result.orgs === 0) {
          io.out(
            `nothing evaluated at ${result.at}: no director's org (a manager of managers) in the org chart; import one with \`orgpulse org import\``,
          )
        } else {
          io.out(alertSummary(result))
          const judged = result.counts.firing + result.counts.ok
          if (result.firing.length > 0) io.out(`${plural(result.firing.length, 'alert')} firing`)
          else if (judged > 0) io.out('no alert firing')
          else
            io.out(
              'no value could be judged (every one too few or no data): nothing fires, nothing is known to be fine',
            )
          for (const rule of result.rules) {
            const metric = metricById(rule.metric)
            io.out(
              `\n${rule.title} (${rule.id}): ${metric.title} over ${describeWindow(
                new Date(Date.parse(result.windowEnd) - rule.windowWeeks * 7 * 86400000).toISOString(),
                result.windowEnd,
              )}`,
            )
            io.out(ruleTable(rule, metric))
          }
        }
        if (opts.post && url && result.firing.length > 0) {
          await postAlerts(url, result)
          io.err(`posted ${result.firing.length} alert(s) to $${webhookEnv}`)
        }
        return result.firing.length > 0 ? EXIT_FIRING : 0
      })
    })
}
