import type { ConnectorContext, PullConnector, SyncOptions, SyncReport } from '@orgpulse/connector'
import { type CalendarConfig, calendarConfigSchema, OrgpulseError } from '@orgpulse/contracts'
import { ingestGoogleCalendar } from './google/run.ts'
import { type IcsImportResult, importIcs } from './ics-import.ts'
import { mapCalendar } from './mapper.ts'
import { ingestMicrosoft365Calendar } from './msgraph/run.ts'
import type { MailboxSyncResult } from './msgraph/sync.ts'
import { loadOrgLookup, personTimeZone } from './org.ts'
import {
  earliestStoredMeeting,
  recordOneOffImport,
  recordRules,
  rereadCalendars,
  rereadPlan,
  retainedWindow,
  rulesState,
} from './reread.ts'
import type { PersonSyncResult } from './source/each-calendar.ts'
import { CalendarConfigError, type CalendarIngestOptions } from './source/ingest.ts'
import { resolveZone } from './zones.ts'

export interface CalendarSyncOptions extends SyncOptions {
  /** one ICS file or feed instead of the configured sources */
  ics?: { source: string; owner: string }
  /** the ICS window; each end defaults to calendar.google's initialDaysBack/initialDaysAhead around today */
  from?: Date
  to?: Date
}

export interface CalendarSyncResult {
  ics: IcsImportResult[]
  google: PersonSyncResult[]
  microsoft365: MailboxSyncResult[]
}

const DAY = 86_400_000

/**
 * The ICS window: without `from`/`to`, the past `initialDaysBack` days (default 90, so a first
 * import feeds the usual quarter's metrics) and `initialDaysAhead` ahead (28), said in `text`.
 */
export function icsWindow(
  calendar: CalendarConfig,
  given: { from?: Date; to?: Date },
  now: Date = new Date(),
): { window: { from: Date; to: Date }; text: string } {
  const back = calendar.google?.initialDaysBack ?? calendar.microsoft365?.initialDaysBack ?? 90
  const ahead = calendar.google?.initialDaysAhead ?? calendar.microsoft365?.initialDaysAhead ?? 28
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const window = {
    from: given.from ?? new Date(today - back * DAY),
    to: given.to ?? new Date(today + ahead * DAY),
  }
  if (window.to <= window.from) throw new OrgpulseError('invalid_input', '--to must be after --from')
  const text = `${window.from.toISOString().slice(0, 10)} to ${window.to.toISOString().slice(0, 10)}${
    given.from || given.to ? '' : ` (default: ${back} days back, ${ahead} ahead; choose with --from/--to)`
  }`
  return { window, text }
}

/**
 * The sync after the classification rules changed: every configured calendar re-read over the
 * retained window (from the earliest stored meeting, or initialDaysBack when that is earlier),
 * its sync tokens stored under the new rules, then the new rules recorded.
 */
async function rulesChanged(
  ctx: ConnectorContext,
  calendar: CalendarConfig,
  earliest: Date,
  unrecorded: boolean,
  progress: (p: { line: string }) => void,
): Promise<SyncReport<CalendarSyncResult>> {
  const window = retainedWindow(calendar, earliest)
  const { people, mailboxes, feeds } = await rereadPlan(ctx.client, calendar)
  const count = people.length + mailboxes.length + feeds.length
  const headline = `classification rules changed${unrecorded ? ' (none recorded for the stored meetings)' : ''}: re-reading ${count} calendars from ${window.from.toISOString().slice(0, 10)}`
  // a warning: a whole re-read is costly, and a scheduled pull shows nothing else of a sync
  ctx.log.warn({ calendars: count, from: window.from.toISOString() }, headline)
  progress({ line: headline })
  const r = await rereadCalendars(ctx, {
    ...window,
    storeCursors: true,
    progress: (line) => progress({ line }),
  })
  await recordRules(ctx, calendar)
  return {
    result: { ics: r.ics, google: r.google, microsoft365: r.microsoft365 },
    lines: ['calendar sync done', `  ${headline}`, ...r.lines],
    failed: r.failed,
  }
}

/** The ingest call of each vendor: the same runtime, people and progress lines, named by the vendor. */
function vendorIngest(
  vendor: 'google' | 'microsoft365',
  ctx: ConnectorContext,
  options: CalendarSyncOptions,
  progress: (p: { line: string }) => void,
): CalendarIngestOptions {
  return {
    bus: ctx.bus,
    durable: ctx.durable,
    client: ctx.client,
    config: ctx.config,
    env: options.env ?? ctx.env,
    ...(options.only ? { people: options.only.map((p) => p.toLowerCase()) } : {}),
    onProgress: (p) => {
      const eta = p.etaMs !== null ? `, ETA ${Math.ceil(p.etaMs / 1000)} s` : ''
      progress({
        line: `calendar ${vendor}: ${p.done}/${p.total} calendars, ${p.rate.toFixed(2)}/s${eta} (last: ${p.person}, ${p.events} events)`,
      })
    },
    onRetry: (n) =>
      progress({
        line: `calendar ${vendor}: ${n.subject} answered ${n.status} ${n.reason}; retry ${n.attempt} in ${(n.delayMs / 1000).toFixed(1)} s`,
      }),
  }
}

/**
 * The org-wide Google Calendar sync and the ICS feeds of orgpulse.yaml (or one ICS feed). A
 * calendar that fails is reported in `failed` while the others sync.
 */
