import { resolve } from 'node:path'
import { type ClickHouseClient, CursorStore, queryRows } from '@orgpulse/clickhouse'
import type { ConnectorContext } from '@orgpulse/connector'
import {
  type CalendarConfig,
  calendarConfigSchema,
  OrgpulseError,
  type RawEnvelope,
  rawEnvelopeSchema,
  rawTopic,
  toClickHouseTime,
} from '@orgpulse/contracts'
import type { Bus } from '@orgpulse/kafka'
import { ingestGoogleCalendar } from './google/run.ts'
import { type IcsImportResult, importIcs } from './ics-import.ts'
import { mapCalendar } from './mapper.ts'
import { ingestMicrosoft365Calendar } from './msgraph/run.ts'
import type { MailboxSyncResult } from './msgraph/sync.ts'
import { loadOrgLookup, orgEmails, personTimeZone } from './org.ts'
import { classificationHash } from './source/cursors.ts'
import type { PersonSyncResult } from './source/each-calendar.ts'
import { resolveZone } from './zones.ts'

/**
 * Reclassification by re-reading the sources. Titles are never stored outside the ingest service
 * (DESIGN "Privacy"), so meetings classified under older rules can only be classified again by
 * reading them again from their calendars: Google Calendar through the API, the ICS feeds of
 * `calendar.ics` by their url or file. What was imported once with `ingest calendar --ics FILE
 * --owner` has no source to re-read: those imports are recorded (source, owner, window) so the
 * user can be told which to run again.
 */

/** where the fingerprint of the rules the stored meetings were classified under lives (ingest_cursors) */
export const RULES_CURSOR = { connector: 'calendar-rules', scope: 'classification' } as const
/** one-off ICS imports, one row per (owner, source): the window they covered, as JSON */
export const ONE_OFF_CONNECTOR = 'calendar-ics-import'

export interface OneOffImport {
  source: string
  owner: string
  from: string
  to: string
}

const DAY = 86_400_000
const day = (d: Date | string): string => new Date(d).toISOString().slice(0, 10)

/** Records a one-off `ingest calendar --ics` import; a source imported again keeps the union of its windows. */
export async function recordOneOffImport(client: ClickHouseClient, imp: OneOffImport): Promise<void> {
  const store = new CursorStore(client)
  // a file is named so that the command to run it again works from anywhere
  const source = /^(https?|webcal):\/\//i.test(imp.source) ? imp.source : resolve(imp.source)
  const scope = `${imp.owner} ${source}`
  const prev = await store.get(ONE_OFF_CONNECTOR, scope)
  let from = imp.from
  let to = imp.to
  if (prev?.cursor) {
    const p = JSON.parse(prev.cursor) as { from: string; to: string }
    if (p.from < from) from = p.from
    if (p.to > to) to = p.to
  }
  await store.set(ONE_OFF_CONNECTOR, scope, JSON.stringify({ source, owner: imp.owner, from, to }))
}

/** the one-off imports whose window overlaps [from, to) */
export async function oneOffImports(client: ClickHouseClient, from: Date, to: Date): Promise<OneOffImport[]> {
  const rows = await queryRows<{ c: string }>(
    client,
    `SELECT argMax(cursor, updated_at) AS c FROM ingest_cursors
     WHERE connector = {connector:String} GROUP BY scope ORDER BY scope`,
    { connector: ONE_OFF_CONNECTOR },
  )
  return rows
    .map((r) => JSON.parse(r.c) as OneOffImport)
    .filter((i) => Date.parse(i.from) < to.getTime() && Date.parse(i.to) > from.getTime())
}

/** the start of the earliest stored occurrence that is not cancelled (null: no meetings stored) */
export async function earliestStoredMeeting(client: ClickHouseClient): Promise<Date | null> {
  const rows = await queryRows<{ s: string }>(
    client,
    `SELECT toString(min(start)) AS s FROM meetings FINAL WHERE cancelled = 0 HAVING count() > 0`,
  )
  return rows[0] ? new Date(`${rows[0].s.replace(' ', 'T')}Z`) : null
}

/**
 * A bus that passes everything on and notes the meeting ids of the calendar events published,
 * mapped exactly as the transformer maps them (the mapper is pure): what a re-read reached.
 */
function tappedBus(bus: Bus, ctx: ConnectorContext, seen: Set<string>): Bus {
  const topic = rawTopic('calendar')
  const tapped: Bus = {
    kind: bus.kind,
    ensureTopics: (specs) => bus.ensureTopics(specs),
    consume: (o) => bus.consume(o),
    lag: (g, t) => bus.lag(g, t),
    close: () => bus.close(),
    async publish(t, messages) {
      await bus.publish(t, messages)
      if (t !== topic) return
      for (const m of messages) {
        let envelope: RawEnvelope
        try {
          envelope = rawEnvelopeSchema.parse(JSON.parse(m.value.toString('utf8')))
          if (envelope.entity !== 'event') continue
          for (const e of mapCalendar(envelope, { config: ctx.config }))
            if (e.type === 'meeting.held') seen.add(e.meetingId)
        } catch {
          // the transformer dead-letters it with the reason; it re-read nothing
        }
      }
    },
  }
  return tapped
}

