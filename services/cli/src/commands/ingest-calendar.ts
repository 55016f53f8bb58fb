import {
  type IcsImportResult,
  importIcs,
  ingestGoogleCalendar,
  isIanaZone,
  loadOrgLookup,
  type PersonSyncResult,
  personTimeZone,
  type SyncProgress,
} from '@orgpulse/connector-calendar'
import { calendarConfigSchema } from '@orgpulse/contracts'
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

const DAY = 86_400_000

function progressLine(p: SyncProgress): string {
  const eta = p.etaMs !== null ? `, ETA ${Math.ceil(p.etaMs / 1000)} s` : ''
  return `calendar google: ${p.done}/${p.total} calendars, ${p.rate.toFixed(2)}/s${eta} (last: ${p.person}, ${p.events} events)`
}

function parseDay(value: string, flag: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(d.getTime())) throw new UserError(`${flag} is not a date: "${value}" (use YYYY-MM-DD)`)
  return d
}

/**
 * `orgpulse ingest calendar`: the org-wide Google Calendar sync and the ICS feeds configured in
 * orgpulse.yaml, or one ICS file/feed with `--ics FILE|URL --owner EMAIL`.
 */
export function registerCalendarIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('calendar')
    .description(
      'sync calendars: Google Calendar for the whole org (service account with domain-wide delegation; key JSON in GOOGLE_SERVICE_ACCOUNT_KEY, name configurable) plus the ICS feeds in orgpulse.yaml; or one ICS file or URL with --ics and --owner. Titles are used for classification here and never stored',
    )
    .option('--ics <fileOrUrl>', 'import one ICS file or feed URL instead of the configured sources')
    .option('--owner <email>', 'whose calendar the ICS is (required with --ics)')
    .option(
      '--from <date>',
      'ICS: first day of occurrences to import (default: initialDaysBack before today)',
    )
    .option('--to <date>', 'ICS: day after the last one (default: initialDaysAhead after today)')
    .option('--person <email...>', 'Google: only these people’s calendars')
    .option('--format <format>', 'output: text or json', 'text')
    .action(async (opts: CalendarIngestOptions, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const calendar = rt.config.calendar ?? calendarConfigSchema.parse({})
        const back = calendar.google?.initialDaysBack ?? 90
        const ahead = calendar.google?.initialDaysAhead ?? 28
        // without --from/--to: the past `initialDaysBack` days (default 90, so a first import feeds
        // the usual quarter's metrics) and `initialDaysAhead` ahead (28), said in the output
        const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())
        const window = {
          from: opts.from ? parseDay(opts.from, '--from') : new Date(today - back * DAY),
          to: opts.to ? parseDay(opts.to, '--to') : new Date(today + ahead * DAY),
        }
        const windowText = `${window.from.toISOString().slice(0, 10)} to ${window.to.toISOString().slice(0, 10)}${
          opts.from || opts.to ? '' : ` (default: ${back} days back, ${ahead} ahead; choose with --from/--to)`
        }`
        if (window.to <= window.from) throw new UserError('--to must be after --from')
        if (opts.ics && !opts.owner) throw new UserError('--ics needs --owner EMAIL (whose calendar it is)')
        if (opts.owner && !opts.ics) throw new UserError('--owner only goes with --ics')
        const feeds = opts.ics
          ? [{ source: opts.ics, owner: (opts.owner as string).trim().toLowerCase() }]
          : calendar.ics.map((f) => ({ source: (f.url ?? f.file) as string, owner: f.owner }))
        if (!opts.ics && !calendar.google && feeds.length === 0) {
          throw new UserError(
            'nothing to sync: configure calendar.google or calendar.ics in orgpulse.yaml, or pass --ics FILE|URL --owner EMAIL',
          )
        }
        const ics: IcsImportResult[] = []
        let google: PersonSyncResult[] = []
        const org = await loadOrgLookup(rt.client)
        for (const f of feeds) {
          const own = await personTimeZone(rt.client, f.owner)
          const defaultZone = own && isIanaZone(own) ? own : rt.config.workingHours.timeZone
          io.progress(`calendar ics: reading ${f.source} for ${f.owner}`)
          ics.push(
            await importIcs({
              bus: rt.bus,
              calendar,
              source: f.source,
              owner: f.owner,
              window,
              defaultZone,
              org,
            }),
          )
        }
        if (!opts.ics && calendar.google) {
          google = await ingestGoogleCalendar({
            bus: rt.bus,
            durable: rt.durable,
            client: rt.client,
            config: rt.config,
            env: rt.env,
            ...(opts.person ? { people: opts.person.map((p) => p.toLowerCase()) } : {}),
            onProgress: (p) => io.progress(progressLine(p)),
            onRetry: (n) =>
              io.progress(
                `calendar google: ${n.subject} answered ${n.status} ${n.reason}; retry ${n.attempt} in ${(n.delayMs / 1000).toFixed(1)} s`,
              ),
          })
        }
        io.progress('calendar: published; waiting until it is queryable…')
        await rt.flush()
        if (io.isTTY) io.err('')
        const failed = google.filter((g) => g.error)
        if (opts.format === 'json') io.out(JSON.stringify({ ics, google }, null, 2))
        else {
          const lines = ['calendar sync done']
          if (ics.length > 0) lines.push(`  ics window: ${windowText}`)
          for (const r of ics)
            lines.push(
              `  ics ${r.source} (${r.owner}): ${r.occurrences} occurrence(s), ${r.cancelled} cancelled`,
            )
          for (const g of google) {
            lines.push(
              g.error
                ? `  google ${g.person}: FAILED – ${g.error}`
                : `  google ${g.person}: ${g.mode}${g.restartedFull ? ' (sync token expired: full resync)' : ''}, ${g.events} event(s) in ${g.pages} page(s)`,
            )
          }
          io.out(lines.join('\n'))
        }
        return failed.length > 0 ? 2 : 0
      })
    })
}