export const calendarConnector: PullConnector<CalendarSyncResult, CalendarSyncOptions> = {
  source: 'calendar',
  mappingVersion: 1,
  configSchema: calendarConfigSchema,
  configured: (config) =>
    config.calendar !== undefined &&
    (config.calendar.google !== undefined ||
      config.calendar.microsoft365 !== undefined ||
      config.calendar.ics.length > 0),
  mapper: mapCalendar,
  async sync(ctx, options: CalendarSyncOptions = {}) {
    const progress = options.progress ?? (() => {})
    const calendar = ctx.config.calendar ?? calendarConfigSchema.parse({})
    const { window, text: windowText } = icsWindow(calendar, options)
    const feeds = options.ics
      ? [options.ics]
      : calendar.ics.map((f) => ({ source: (f.url ?? f.file) as string, owner: f.owner }))
    if (!options.ics && !calendar.google && !calendar.microsoft365 && feeds.length === 0) {
      throw new CalendarConfigError(
        'nothing to sync: configure calendar.google, calendar.microsoft365 or calendar.ics in orgpulse.yaml, or pass --ics FILE|URL --owner EMAIL',
      )
    }
    // a changed rule set (or none recorded for meetings already stored): what is stored was
    // classified under other rules, and titles are kept nowhere, so the sources are read again
    let unrecorded = false
    if (!options.ics && !options.only) {
      const rules = await rulesState(ctx.client, calendar)
      unrecorded = rules.recorded !== rules.current
      if (unrecorded) {
        const earliest = await earliestStoredMeeting(ctx.client)
        if (earliest) return rulesChanged(ctx, calendar, earliest, rules.recorded === null, progress)
      }
    }
    const ics: IcsImportResult[] = []
    let google: PersonSyncResult[] = []
    let microsoft365: MailboxSyncResult[] = []
    const org = await loadOrgLookup(ctx.client)
    const warnings: string[] = []
    for (const f of feeds) {
      const own = await personTimeZone(ctx.client, f.owner)
      // an HR system may hold the zone under its Windows name too
      const ownZone = resolveZone(own)
      const defaultZone = ownZone ?? ctx.config.workingHours.timeZone
      if (own && !ownZone) {
        warnings.push(
          `  warning: the HR record of ${f.owner} has time zone "${own}", which is neither an IANA nor a Windows zone name: floating times in ${f.source} are read in workingHours.timeZone (${defaultZone})`,
        )
      }
      progress({ line: `calendar ics: reading ${f.source} for ${f.owner}` })
      ics.push(
        await importIcs({
          bus: ctx.bus,
          calendar,
          source: f.source,
          owner: f.owner,
          window,
          defaultZone,
          org,
        }),
      )
    }
    if (!options.ics && calendar.google) {
      google = await ingestGoogleCalendar(vendorIngest('google', ctx, options, progress))
    }
    if (!options.ics && calendar.microsoft365) {
      microsoft365 = await ingestMicrosoft365Calendar(vendorIngest('microsoft365', ctx, options, progress))
    }
    const lines = ['calendar sync done']
    if (ics.length > 0) lines.push(`  ics window: ${windowText}`)
    for (const r of ics) {
      const unplaced = r.unknownZones.reduce((n, z) => n + z.occurrences, 0)
      lines.push(
        `  ics ${r.source} (${r.owner}): ${r.occurrences} occurrence(s), ${r.cancelled} cancelled${unplaced > 0 ? `, ${unplaced} dead-lettered (unknown time zone)` : ''}`,
      )
      for (const z of r.unknownZones) {
        warnings.push(
          `  warning: ${r.source} (${r.owner}): TZID "${z.tzid}" is not defined by a VTIMEZONE in the file and is neither an IANA nor a Windows zone name: ${z.occurrences} occurrence(s) dead-lettered with the reason, not imported and not shifted into another zone (see orgpulse dlq list)`,
        )
      }
    }
    for (const g of google) {
      lines.push(
        g.error
          ? `  google ${g.person}: FAILED – ${g.error}`
          : `  google ${g.person}: ${g.mode}${g.restartedFull ? ' (sync token expired: full resync)' : ''}, ${g.events} event(s) in ${g.pages} page(s)`,
      )
    }
    for (const m of microsoft365) {
      lines.push(
        m.error
          ? `  microsoft365 ${m.person}: FAILED – ${m.error}`
          : `  microsoft365 ${m.person}: ${m.mode}${m.restartedFull ? ' (delta token expired: full round)' : ''}${m.rolled ? ' (window renewed: full round)' : ''}, ${m.events} event(s) in ${m.pages} page(s)${m.removed > 0 ? `, ${m.removed} cancelled` : ''}`,
      )
    }
    lines.push(...warnings)
    const failed = [...google, ...microsoft365].filter((g) => g.error).map((g) => g.person)
    if (options.ics) {
      // a one-off import has no source the connector could read again: remember it, so a
      // reclassification can name it
      await recordOneOffImport(ctx.client, {
        source: options.ics.source,
        owner: options.ics.owner,
        from: window.from.toISOString(),
        to: window.to.toISOString(),
      })
    } else if (unrecorded) {
      // nothing was stored before: what this sync read is classified under the current rules
      await recordRules(ctx, calendar)
    }
    return { result: { ics, google, microsoft365 }, lines, failed }
  },
}
