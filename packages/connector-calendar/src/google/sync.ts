import { createHash } from 'node:crypto'
import { type CalendarConfig, syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, type Durable, publishRaw } from '@orgpulse/kafka'
import { classifyMeeting, type OrgLookup, stamped } from '../classify.ts'
import { type CalendarEvent, calendarEnvelope, meetingShape } from '../payload.ts'
import { type GoogleCalendarApi, type ListParams, SyncTokenExpiredError } from './api.ts'

export const GOOGLE_CONNECTOR = 'calendar-google'

/** The part of CursorStore (@orgpulse/clickhouse) the sync uses. */
export interface CursorPort {
  get(connector: string, scope: string): Promise<{ cursor: string; configHash: string } | null>
  set(connector: string, scope: string, cursor: string, configHash?: string): Promise<void>
  clear(connector: string, scope?: string): Promise<void>
}

export interface SyncProgress {
  done: number
  total: number
  person: string
  events: number
  elapsedMs: number
  /** calendars per second so far */
  rate: number
  etaMs: number | null
}

export interface PersonSyncResult {
  person: string
  mode: 'full' | 'incremental'
  /** an expired sync token (410) forced a full sync */
  restartedFull: boolean
  events: number
  pages: number
  error?: string
}

export interface GoogleSyncOptions {
  bus: Bus
  cursors: CursorPort
  /** awaited before a sync token is stored: until what it covers is durable (Runtime.durable) */
  durable: Durable
  api: GoogleCalendarApi
  calendar: CalendarConfig
  google: { initialDaysBack: number; initialDaysAhead: number; pageSize: number }
  org: OrgLookup
  people: string[]
  concurrency?: number
  now?: () => Date
  onProgress?: (p: SyncProgress) => void
  /**
   * A re-read with the current rules (`calendar reclassify`, or a changed rule set): every
   * calendar is listed in full over `window`, whatever its cursor, and each occurrence carries
   * `classifiedAt`, so it replaces the stored one as a newer version. `storeCursors: false` reads
   * beside the sync (the stored sync tokens stay as they are, the coverage is the window itself).
   */
  reread?: { window: { from: Date; to: Date }; classifiedAt: string; storeCursors: boolean }
}

/**
 * The fingerprint of what the ingest service decides about a meeting before publishing it: the
 * classification rules (rituals, rules with the defaults as applied, defaultRules) and
 * internalDomains. No title goes into it. When it changes, what was published is stale: the
 * cursors' config hash no longer matches, and the connector re-reads the retained window
 * (see rules-change.ts).
 */
export function classificationHash(
  calendar: Pick<CalendarConfig, 'rules' | 'rituals' | 'defaultRules' | 'internalDomains'>,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        rules: calendar.rules,
        rituals: calendar.rituals,
        defaultRules: calendar.defaultRules,
        internalDomains: calendar.internalDomains,
      }),
    )
    .digest('hex')
    .slice(0, 16)
}

/**
 * Org-wide Google Calendar sync: per person (acting as them through domain-wide delegation), a
 * full `events.list` over the initial window, then incremental syncs with the `nextSyncToken`
 * of the last page. A 410 on the token restarts that calendar's full sync. Cursors are written
 * only once every page the token covers is durable (acknowledged by Kafka; in embedded mode,
 * written by the pipeline).
 */
export async function syncGoogleCalendars(opts: GoogleSyncOptions): Promise<PersonSyncResult[]> {
  const started = Date.now()
  const results: PersonSyncResult[] = []
  let next = 0
  let done = 0
  const total = opts.people.length
  const worker = async () => {
    for (;;) {
      const i = next++
      const person = opts.people[i]
      if (person === undefined) return
      let result: PersonSyncResult
      try {
        result = await syncPerson(opts, person)
      } catch (err) {
        result = {
          person,
          mode: 'full',
          restartedFull: false,
          events: 0,
          pages: 0,
          error: (err as Error).message,
        }
      }
      results.push(result)
      done++
      const elapsedMs = Date.now() - started
      const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0
      opts.onProgress?.({
        done,
        total,
        person,
        events: result.events,
        elapsedMs,
        rate,
        etaMs: rate > 0 ? ((total - done) / rate) * 1000 : null,
      })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, total)) }, worker))
  return results.sort((a, b) => a.person.localeCompare(b.person))
}

async function syncPerson(opts: GoogleSyncOptions, person: string): Promise<PersonSyncResult> {
  const hash = classificationHash(opts.calendar)
  if (opts.reread) {
    const { window } = opts.reread
    const params: ListParams = {
      kind: 'full',
      timeMin: window.from.toISOString(),
      timeMax: window.to.toISOString(),
      pageSize: opts.google.pageSize,
    }
    return runListing(opts, person, params, hash, false)
  }
  const cursor = await opts.cursors.get(GOOGLE_CONNECTOR, person)
  const usable = cursor?.cursor && cursor.configHash === hash ? cursor.cursor : null
  if (usable) {
    try {
      return await runListing(
        opts,
        person,
        { kind: 'incremental', syncToken: usable, pageSize: opts.google.pageSize },
        hash,
        false,
      )
    } catch (err) {
      if (!(err instanceof SyncTokenExpiredError)) throw err
      await opts.cursors.clear(GOOGLE_CONNECTOR, person)
      return runListing(opts, person, fullParams(opts), hash, true)
    }
  }
  return runListing(opts, person, fullParams(opts), hash, false)
}

