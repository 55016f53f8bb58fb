import { parseStrictDate } from '@orgpulse/contracts'
import type { MetricDef } from '@orgpulse/metrics'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { requireOption } from '../context.ts'
import { describeWindow, formatThreshold, metricCell, unitLabel } from '../format.ts'
import { UserError } from '../io.ts'
import { table } from '../table.ts'

const NOTHING = 'no_data: no data in the window'
const pct = (share: number | null): string => (share === null ? 'n/a' : `${Math.round(share * 1000) / 10}%`)

const GOOD: Record<MetricDef['direction'], string> = {
  lower_is_better: 'lower',
  higher_is_better: 'higher',
  neutral: 'neither (context)',
}

/** the catalog as `metrics list --format json` gives it: ids are the contract */
function catalogEntry(m: MetricDef) {
  return {
    id: m.id,
    title: m.title,
    unit: m.unit,
    good: m.direction,
    thresholds: m.thresholds,
    minSample: m.minSample,
    sampleOf: m.sampleOf,
    family: m.family,
    definition: m.description,
  }
}

const thresholdWords = (m: MetricDef): string => {
  if (m.thresholds.warn === null && m.thresholds.critical === null) return 'no thresholds'
  const cmp = m.direction === 'higher_is_better' ? '≤' : '≥'
  return `warn ${cmp} ${formatThreshold(m, m.thresholds.warn)}, critical ${cmp} ${formatThreshold(m, m.thresholds.critical)}`
}

export function registerMetricsCommands(program: Command, ctx: CommandContext): void {
  // --org/--from/--to are checked in the action, not by commander: commander checks a parent's
  // mandatory options for its subcommands too, and `metrics list` needs none
  const metrics = program
    .command('metrics')
    .description(
      "a director's org metrics over [from, to): the org, each team in it, optionally week by week (`metrics list` explains each metric)",
    )
    .option('--org <director-email>', 'the director whose org to measure (required)')
    .option(
      '--from <date>',
      'window start, inclusive (YYYY-MM-DD, UTC, or an ISO-8601 instant with offset; required)',
    )
    .option(
      '--to <date>',
      'window end, exclusive (YYYY-MM-DD, UTC, or an ISO-8601 instant with offset; required)',
    )
    .option('--grain <grain>', 'add a series: week')
    .option('--format <format>', 'json (metric ids) or table (titles, units, markers)', 'table')
    .action(
      async (
        opts: { org?: string; from?: string; to?: string; grain?: string; format: string },
        cmd: Command,
      ) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const { computeOrgMetrics, METRICS } = await import('@orgpulse/metrics')
          if (!['json', 'table'].includes(opts.format))
            throw new UserError(`--format must be json or table (got ${opts.format})`)
          const director = requireOption(opts.org, '--org <director-email>')
          const from = requireOption(opts.from, '--from <date>')
          const to = requireOption(opts.to, '--to <date>')
          // refused with the option's own name before any query (computeOrgMetrics parses them again)
          parseStrictDate(from, '--from')
          parseStrictDate(to, '--to')
          const result = await computeOrgMetrics(rt.client, rt.config, {
            director,
            from,
            to,
            ...(opts.grain ? { grain: opts.grain } : {}),
          })
          if (opts.format === 'json') {
            io.out(JSON.stringify(result, null, 2))
            return 0
          }
          const cal = result.coverage.calendar
          io.out(`${result.org}'s org · ${result.people} people · ${describeWindow(result.from, result.to)}`)
          io.out(
            `calendar coverage: ${cal.covered} of ${cal.people} people (${pct(cal.share)}) have their own calendar synced for the window · trackers synced: ${result.coverage.trackers.synced}\n`,
          )
          const teams = result.teams.slice(0, 6)
          io.out(
            table([
              ...METRICS.map((m) => ({
                metric: m.title,
                org: metricCell(m, result.metrics[m.id], result.withheld[m.id], result.samples[m.id]),
                n: result.samples[m.id] ?? null,
                'n counts': m.sampleOf,
                ...Object.fromEntries(
                  teams.map((t) => [
                    t.name,
                    metricCell(m, t.metrics[m.id], t.withheld[m.id], t.samples[m.id]),
                  ]),
                ),
              })),
              {
                metric: 'Calendars synced',
                org: `${cal.covered}/${cal.people}`,
                n: null,
                'n counts': '',
                ...Object.fromEntries(
                  teams.map((t) => [t.name, `${t.coverage.calendar.covered}/${t.coverage.calendar.people}`]),
                ),
              },
            ]),
          )
          io.out(
            'ok / warn / critical: against the catalog thresholds; too few (n = …): under the minimum sample (`orgpulse metrics list`)',
          )
          if (result.teams.length > 6) io.out(`(${result.teams.length - 6} more teams: use --format json)`)
          // why the org's empty cells are empty: privacy, sources not synced, too few calendars
          const withheld = Object.entries(result.withheld).filter(
            ([, r]) =>
              r.startsWith('withheld') ||
              (r.startsWith('no_data') && r !== NOTHING) ||
              r.startsWith('partial_coverage'),
          )
          const title = (id: string) => METRICS.find((m) => m.id === id)?.title ?? id
          for (const [id, reason] of withheld) io.out(`${title(id)}: ${reason}`)
          if (result.series) {
            const shown = [
              'decisions_decided',
              'decision_latency_p50_hours',
              'escalation_rate',
              'centralization',
              'blockers_open',
            ].map((id) => METRICS.find((m) => m.id === id)!)
            io.out('\nweekly:')
            io.out(
              table(
                result.series.map((w) => ({
                  week: w.from.slice(0, 10),
                  ...Object.fromEntries(
                    shown.map((m) => [
                      m.title,
                      metricCell(m, w.metrics[m.id], w.withheld[m.id], w.samples[m.id]),
                    ]),
                  ),
                })),
              ),
            )
          }
          return 0
        })
      },
    )
  metrics
    .command('list')
    .description('every metric: title, id, unit, good direction, thresholds, minimum sample and definition')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: { format: string }, cmd: Command) => {
      const { METRICS } = await import('@orgpulse/metrics')
      // commander hands `metrics list --format json` to the parent, which has --format too
      const parent = cmd.parent
      const format = parent?.getOptionValueSource('format') === 'cli' ? parent.opts().format : opts.format
      if (!['json', 'table'].includes(format))
        throw new UserError(`--format must be json or table (got ${format})`)
      if (format === 'json') {
        ctx.io.out(JSON.stringify(METRICS.map(catalogEntry), null, 2))
        return
      }
      const blocks = METRICS.map((m) =>
        [
          `${m.title} (${m.id})`,
          `  unit: ${unitLabel(m)} · good: ${GOOD[m.direction]} · ${thresholdWords(m)}`,
          `  minimum sample: ${m.minSample === 0 ? 'none (a count is never too few)' : `${m.minSample} ${m.sampleOf}`}; n counts ${m.sampleOf}`,
          `  ${m.description}`,
        ].join('\n'),
      )
      ctx.io.out(`${METRICS.length} metrics (ids are what --format json, the api and exports use):\n`)
      ctx.io.out(blocks.join('\n\n'))
    })
}