export interface RereadOptions {
  from: Date
  to: Date
  /**
   * store the listings' sync tokens as the calendars' cursors (under the current rules' hash):
   * when the window reaches the usual horizon, so incremental syncs continue from this read
   */
  storeCursors: boolean
  progress?: (line: string) => void
  /** the re-read's time, carried by each occurrence as `classifiedAt` (default now) */
  now?: Date
}

export interface RereadResult {
  from: string
  to: string
  /** calendars read: Google calendars, Microsoft 365 mailboxes and ICS feeds */
  calendars: number
  google: PersonSyncResult[]
  microsoft365: MailboxSyncResult[]
  ics: IcsImportResult[]
  /** stored meetings in the window (not cancelled) that no re-read source delivered again */
  notReread: number
  /** one-off ICS imports overlapping the window: re-run them to reclassify their meetings */
  oneOff: OneOffImport[]
  failed: string[]
  lines: string[]
}

/** what a re-read will read: the Google calendars, the Microsoft 365 mailboxes and the configured ICS feeds */
export async function rereadPlan(
  client: ClickHouseClient,
  calendar: CalendarConfig,
): Promise<{ people: string[]; mailboxes: string[]; feeds: { source: string; owner: string }[] }> {
  const people = calendar.google ? (calendar.google.people ?? (await orgEmails(client))) : []
  const mailboxes = calendar.microsoft365 ? (calendar.microsoft365.people ?? (await orgEmails(client))) : []
  const feeds = calendar.ics.map((f) => ({ source: (f.url ?? f.file) as string, owner: f.owner }))
  return { people, mailboxes, feeds }
}

/**
 * Re-reads [from, to) from every configured calendar source with the current rules and
 * publishes the occurrences again as newer versions (same meeting ids), then counts the stored
 * meetings of the window that no source delivered again.
 */
export async function rereadCalendars(ctx: ConnectorContext, o: RereadOptions): Promise<RereadResult> {
  const progress = o.progress ?? (() => {})
  const calendar = ctx.config.calendar ?? calendarConfigSchema.parse({})
  const classifiedAt = (o.now ?? new Date()).toISOString()
  const { people, mailboxes, feeds } = await rereadPlan(ctx.client, calendar)
  const total = people.length + mailboxes.length + feeds.length
  const seen = new Set<string>()
  const bus = tappedBus(ctx.bus, ctx, seen)
  const org = await loadOrgLookup(ctx.client)
  const ics: IcsImportResult[] = []
  const failed: string[] = []
  const lines: string[] = []
  let done = 0
  for (const f of feeds) {
    const zone = resolveZone(await personTimeZone(ctx.client, f.owner)) ?? ctx.config.workingHours.timeZone
    try {
      ics.push(
        await importIcs({
          bus,
          calendar,
          source: f.source,
          owner: f.owner,
          window: { from: o.from, to: o.to },
          defaultZone: zone,
          org,
          classifiedAt,
        }),
      )
    } catch (err) {
      failed.push(f.source)
      lines.push(`  ics ${f.source} (${f.owner}): FAILED – ${(err as Error).message}`)
    }
    done++
    progress(`reclassify: ${done}/${total} calendars (ics ${f.source})`)
  }
  let google: PersonSyncResult[] = []
  if (calendar.google && people.length > 0) {
    const offset = done
    google = await ingestGoogleCalendar({
      bus,
      durable: ctx.durable,
      client: ctx.client,
      config: ctx.config,
      env: ctx.env,
      people,
      reread: { window: { from: o.from, to: o.to }, classifiedAt, storeCursors: o.storeCursors },
      onProgress: (p) =>
        progress(
          `reclassify: ${offset + p.done}/${total} calendars (google ${p.person}, ${p.events} events)`,
        ),
    })
  }
  let microsoft365: MailboxSyncResult[] = []
  if (calendar.microsoft365 && mailboxes.length > 0) {
    const offset = done + google.length
    microsoft365 = await ingestMicrosoft365Calendar({
      bus,
      durable: ctx.durable,
      client: ctx.client,
      config: ctx.config,
      env: ctx.env,
      people: mailboxes,
      reread: { window: { from: o.from, to: o.to }, classifiedAt, storeCursors: o.storeCursors },
      onProgress: (p) =>
        progress(
          `reclassify: ${offset + p.done}/${total} calendars (microsoft365 ${p.person}, ${p.events} events)`,
        ),
    })
  }
  for (const r of ics)
    lines.push(`  ics ${r.source} (${r.owner}): ${r.occurrences} occurrence(s), ${r.cancelled} cancelled`)
  for (const m of microsoft365) {
    if (m.error) failed.push(m.person)
    lines.push(
      m.error
        ? `  microsoft365 ${m.person}: FAILED – ${m.error}`
        : `  microsoft365 ${m.person}: ${m.events} event(s)`,
    )
  }
  for (const g of google) {
    if (g.error) failed.push(g.person)
    lines.push(
      g.error ? `  google ${g.person}: FAILED – ${g.error}` : `  google ${g.person}: ${g.events} event(s)`,
    )
  }
  const stored = await queryRows<{ meeting_id: string }>(
    ctx.client,
    `SELECT meeting_id FROM meetings FINAL
     WHERE cancelled = 0 AND start >= {from:DateTime64(3, 'UTC')} AND start < {to:DateTime64(3, 'UTC')}`,
    { from: toClickHouseTime(o.from), to: toClickHouseTime(o.to) },
  )
  const notReread = stored.filter((r) => !seen.has(r.meeting_id)).length
  const oneOff = await oneOffImports(ctx.client, o.from, o.to)
  if (notReread > 0 || oneOff.length > 0) {
    lines.push(
      `  ${notReread} stored meeting(s) in the window could not be re-read: they came from one-off imports (ingest calendar --ics FILE --owner EMAIL) or from calendars no longer synced, and keep the class they were given`,
    )
    if (oneOff.length > 0)
      lines.push('  re-run these imports to classify their meetings with the current rules:')
    for (const i of oneOff)
      lines.push(
        `    orgpulse ingest calendar --ics ${i.source} --owner ${i.owner} --from ${day(i.from)} --to ${day(i.to)}`,
      )
  }
  return {
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    calendars: total,
    google,
    microsoft365,
    ics,
    notReread,
    oneOff,
    failed,
    lines,
  }
}

