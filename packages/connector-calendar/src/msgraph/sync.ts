import type { Microsoft365CalendarConfig, RawEnvelope } from '@orgpulse/contracts'
import { publishRaw } from '@orgpulse/kafka'
import type { Classification } from '../classify.ts'
import { calendarEnvelope } from '../payload.ts'
import { classificationHash, storeCursorWhenDurable } from '../source/cursors.ts'
import { failedSync, type PersonSyncResult, syncEachCalendar } from '../source/each-calendar.ts'
import type { CalendarSyncInputs } from '../source/ingest.ts'
import { classifyEvent, publishCoverage } from '../source/published.ts'
import { type DeltaRequest, DeltaTokenExpiredError, type GraphCalendarApi } from './api.ts'
import { type PublishedIdentity, readGraphItem, removedAsCancelled } from './shape.ts'

export const MSGRAPH_CONNECTOR = 'calendar-msgraph'

const DAY = 86_400_000

/**
 * A mailbox's cursor (ingest_cursors, under the classification rules' hash): the delta link of
 * its current round, the round's window (calendarView delta is bounded by the window of its
 * first request), and what was published per Graph event id, so an `@removed` id can cancel the
 * occurrence it was.
 */
interface MailboxState {
  v: 1
  deltaLink: string
  from: string
  to: string
  ids: Record<string, Published>
}

type Published = PublishedIdentity & {
  classification?: Classification
  /** when its `@removed` was read: a later listing of the same id (moved back into the window) must be newer */
  removedAt?: string
}

export interface MailboxSyncResult extends PersonSyncResult {
  /** the round's window ran short ahead: a new full round over the usual window */
  rolled: boolean
  /** cancellations published for events that went away (`@removed`, or gone since the last round) */
  removed: number
}

export interface Microsoft365SyncOptions extends CalendarSyncInputs {
  api: GraphCalendarApi
  m365: Pick<Microsoft365CalendarConfig, 'initialDaysBack' | 'initialDaysAhead' | 'concurrency'>
}

/**
 * Org-wide Microsoft 365 sync: per mailbox, `calendarView/delta` rounds. The first round lists
 * the window (initialDaysBack before now to initialDaysAhead after), each later one follows the
 * stored delta link and gets what changed. The delta link is stored only once everything its
 * round published is durable (acknowledged by Kafka; in embedded mode, written by the pipeline),
 * so a crash in between re-reads the round and the deterministic event ids collapse the copies.
 * A round's window is fixed, so when less than half of initialDaysAhead is left ahead of now a
 * new full round starts over the usual window; a 410 on the link starts one too. Either way the
 * events published before that are not in the new listing are cancelled.
 */
export function syncMicrosoft365Calendars(opts: Microsoft365SyncOptions): Promise<MailboxSyncResult[]> {
  return syncEachCalendar({
    people: opts.people,
    concurrency: opts.m365.concurrency,
    syncOne: (mailbox) => syncMailbox(opts, mailbox),
    failed: (mailbox, error) => ({ ...failedSync(mailbox, error), rolled: false, removed: 0 }),
    onProgress: opts.onProgress,
  })
}

function parseState(cursor: string): MailboxState | null {
  try {
    const s = JSON.parse(cursor) as MailboxState
    return s.v === 1 && typeof s.deltaLink === 'string' ? s : null
  } catch {
    return null
  }
}

async function syncMailbox(opts: Microsoft365SyncOptions, mailbox: string): Promise<MailboxSyncResult> {
  const hash = classificationHash(opts.calendar)
  const now = (opts.now ?? (() => new Date()))()
  const stored = await opts.cursors.get(MSGRAPH_CONNECTOR, mailbox)
  const state = stored?.cursor ? parseState(stored.cursor) : null
  if (opts.reread) {
    const { window, storeCursors } = opts.reread
    return round(opts, mailbox, {
      mode: storeCursors ? 'full' : 'range',
      start: { kind: 'window', from: window.from.toISOString(), to: window.to.toISOString() },
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      previous: state?.ids ?? {},
      store: storeCursors ? hash : null,
      restartedFull: false,
      rolled: false,
    })
  }
  const usable = state && stored?.configHash === hash ? state : null
  const fresh = {
    from: new Date(now.getTime() - opts.m365.initialDaysBack * DAY).toISOString(),
    to: new Date(now.getTime() + opts.m365.initialDaysAhead * DAY).toISOString(),
  }
  const full = (restartedFull: boolean, rolled: boolean) =>
    round(opts, mailbox, {
      mode: 'full',
      start: { kind: 'window', ...fresh },
      window: fresh,
      previous: state?.ids ?? {},
      store: hash,
      restartedFull,
      rolled,
    })
  if (!usable) return full(false, false)
  const aheadLeft = Date.parse(usable.to) - now.getTime()
  if (aheadLeft < (opts.m365.initialDaysAhead * DAY) / 2) return full(false, true)
  try {
    return await round(opts, mailbox, {
      mode: 'incremental',
      start: { kind: 'link', url: usable.deltaLink },
      window: { from: usable.from, to: usable.to },
      previous: usable.ids,
      store: hash,
      restartedFull: false,
      rolled: false,
    })
  } catch (err) {
    if (!(err instanceof DeltaTokenExpiredError)) throw err
    await opts.cursors.clear(MSGRAPH_CONNECTOR, mailbox)
    return full(true, false)
  }
}

