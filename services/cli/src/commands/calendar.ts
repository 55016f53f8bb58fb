import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

/** a real calendar day, YYYY-MM-DD (UTC midnight) */
function parseDay(value: string, flag: string): Date {
  const d = new Date(`${value}T00:00:00Z`)
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(d.getTime()) ||
    d.toISOString().slice(0, 10) !== value
  )
    throw new UserError(`${flag} is not a date: "${value}" (use YYYY-MM-DD)`)
  return d
}

/**
 * `orgpulse calendar reclassify`: the meetings of a window classified again with the current
 * rules, by reading them again from the configured calendar sources (titles are stored nowhere).
 */
export function registerCalendarCommands(program: Command, ctx: CommandContext): void {
  const calendar = program.command('calendar').description('calendar classification')
  calendar
    .command('reclassify')
    .description(
      're-read a window from the configured calendar sources (Google Calendar, calendar.ics feeds) and classify its meetings again with the current rules (rituals, rules); one-off `ingest calendar --ics` imports cannot be re-read and are listed to run again',
    )
    .requiredOption('--from <date>', 'first day to re-read (YYYY-MM-DD)')
    .option('--to <date>', 'day after the last one (default: calendar.google.initialDaysAhead after today)')
    .option('--format <format>', 'output: text or json', 'text')
    .action(async (opts: { from: string; to?: string; format: string }, cmd: Command) => {
      const from = parseDay(opts.from, '--from')
      const to = opts.to ? parseDay(opts.to, '--to') : undefined
      if (to && to <= from) throw new UserError('--to must be after --from')
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { reclassifyCalendars } = await import('@orgpulse/connector-calendar')
        const r = await reclassifyCalendars(rt, {
          from,
          ...(to ? { to } : {}),
          progress: (line) => io.progress(line),
        })
        io.progress('reclassify: published; waiting until it is queryable…')
        await rt.flush()
        if (io.isTTY) io.err('')
        if (opts.format === 'json') {
          io.out(JSON.stringify(r, null, 2))
        } else {
          io.out(
            r.calendars === 0
              ? `nothing to re-read for ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)}: orgpulse.yaml configures no calendar.google and no calendar.ics feeds`
              : `reclassified ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)} with the current rules: ${r.calendars} calendar(s) re-read`,
          )
          for (const line of r.lines) io.out(line)
          if (r.rulesRecorded)
            io.out('  the current rules are recorded: the next sync does not re-read again')
        }
        return r.failed.length > 0 ? 2 : 0
      })
    })
}