/**
 * The window a changed rule set re-reads: from the earliest stored meeting, or the usual initial
 * window (initialDaysBack before today) when that is earlier, to initialDaysAhead after today.
 */
export function retainedWindow(
  calendar: CalendarConfig,
  earliest: Date,
  now: Date = new Date(),
): { from: Date; to: Date } {
  const back = calendar.google?.initialDaysBack ?? calendar.microsoft365?.initialDaysBack ?? 90
  const ahead = calendar.google?.initialDaysAhead ?? calendar.microsoft365?.initialDaysAhead ?? 28
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const earliestDay = Date.UTC(earliest.getUTCFullYear(), earliest.getUTCMonth(), earliest.getUTCDate())
  return { from: new Date(Math.min(today - back * DAY, earliestDay)), to: new Date(today + ahead * DAY) }
}

/** the rules fingerprint the stored meetings were classified under, and the current one */
export async function rulesState(
  client: ClickHouseClient,
  calendar: CalendarConfig,
): Promise<{ recorded: string | null; current: string }> {
  const rec = await new CursorStore(client).get(RULES_CURSOR.connector, RULES_CURSOR.scope)
  return { recorded: rec?.configHash || null, current: classificationHash(calendar) }
}

/** records the current rules as those the stored meetings are classified under (once what was read is durable) */
export async function recordRules(ctx: ConnectorContext, calendar: CalendarConfig): Promise<void> {
  await ctx.durable()
  await new CursorStore(ctx.client).set(
    RULES_CURSOR.connector,
    RULES_CURSOR.scope,
    new Date().toISOString(),
    classificationHash(calendar),
  )
}

export interface ReclassifyResult extends RereadResult {
  /** the current rules were recorded: the window covered everything a changed rule set re-reads */
  rulesRecorded: boolean
}

/**
 * `orgpulse calendar reclassify --from D [--to D]`: re-reads the window with the current rules.
 * Without `to` the listing reaches the usual horizon (initialDaysAhead after today), so its sync
 * tokens become the calendars' cursors; when it also starts no later than what a changed rule set
 * would re-read, the current rules are recorded and the next sync does not read it all again.
 */
export async function reclassifyCalendars(
  ctx: ConnectorContext,
  o: { from: Date; to?: Date; progress?: (line: string) => void; now?: Date },
): Promise<ReclassifyResult> {
  const calendar = ctx.config.calendar ?? calendarConfigSchema.parse({})
  const now = o.now ?? new Date()
  const earliest = await earliestStoredMeeting(ctx.client)
  const horizon = retainedWindow(calendar, earliest ?? now, now)
  const to = o.to ?? horizon.to
  if (to <= o.from) throw new OrgpulseError('invalid_input', '--to must be after --from')
  const storeCursors = o.to === undefined
  const r = await rereadCalendars(ctx, {
    from: o.from,
    to,
    storeCursors,
    now,
    ...(o.progress ? { progress: o.progress } : {}),
  })
  const rulesRecorded = storeCursors && o.from <= horizon.from
  if (rulesRecorded) await recordRules(ctx, calendar)
  return { ...r, rulesRecorded }
}
