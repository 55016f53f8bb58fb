import { publishRaw } from '@orgpulse/kafka'
import { type CalendarEvent, calendarEnvelope } from '../payload.ts'
import { classificationHash, storeCursorWhenDurable } from '../source/cursors.ts'
import { failedSync, type PersonSyncResult, syncEachCalendar } from '../source/each-calendar.ts'
import type { CalendarSyncInputs } from '../source/ingest.ts'
import { classifyEvent, publishCoverage } from '../source/published.ts'
import { type GoogleCalendarApi, type ListParams, SyncTokenExpiredError } from './api.ts'

export const GOOGLE_CONNECTOR = 'calendar-google'

export interface GoogleSyncOptions extends CalendarSyncInputs {
  api: GoogleCalendarApi
  google: { initialDaysBack: number; initialDaysAhead: number; pageSize: number }
  concurrency?: number
}

/**
 * Org-wide Google Calendar sync: per person (acting as them through domain-wide delegation), a
 * full `events.list` over the initial window, then incremental syncs with the `nextSyncToken`
 * of the last page. A 410 on the token restarts that calendar's full sync. Cursors are written
 * only once every page the token covers is durable (acknowledged by Kafka; in embedded mode,
 * written by the pipeline).
 */
export function syncGoogleCalendars(opts: GoogleSyncOptions): Promise<PersonSyncResult[]> {
  return syncEachCalendar({
    people: opts.people,
    concurrency: opts.concurrency ?? 4,
    syncOne: (person) => syncPerson(opts, person),
    failed: failedSync,
    onProgress: opts.onProgress,
  })
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
    const rules = { calendar: opts.calendar, org: opts.org, classifiedAt: opts.reread?.classifiedAt }
    const envelopes = items.map((e) =>
      calendarEnvelope(e, classifyEvent(e, person, rules), { calendar: person, via: 'google' }, fetchedAt),
    )
    if (envelopes.length > 0) await publishRaw(opts.bus, envelopes)
    events += envelopes.length
    if (page.nextPageToken) {
      pageToken = page.nextPageToken
      continue
    }
    // the calendar is now read completely: a full sync over its window, an incremental one up
    // to now; a read beside the sync covers its window and no more (incremental syncs continue
    // the stored token, not this listing)
    const syncedAt = (opts.now ?? (() => new Date()))().toISOString()
    const sideRead = opts.reread?.storeCursors === false
    await publishCoverage(
      opts.bus,
      person,
      params.kind === 'full'
        ? { mode: sideRead ? 'range' : 'full', from: params.timeMin, to: params.timeMax }
        : { mode: 'incremental' },
      syncedAt,
    )
    // nextSyncToken arrives only on the last page; it covers everything published above
    if (page.nextSyncToken && !sideRead) {
      await storeCursorWhenDurable(
        opts.durable,
        opts.cursors,
        { connector: GOOGLE_CONNECTOR, scope: person },
        page.nextSyncToken,
        hash,
      )
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