interface Round {
  /** full: a new listing of `window`; incremental: the changes since the stored link; range: a re-read beside the sync */
  mode: 'full' | 'incremental' | 'range'
  start: DeltaRequest
  window: { from: string; to: string }
  /** what the mailbox's earlier rounds published, by Graph id */
  previous: MailboxState['ids']
  /** the rules' hash to store the delta link under; null: the link is not stored */
  store: string | null
  restartedFull: boolean
  rolled: boolean
}

const instantOf = (t: { dateTime?: string; date?: string }): number =>
  Date.parse(t.dateTime ?? (t.date ? `${t.date}T00:00:00Z` : ''))

async function round(opts: Microsoft365SyncOptions, mailbox: string, r: Round): Promise<MailboxSyncResult> {
  const lo = Date.parse(r.window.from)
  const hi = Date.parse(r.window.to)
  const inWindow = (p: Published) => {
    const at = instantOf(p.original)
    return at >= lo && at < hi
  }
  // an incremental round continues the earlier ones; a full listing starts over, keeping only the
  // removals inside its window (see `removedAt`)
  const ids: MailboxState['ids'] =
    r.mode === 'incremental'
      ? { ...r.previous }
      : Object.fromEntries(Object.entries(r.previous).filter(([, p]) => p.removedAt && inWindow(p)))
  const seen = new Set<string>()
  const rules = { calendar: opts.calendar, org: opts.org, classifiedAt: opts.reread?.classifiedAt }
  let req = r.start
  let pages = 0
  let events = 0
  let removed = 0
  const meta = { calendar: mailbox, via: 'msgraph' as const }
  const cancellation = (id: string, known: MailboxState['ids'][string], fetchedAt: string): RawEnvelope =>
    calendarEnvelope(
      removedAsCancelled(id, known, fetchedAt),
      known.classification ?? { class: 'other', ritual: '' },
      meta,
      fetchedAt,
    )
  for (;;) {
    const page = await opts.api.delta(mailbox, req)
    pages++
    const fetchedAt = new Date().toISOString()
    const envelopes: RawEnvelope[] = []
    for (const raw of page.value) {
      const item = readGraphItem(raw, mailbox)
      if (item.kind === 'event') {
        seen.add(item.event.id)
        const removedAt = (ids[item.event.id] ?? r.previous[item.event.id])?.removedAt
        if (removedAt && !(Date.parse(item.event.updated ?? '') > Date.parse(removedAt)))
          item.event.updated = new Date(Date.parse(removedAt) + 1).toISOString()
        // the title is read here, for the class, and goes no further
        const classification = classifyEvent(item.event, mailbox, rules)
        envelopes.push(calendarEnvelope(item.event, classification, meta, fetchedAt))
        if (item.identity) ids[item.event.id] = { ...item.identity, classification }
      } else if (item.kind === 'removed') {
        const known = ids[item.id] ?? r.previous[item.id]
        // an id never published (created and deleted between two rounds) cancels nothing, and
        // one cancelled already needs no second cancellation
        if (known && !known.removedAt) {
          envelopes.push(cancellation(item.id, known, fetchedAt))
          ids[item.id] = { ...known, removedAt: fetchedAt }
          removed++
        }
      }
    }
    if (envelopes.length > 0) await publishRaw(opts.bus, envelopes)
    events += envelopes.length
    const nextLink = page['@odata.nextLink']
    if (nextLink) {
      req = { kind: 'link', url: nextLink }
      continue
    }
    const fetchedAt2 = new Date().toISOString()
    // a new full listing replaces the earlier rounds': what they published inside its window
    // and it no longer lists was deleted while no link was followed (a 410, a rolled window)
    if (r.mode === 'full') {
      const gone: RawEnvelope[] = []
      for (const [id, known] of Object.entries(r.previous)) {
        if (seen.has(id) || known.removedAt || !inWindow(known)) continue
        gone.push(cancellation(id, known, fetchedAt2))
        ids[id] = { ...known, removedAt: fetchedAt2 }
      }
      if (gone.length > 0) await publishRaw(opts.bus, gone)
      removed += gone.length
      events += gone.length
    }
    const syncedAt = (opts.now ?? (() => new Date()))().toISOString()
    await publishCoverage(
      opts.bus,
      mailbox,
      r.mode === 'incremental' ? { mode: 'incremental' } : { mode: r.mode, ...r.window },
      syncedAt,
    )
    // a removal before the window can no longer be listed again: forget it
    for (const [id, p] of Object.entries(ids)) if (p.removedAt && instantOf(p.original) < lo) delete ids[id]
    const deltaLink = page['@odata.deltaLink']
    if (deltaLink && r.store !== null) {
      const state: MailboxState = { v: 1, deltaLink, from: r.window.from, to: r.window.to, ids }
      await storeCursorWhenDurable(
        opts.durable,
        opts.cursors,
        { connector: MSGRAPH_CONNECTOR, scope: mailbox },
        JSON.stringify(state),
        r.store,
      )
    }
    return {
      person: mailbox,
      mode: r.mode === 'incremental' ? 'incremental' : 'full',
      restartedFull: r.restartedFull,
      rolled: r.rolled,
      events,
      removed,
      pages,
    }
  }
}
