import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'
import { table } from '../table.ts'

/** exit code when at least one alert fires: distinct from 1 (error) so cron/CI can tell them apart */
export const EXIT_FIRING = 2

export function registerAlertsCommands(program: Command, ctx: CommandContext): void {
  const alerts = program.command('alerts').description('the alert rules Grafana evaluates, without Grafana')
  alerts
    .command('check')
    .description(
      `evaluate every alert rule for every director's org; exit ${EXIT_FIRING} when something fires, 0 when nothing does, 1 on errors`,
    )
    .option('--format <format>', 'table or json', 'table')
    .option(
      '--post',
      'also POST the firing alerts to the webhook whose URL is in the env var named by alerts.webhookUrlEnv',
    )
    .option('--at <instant>', 'evaluate as of this instant (YYYY-MM-DD or ISO; default now)')
    .action(async (opts: { format: string; post?: boolean; at?: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { checkAlerts, postAlerts } = await import('@orgpulse/dashboards')
        if (!['table', 'json'].includes(opts.format))
          throw new UserError(`--format must be table or json (got ${opts.format})`)
        let at: Date | undefined
        if (opts.at) {
          at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(opts.at) ? `${opts.at}T00:00:00Z` : opts.at)
          if (Number.isNaN(at.getTime())) throw new UserError(`--at is not a date: ${opts.at}`)
        }
        const webhookEnv = rt.config.alerts.webhookUrlEnv
        const url = rt.env.named(webhookEnv)
        if (opts.post && !url)
          throw new UserError(`--post needs a webhook URL in $${webhookEnv} (alerts.webhookUrlEnv)`)
        const result = await checkAlerts(rt.client, rt.config, at ? { at } : {})
        if (opts.format === 'json') io.out(JSON.stringify(result, null, 2))
        else if (result.firing.length === 0) io.out(`no alert firing at ${result.at}`)
        else {
          io.out(`${result.firing.length} alert(s) firing at ${result.at}:`)
          io.out(
            table(
              result.firing.map((f) => ({
                rule: f.rule,
                org: f.org,
                metric: f.metric,
                value: f.value,
                threshold: f.threshold,
              })),
            ),
          )
        }
        if (opts.post && url && result.firing.length > 0) {
          await postAlerts(url, result)
          io.err(`posted ${result.firing.length} alert(s) to $${webhookEnv}`)
        }
        return result.firing.length > 0 ? EXIT_FIRING : 0
      })
    })
}
