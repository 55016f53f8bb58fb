import { calendarConfigSchema, parseStrictDate } from '@orgpulse/contracts'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

interface CalendarIngestOptions {
  ics?: string
  owner?: string
  from?: string
  to?: string
  person?: string[]
  format: string
}

function parseDay(value: string, flag: string): Date {
  return parseStrictDate(value, flag)
}

/**
 * `orgpulse ingest calendar`: the org-wide Google Calendar and Microsoft 365 syncs and the ICS feeds configured in
 * orgpulse.yaml, or one ICS file/feed with `--ics FILE|URL --owner EMAIL`.
 */
export function registerCalendarIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('calendar')
    .description(
      'sync calendars: Google Calendar for the whole org (service account with domain-wide delegation; key JSON in GOOGLE_SERVICE_ACCOUNT_KEY, name configurable) and/or Microsoft 365 (Microsoft Graph app-only: MSGRAPH_TENANT_ID, MSGRAPH_CLIENT_ID, MSGRAPH_CLIENT_SECRET or MSGRAPH_CLIENT_CERTIFICATE) plus the ICS feeds in orgpulse.yaml; or one ICS file or URL with --ics and --owner. Titles are used for classification here and never stored',
    )
    .option('--ics <fileOrUrl>', 'import one ICS file or feed URL instead of the configured sources')
    .option('--owner <email>', 'whose calendar the ICS is (required with --ics)')
    .option(
      '--from <date>',
      'ICS: first day of occurrences to import (default: initialDaysBack before today)',
    )
    .option('--to <date>', 'ICS: day after the last one (default: initialDaysAhead after today)')
    .option('--person <email...>', 'Google / Microsoft 365: only these people’s calendars')
    .option('--format <format>', 'output: text or json', 'text')
    .action(async (opts: CalendarIngestOptions, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { icsWindow } = await import('@orgpulse/connector-calendar')
        const { connectorFor } = await import('@orgpulse/connectors')
        const from = opts.from ? parseDay(opts.from, '--from') : undefined
        const to = opts.to ? parseDay(opts.to, '--to') : undefined
        // the window is checked before anything is read: a wrong one is the command line's fault
        icsWindow(rt.config.calendar ?? calendarConfigSchema.parse({}), {
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        })
        if (opts.ics && !opts.owner) throw new UserError('--ics needs --owner EMAIL (whose calendar it is)')
        if (opts.owner && !opts.ics) throw new UserError('--owner only goes with --ics')
        const sync = () =>
          connectorFor('calendar').sync(rt, {
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            ...(opts.ics
              ? { ics: { source: opts.ics, owner: (opts.owner as string).trim().toLowerCase() } }
              : {}),
            ...(opts.person ? { only: opts.person } : {}),
            progress: (p) => io.progress(p.line),
          })
        const report = await sync()
        io.progress('calendar: published; waiting until it is queryable…')
        await rt.flush()
        if (io.isTTY) io.err('')
        if (opts.format === 'json') io.out(JSON.stringify(report.result, null, 2))
        else io.out(report.lines.join('\n'))
        return report.failed.length > 0 ? 2 : 0
      })
    })
}