function fullParams(opts: GoogleSyncOptions): ListParams {
  const now = (opts.now ?? (() => new Date()))().getTime()
  const day = 86_400_000
  return {
    kind: 'full',
    timeMin: new Date(now - opts.google.initialDaysBack * day).toISOString(),
    timeMax: new Date(now + opts.google.initialDaysAhead * day).toISOString(),
    pageSize: opts.google.pageSize,
  }
}

async function runListing(
  opts: GoogleSyncOptions,
  person: string,
  params: ListParams,
  hash: string,
  restartedFull: boolean,
): Promise<PersonSyncResult> {
  let pageToken: string | undefined
  let pages = 0
  let events = 0
  const series = new SeriesDirectory(opts.api, person)
  for (;;) {
    const page = await opts.api.listEvents(person, pageToken ? { ...params, pageToken } : params)
    pages++
    const fetchedAt = new Date().toISOString()
    for (const e of page.items) series.learn(e)
    const items = await Promise.all(page.items.map((e) => completeCancelled(opts.api, person, e, series)))
    const envelopes = items.map((e) =>
      calendarEnvelope(
        e,
        stamped(classifyMeeting(meetingShape(e, person), opts.calendar, opts.org), opts.reread?.classifiedAt),
        { calendar: person, via: 'google' },
        fetchedAt,
      ),
    )
    if (envelopes.length > 0) await publishRaw(opts.bus, envelopes)
    events += envelopes.length
    if (page.nextPageToken) {
      pageToken = page.nextPageToken
      continue
    }
    // the calendar is now read completely: a full sync over its window, an incremental one up
    // to now (behind its records, so it is stored after them)
    const syncedAt = (opts.now ?? (() => new Date()))().toISOString()
    const sideRead = opts.reread?.storeCursors === false
    await publishRaw(opts.bus, [
      syncedEnvelope(
        'calendar',
        // a read beside the sync covers its window and no more: incremental syncs continue the
        // stored token, not this listing
        sideRead && params.kind === 'full'
          ? {
              scopeKind: 'calendar',
              scope: person,
              mode: 'range',
              coveredFrom: params.timeMin,
              coveredTo: params.timeMax,
            }
          : params.kind === 'full'
            ? {
                scopeKind: 'calendar',
                scope: person,
                mode: 'full',
                coveredFrom: params.timeMin,
                coveredTo: params.timeMax,
              }
            : {
                scopeKind: 'calendar',
                scope: person,
                mode: 'incremental',
                coveredFrom: syncedAt,
                coveredTo: syncedAt,
              },
        syncedAt,
      ),
    ])
    // nextSyncToken arrives only on the last page; it covers everything published above
    if (page.nextSyncToken && !sideRead) {
      await opts.durable()
      await opts.cursors.set(GOOGLE_CONNECTOR, person, page.nextSyncToken, hash)
    }
    return { person, mode: params.kind, restartedFull, events, pages }
  }
}

/** What a cancelled instance needs from its series to name the occurrence it cancels. */
interface SeriesIdentity {
  iCalUID: string
  organizer?: CalendarEvent['organizer']
}

/**
 * The iCalUID (and organiser) of each series seen in this listing, by its event id: learnt from
 * the series' other instances, else read once with `events.get` of the series' own event.
 */
class SeriesDirectory {
  private readonly known = new Map<string, Promise<SeriesIdentity | null>>()

  constructor(
    private readonly api: GoogleCalendarApi,
    private readonly person: string,
  ) {}

  learn(e: CalendarEvent): void {
    if (e.recurringEventId && e.iCalUID && !this.known.has(e.recurringEventId)) {
      this.known.set(e.recurringEventId, Promise.resolve(identityOf(e)))
    }
  }

  of(recurringEventId: string): Promise<SeriesIdentity | null> {
    let found = this.known.get(recurringEventId)
    if (!found) {
      found = this.api
        .getEvent(this.person, recurringEventId)
        .then((master) => (master?.iCalUID ? identityOf(master) : null))
      this.known.set(recurringEventId, found)
    }
    return found
  }
}

const identityOf = (e: CalendarEvent): SeriesIdentity => ({
  iCalUID: e.iCalUID as string,
  ...(e.organizer ? { organizer: e.organizer } : {}),
})

/**
 * Deleted events may carry little more than their id. The occurrence's identity (iCalUID +
 * original start) is needed downstream to cancel the right row. A cancelled instance of a series
 * arrives as `{id, status, recurringEventId, originalStartTime}` (Google, Event `status`:
 * "Cancelled exceptions are only guaranteed to have values for the id, recurringEventId and
 * originalStartTime fields populated", https://developers.google.com/calendar/api/v3/reference/events),
 * and `events.get` of the instance returns no more: the iCalUID is the series', so is the
 * organiser (whose copy alone may cancel an internal meeting, see the mapper). Any other deleted
 * event is fetched itself; when even that fails the record goes on as it is and the transformer
 * sends it to the dead-letter topic with the reason.
 */
async function completeCancelled(
  api: GoogleCalendarApi,
  person: string,
  e: CalendarEvent,
  series: SeriesDirectory,
): Promise<CalendarEvent> {
  if (e.status !== 'cancelled') return e
  if (e.iCalUID && (e.originalStartTime ?? e.start)) return e
  if (e.recurringEventId && e.originalStartTime) {
    const s = await series.of(e.recurringEventId)
    if (s) return { ...s, ...stripUndefined(e), id: e.id, iCalUID: s.iCalUID }
  }
  const full = await api.getEvent(person, e.id)
  return full ? { ...full, ...stripUndefined(e), status: 'cancelled' } : e
}

const stripUndefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
