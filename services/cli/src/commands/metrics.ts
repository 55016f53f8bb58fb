import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { requireOption } from '../context.ts'
import { UserError } from '../io.ts'
import { table } from '../table.ts'

const NOTHING = 'no_data: no data in the window'
const pct = (share: number | null): string => (share === null ? 'n/a' : `${Math.round(share * 1000) / 10}%`)

export function registerMetricsCommands(program: Command, ctx: CommandContext): void {
  program
    .command('metrics')
    .description(
      "a director's org metrics over [from, to): the org, each team in it, optionally week by week",
    )
    .requiredOption('--org <director-email>', 'the director whose org to measure')
    .requiredOption('--from <date>', 'window start, inclusive (YYYY-MM-DD, UTC)')
    .requiredOption('--to <date>', 'window end, exclusive (YYYY-MM-DD, UTC)')
    .option('--grain <grain>', 'add a series: week')
    .option('--format <format>', 'json or table', 'table')
    .action(
      async (
        opts: { org: string; from: string; to: string; grain?: string; format: string },
        cmd: Command,
      ) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const { computeOrgMetrics, METRICS } = await import('@orgpulse/metrics')
          if (!['json', 'table'].includes(opts.format))
            throw new UserError(`--format must be json or table (got ${opts.format})`)
          const result = await computeOrgMetrics(rt.client, rt.config, {
            director: requireOption(opts.org, '--org'),
            from: opts.from,
            to: opts.to,
            ...(opts.grain ? { grain: opts.grain } : {}),
          })
          if (opts.format === 'json') {
            io.out(JSON.stringify(result, null, 2))
            return 0
          }
          const cal = result.coverage.calendar
          io.out(
            `${result.org}'s org · ${result.people} people · ${result.from.slice(0, 10)} → ${result.to.slice(0, 10)} (end exclusive)`,
          )
          io.out(
            `calendar coverage: ${cal.covered} of ${cal.people} people (${pct(cal.share)}) have their own calendar synced for the window · trackers synced: ${result.coverage.trackers.synced}\n`,
          )
          const teams = result.teams.slice(0, 6)
          io.out(
            table([
              ...METRICS.map((m) => ({
                metric: m.id,
                org: result.metrics[m.id] ?? null,
                ...Object.fromEntries(teams.map((t) => [t.name, t.metrics[m.id] ?? null])),
              })),
              {
                metric: '(calendars synced)',
                org: `${cal.covered}/${cal.people}`,
                ...Object.fromEntries(
                  teams.map((t) => [t.name, `${t.coverage.calendar.covered}/${t.coverage.calendar.people}`]),
                ),
              },
            ]),
          )
          if (result.teams.length > 6) io.out(`(${result.teams.length - 6} more teams: use --format json)`)
          // why the org's empty cells are empty: privacy, sources not synced, too few calendars
          const withheld = Object.entries(result.withheld).filter(
            ([, r]) =>
              r.startsWith('withheld') ||
              (r.startsWith('no_data') && r !== NOTHING) ||
              r.startsWith('partial_coverage'),
          )
          for (const [id, reason] of withheld) io.out(`${id}: ${reason}`)
          if (result.series) {
            io.out('\nweekly:')
            io.out(
              table(
                result.series.map((w) => ({
                  week: w.from.slice(0, 10),
                  decided: w.metrics.decisions_decided ?? null,
                  p50_h: w.metrics.decision_latency_p50_hours ?? null,
                  escalation: w.metrics.escalation_rate ?? null,
                  centralization: w.metrics.centralization ?? null,
                  blockers_open: w.metrics.blockers_open ?? null,
                })),
              ),
            )
          }
          return 0
        })
      },
    )
}
