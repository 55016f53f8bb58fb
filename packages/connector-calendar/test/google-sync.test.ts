import {
  type CanonicalEventInput,
  calendarConfigSchema,
  configSchema,
  type RawEnvelope,
  rawTopic,
} from '@orgpulse/contracts'
import {
  type FakeEvent,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '@orgpulse/fakes/google-calendar'
import { ackIsDurable } from '@orgpulse/kafka'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GoogleCalendarApi, LIST_FIELDS } from '../src/google/api.ts'
import { ServiceAccountTokens, serviceAccountKeySchema } from '../src/google/auth.ts'
import { GOOGLE_CONNECTOR, syncGoogleCalendars } from '../src/google/sync.ts'
import { mapCalendar } from '../src/mapper.ts'
import { calendarEnvelope, calendarEventSchema } from '../src/payload.ts'
import type { RetryNotice } from '../src/source/authorized-http.ts'
import { classificationHash } from '../src/source/cursors.ts'
import type { PersonSyncResult } from '../src/source/each-calendar.ts'
import { MemoryCursors, RecordingBus } from './helpers.ts'

const ANA = 'ana@acme.com'
const MGR = 'mgr@acme.com'
const SECRET = 'Project Falcon acquisition'

const ev = (id: string, day: string, summary: string, extra: Partial<FakeEvent> = {}): FakeEvent => ({
  id,
  status: 'confirmed',
  iCalUID: `${id}@google.com`,
  start: { dateTime: `${day}T10:00:00Z` },
  end: { dateTime: `${day}T11:00:00Z` },
  eventType: 'default',
  summary,
  description: `${SECRET}: notes nobody outside may read`,
  location: 'Board room',
  organizer: { email: MGR, displayName: 'Mgr' },
  attendees: [
    { email: MGR, responseStatus: 'accepted', organizer: true },
    { email: ANA, responseStatus: 'accepted', comment: SECRET },
  ],
  ...extra,
})

const calendar = calendarConfigSchema.parse({
  internalDomains: ['acme.com'],
  rituals: [
    { name: 'weekly product-engineering director sync', cadence: 'weekly', titleKeywords: ['director sync'] },
  ],
})
const google = { initialDaysBack: 30, initialDaysAhead: 30, pageSize: 2 }
const NOW = new Date('2026-03-25T00:00:00Z')

let fake: FakeGoogleCalendar
let bus: RecordingBus
let cursors: MemoryCursors
let retries: RetryNotice[]

const api = (baseDelayMs = 1) =>
  new GoogleCalendarApi({
    rootUrl: fake.rootUrl,
    tokens: new ServiceAccountTokens(serviceAccountKeySchema.parse(JSON.parse(fake.serviceAccountKey))),
    maxRetries: 4,
    baseDelayMs,
    onRetry: (n) => retries.push(n),
  })

const sync = (people = [ANA], baseDelayMs = 1): Promise<PersonSyncResult[]> =>
  syncGoogleCalendars({
    bus,
    cursors,
    // no pipeline reads this recording bus: its acknowledgement is all there is
    durable: ackIsDurable,
    api: api(baseDelayMs),
    calendar,
    google,
    org: new Map(),
    people,
    now: () => NOW,
  })

const listRequests = () => fake.requests.filter((r) => r.path.endsWith('/events'))

beforeEach(async () => {
  fake = await startFakeGoogleCalendar({
    calendars: {
      [ANA]: [
        ev('e1', '2026-03-16', `Escalation: ${SECRET}`),
        ev('e2', '2026-03-17', 'PE Director Sync'),
        ev('e3', '2026-03-18', 'Design review'),
        ev('e4', '2026-03-19', 'Lunch', { attendees: [] }),
        ev('e5', '2026-03-20', 'Focus', { eventType: 'focusTime', attendees: [] }),
      ],
      [MGR]: [ev('e1', '2026-03-16', `Escalation: ${SECRET}`)],
    },
    delegationRefused: ['blocked@acme.com'],
  })
  bus = new RecordingBus()
  cursors = new MemoryCursors()
  retries = []
})

afterEach(async () => {
  await fake.close()
})

describe('Google Calendar sync against the fake API', () => {
  it('full sync pages through the window, then keeps the nextSyncToken of the last page', async () => {
    const [r] = await sync()
    expect(r).toEqual({ person: ANA, mode: 'full', restartedFull: false, events: 5, pages: 3 })
    const reqs = listRequests()
    expect(reqs).toHaveLength(3)
    for (const q of reqs.map((x) => x.query)) {
      expect(q).toMatchObject({
        singleEvents: 'true',
        showDeleted: 'true',
        maxResults: '2',
        fields: LIST_FIELDS,
      })
      expect(q.timeMin).toBe('2026-02-23T00:00:00.000Z')
      expect(q.timeMax).toBe('2026-04-24T00:00:00.000Z')
      expect(q.syncToken).toBeUndefined()
    }
    expect(reqs.map((x) => x.query.pageToken === undefined)).toEqual([true, false, false])
    expect(reqs.every((x) => x.subject === ANA)).toBe(true)
    expect((await cursors.get(GOOGLE_CONNECTOR, ANA))?.cursor).toBeTruthy()
    expect(cursors.log).toEqual([`set ${ANA}`])
  })

  it('publishes classified events without titles, descriptions, locations or comments', async () => {
    await sync([ANA, MGR])
    const raw = bus.text(rawTopic('calendar'))
    // six events, then one coverage record per calendar (tested below)
    expect(bus.published).toHaveLength(6 + 2)
    expect(raw).not.toContain('Falcon')
    expect(raw).not.toContain('Board room')
    expect(raw).not.toMatch(/"summary"|"description"|"location"|"comment"|"displayName"/)
    const payloads = bus.published.map(
      (p) =>
        JSON.parse(p.message.value.toString()) as { sourceId: string; payload: { classification: unknown } },
    )
    const by = Object.fromEntries(payloads.map((p) => [p.sourceId, p.payload.classification]))
    expect(by[`${ANA}/e1`]).toEqual({ class: 'escalation', ritual: '' })
    expect(by[`${MGR}/e1`]).toEqual({ class: 'escalation', ritual: '' })
    expect(by[`${ANA}/e2`]).toEqual({ class: 'ritual', ritual: 'weekly product-engineering director sync' })
    expect(by[`${ANA}/e3`]).toEqual({ class: 'decision_review', ritual: '' })
  })

  it('records what each sync covered, behind its events: a full sync its window, an incremental one its time', async () => {
    const records = () =>
      bus.published.map((p) => JSON.parse(p.message.value.toString()) as { entity: string; payload: unknown })
    await sync()
    const first = records()
    // the coverage record comes last, after every event of the sync
    expect(first.map((r) => r.entity)).toEqual([...Array(5).fill('event'), 'synced'])
    expect(first.at(-1)!.payload).toEqual({
      scopeKind: 'calendar',
      scope: ANA,
      mode: 'full',
      coveredFrom: '2026-02-23T00:00:00.000Z',
      coveredTo: '2026-04-24T00:00:00.000Z',
    })
    await sync()
    expect(records().at(-1)!.payload).toEqual({
      scopeKind: 'calendar',
      scope: ANA,
      mode: 'incremental',
      coveredFrom: NOW.toISOString(),
      coveredTo: NOW.toISOString(),
    })
  })

  it('incremental sync sends only the syncToken and picks up changes and deletions', async () => {
    await sync()
    const token = (await cursors.get(GOOGLE_CONNECTOR, ANA))?.cursor
    fake.upsertEvent(
      ANA,
      ev('e6', '2026-03-26', 'New 1:1', { attendees: [{ email: ANA, responseStatus: 'needsAction' }] }),
    )
    fake.cancelEvent(ANA, 'e3', { minimal: true })
    const before = fake.requests.length
    const [r] = await sync()
    expect(r).toMatchObject({ mode: 'incremental', restartedFull: false, events: 2, pages: 1 })
    const reqs = fake.requests.slice(before)
    const list = reqs.find((x) => x.path.endsWith('/events'))
    expect(list?.query.syncToken).toBe(token)
    expect(list?.query.timeMin).toBeUndefined()
    expect(list?.query.timeMax).toBeUndefined()
    // the deleted event came back as {id, status}: the connector fetched it to identify the occurrence
    expect(reqs.some((x) => x.path.endsWith('/events/e3'))).toBe(true)
    const cancelled = bus.published
      .map(
        (p) =>
          JSON.parse(p.message.value.toString()) as {
            payload: { id: string; status?: string; iCalUID?: string }
          },
      )
      .filter((p) => p.payload.status === 'cancelled')
    expect(cancelled.map((p) => [p.payload.id, p.payload.iCalUID])).toEqual([['e3', 'e3@google.com']])
    expect((await cursors.get(GOOGLE_CONNECTOR, ANA))?.cursor).not.toBe(token)
  })

  it('a cancelled instance of a series arrives bare and cancels the occurrence it names (the series gives its iCalUID)', async () => {
    // a weekly series organised by ana: its own event (which singleEvents=true listings leave out)
    // and two instances, Google's ids `<series id>_<original start>`
    const instance = (day: string): FakeEvent =>
      ev(`w1_${day.replace(/-/g, '')}T100000Z`, day, 'Team weekly', {
        iCalUID: 'w1-series@google.com',
        recurringEventId: 'w1',
        originalStartTime: { dateTime: `${day}T10:00:00Z` },
        organizer: { email: ANA },
        attendees: [
          { email: ANA, responseStatus: 'accepted', organizer: true },
          { email: MGR, responseStatus: 'accepted' },
        ],
      })
    fake.upsertEvent(ANA, {
      ...instance('2026-03-16'),
      id: 'w1',
      recurringEventId: undefined,
      originalStartTime: undefined,
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'],
    })
    fake.upsertEvent(ANA, instance('2026-03-16'))
    fake.upsertEvent(ANA, instance('2026-03-23'))
    await sync()
    fake.cancelEvent(ANA, 'w1_20260323T100000Z')
    const before = bus.published.length
    const [r] = await sync()
    expect(r).toMatchObject({ mode: 'incremental', events: 1 })

    expect(bus.published.length).toBeGreaterThan(before)
    const envelopes = bus.published
      .filter((p) => p.topic === rawTopic('calendar'))
      .map((p) => JSON.parse(p.message.value.toString()) as RawEnvelope)
      .filter((e) => e.entity === 'event')
    const sent = envelopes.at(-1) as RawEnvelope
    // what the fake sent (and Google guarantees), plus the series' iCalUID and organiser
    expect(sent.payload).toMatchObject({
      id: 'w1_20260323T100000Z',
      status: 'cancelled',
      recurringEventId: 'w1',
      originalStartTime: { dateTime: '2026-03-23T10:00:00Z' },
      iCalUID: 'w1-series@google.com',
      organizer: { email: ANA },
    })
    expect(sent.payload).not.toHaveProperty('start')
    // the series' own event was read once, for its iCalUID
    expect(fake.requests.filter((x) => x.path.endsWith('/events/w1'))).toHaveLength(1)

    const config = configSchema.parse({ calendar: { internalDomains: ['acme.com'] } })
    const mapped = envelopes.flatMap((e) => mapCalendar(e, { config })) as Extract<
      CanonicalEventInput,
      { type: 'meeting.held' }
    >[]
    const weekly = mapped.filter((m) => m.meetingId.startsWith('w1-series@google.com'))
    expect(weekly.map((m) => [m.meetingId, m.cancelled])).toEqual([
      ['w1-series@google.com|2026-03-16T10:00:00.000Z', false],
      ['w1-series@google.com|2026-03-23T10:00:00.000Z', false],
      // the same key the occurrence had, with a later version: it replaces it
      ['w1-series@google.com|2026-03-23T10:00:00.000Z', true],
    ])
    const [held, cancelled] = weekly.slice(1) as [(typeof weekly)[0], (typeof weekly)[0]]
    expect(cancelled.version).toBeGreaterThan(held.version)
  })

  it('a bare cancelled instance whose series cannot be read goes on as it is, to be dead-lettered with the reason', async () => {
    fake.upsertEvent(
      ANA,
      ev('gone_20260317T100000Z', '2026-03-17', 'Orphan', {
        recurringEventId: 'gone',
        originalStartTime: { dateTime: '2026-03-17T10:00:00Z' },
      }),
    )
    await sync()
    fake.cancelEvent(ANA, 'gone_20260317T100000Z')
    await sync()
    // the event of the second sync, before its coverage record
    const raw = bus.published.filter((p) => p.topic === rawTopic('calendar')).at(-2)
    expect(raw).toBeDefined()
    const last = JSON.parse(String(raw?.message.value)) as RawEnvelope
    expect(last.payload).toMatchObject({ id: 'gone_20260317T100000Z', status: 'cancelled' })
    expect(last.payload).not.toHaveProperty('iCalUID')
    const config = configSchema.parse({ calendar: { internalDomains: ['acme.com'] } })
    expect(() => mapCalendar(last, { config })).toThrow(
      /gone_20260317T100000Z \(cancelled\) has no iCalUID: the occurrence cannot be identified \(an instance of series gone, whose own event could not be read/,
    )
  })

  it('a 410 on an expired sync token restarts that calendar with a full sync', async () => {
    await sync([ANA, MGR])
    fake.expireSyncTokens(ANA)
    const before = fake.requests.length
    const results = await sync([ANA, MGR])
    expect(results.find((r) => r.person === ANA)).toEqual({
      person: ANA,
      mode: 'full',
      restartedFull: true,
      events: 5,
      pages: 3,
    })
    expect(results.find((r) => r.person === MGR)).toMatchObject({ mode: 'incremental', restartedFull: false })
    const anaReqs = fake.requests.slice(before).filter((x) => x.subject === ANA && x.path.endsWith('/events'))
    expect(
      anaReqs.map((x) => [x.status, x.query.syncToken !== undefined, x.query.timeMin !== undefined]),
    ).toEqual([
      [410, true, false],
      [200, false, true],
      [200, false, true],
      [200, false, true],
    ])
    expect(cursors.log.filter((l) => l.endsWith(ANA))).toEqual([`set ${ANA}`, `clear ${ANA}`, `set ${ANA}`])
    // and the new token works incrementally again
    const [again] = await sync()
    expect(again).toMatchObject({ mode: 'incremental', events: 0 })
  })

  it('backs off exponentially on 403 rateLimitExceeded / userRateLimitExceeded and 429', async () => {
    fake.failNext(1, 'rateLimitExceeded')
    fake.failNext(1, 'userRateLimitExceeded')
    fake.failNext(1, '429')
    const [r] = await sync([ANA], 40)
    expect(r).toMatchObject({ mode: 'full', events: 5 })
    expect(retries.map((n) => [n.status, n.reason, n.attempt])).toEqual([
      [403, 'rateLimitExceeded', 1],
      [403, 'userRateLimitExceeded', 2],
      [429, 'rateLimitExceeded', 3],
    ])
    // measured waits between the attempts: at least 40, 80 and 160 ms
    const at = listRequests().map((x) => x.at)
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(40)
    expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(80)
    expect((at[3] as number) - (at[2] as number)).toBeGreaterThanOrEqual(160)
  })

  it('honours Retry-After and gives up with a clear error after maxRetries', async () => {
    fake.failNext(10, '429', 0)
    const [r] = await sync([ANA], 1)
    expect(r?.error).toMatch(
      /answered 429 rateLimitExceeded for the calendar of ana@acme.com.*still failing after 4 retries/,
    )
    expect(retries.map((n) => n.delayMs)).toEqual([0, 0, 0, 0])
    expect(await cursors.get(GOOGLE_CONNECTOR, ANA)).toBeNull()
  })

  it('names the person and the missing delegation when impersonation is refused; other calendars go on', async () => {
    await fake.close()
    fake = await startFakeGoogleCalendar({
      calendars: { [ANA]: [], 'blocked@acme.com': [] },
      delegationRefused: ['blocked@acme.com'],
    })
    const results = await sync(['blocked@acme.com', ANA])
    expect(results.find((r) => r.person === 'blocked@acme.com')?.error).toMatch(
      /Google refused a token for blocked@acme.com .*unauthorized_client.*domain-wide delegation/,
    )
    expect(results.find((r) => r.person === ANA)).toMatchObject({ mode: 'full', events: 0, pages: 1 })
  })
})

describe('the fake follows the documented events.list contract', () => {
  it('nextSyncToken only on the last page; syncToken with timeMin is a 400', async () => {
    const key = serviceAccountKeySchema.parse(JSON.parse(fake.serviceAccountKey))
    const token = await new ServiceAccountTokens(key).tokenFor(ANA)
    const get = async (q: Record<string, string>) => {
      const res = await fetch(
        `${fake.rootUrl}calendar/v3/calendars/primary/events?${new URLSearchParams(q)}`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      )
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    const pages: Record<string, unknown>[] = []
    let pageToken: string | undefined
    do {
      const { body } = await get({
        singleEvents: 'true',
        maxResults: '2',
        ...(pageToken ? { pageToken } : {}),
      })
      pages.push(body)
      pageToken = body.nextPageToken as string | undefined
    } while (pageToken)
    expect(pages.map((p) => [p.nextPageToken !== undefined, p.nextSyncToken !== undefined])).toEqual([
      [true, false],
      [true, false],
      [false, true],
    ])
    const bad = await get({ syncToken: pages[2]?.nextSyncToken as string, timeMin: '2026-01-01T00:00:00Z' })
    expect(bad.status).toBe(400)
    const partial = await get({ fields: 'items(id,start)' })
    expect(Object.keys(partial.body)).toEqual(['items'])
    expect(Object.keys((partial.body.items as Record<string, unknown>[])[0] ?? {})).toEqual(['id', 'start'])
  })
})

describe('re-reading with the current rules (reclassification)', () => {
  const CLASSIFIED_AT = '2026-03-25T06:00:00.000Z'
  const reread = (storeCursors: boolean) =>
    syncGoogleCalendars({
      bus,
      cursors,
      durable: ackIsDurable,
      api: api(),
      calendar,
      google,
      org: new Map(),
      people: [ANA],
      now: () => NOW,
      reread: {
        window: { from: new Date('2026-03-17T00:00:00Z'), to: new Date('2026-03-19T00:00:00Z') },
        classifiedAt: CLASSIFIED_AT,
        storeCursors,
      },
    })
  const records = () =>
    bus.published.map(
      (p) => JSON.parse(p.message.value.toString()) as RawEnvelope & { payload: Record<string, unknown> },
    )

  it('beside the sync: the window listed in full despite the cursor, each event stamped, the cursor kept', async () => {
    await sync()
    const token = (await cursors.get(GOOGLE_CONNECTOR, ANA))?.cursor
    bus.published.length = 0
    const before = fake.requests.length
    const [r] = await reread(false)
    expect(r).toMatchObject({ mode: 'full', events: 2 })
    const list = fake.requests.slice(before).filter((x) => x.path.endsWith('/events'))
    expect(list[0]?.query).toMatchObject({
      timeMin: '2026-03-17T00:00:00.000Z',
      timeMax: '2026-03-19T00:00:00.000Z',
    })
    expect(list[0]?.query.syncToken).toBeUndefined()
    const events = records().filter((e) => e.entity === 'event')
    expect(events.map((e) => e.payload.classification)).toEqual([
      { class: 'ritual', ritual: 'weekly product-engineering director sync', classifiedAt: CLASSIFIED_AT },
      { class: 'decision_review', ritual: '', classifiedAt: CLASSIFIED_AT },
    ])
    // covered: exactly the window (incremental syncs continue the stored token, not this read)
    expect(records().at(-1)!.payload).toEqual({
      scopeKind: 'calendar',
      scope: ANA,
      mode: 'range',
      coveredFrom: '2026-03-17T00:00:00.000Z',
      coveredTo: '2026-03-19T00:00:00.000Z',
    })
    expect((await cursors.get(GOOGLE_CONNECTOR, ANA))?.cursor).toBe(token)
  })

  it('as the sync after a rules change: its token becomes the cursor, under the current rules’ hash', async () => {
    await cursors.set(GOOGLE_CONNECTOR, ANA, 'old-token', 'old-rules')
    await reread(true)
    const c = await cursors.get(GOOGLE_CONNECTOR, ANA)
    expect(c?.cursor).not.toBe('old-token')
    expect(c?.configHash).toBe(classificationHash(calendar))
    expect(records().at(-1)!.payload).toMatchObject({ mode: 'full', coveredFrom: '2026-03-17T00:00:00.000Z' })
  })

  it('a stamped occurrence is a newer version of the same meeting; a later change at the source still wins', () => {
    const config = configSchema.parse({ calendar: { internalDomains: ['acme.com'] } })
    const event = { ...ev('e9', '2026-03-17', 'x'), summary: undefined, updated: '2026-03-01T00:00:00.000Z' }
    const map = (e: typeof event, classifiedAt?: string) =>
      mapCalendar(
        calendarEnvelope(
          calendarEventSchema.parse(e),
          { class: 'ritual', ritual: 'r', ...(classifiedAt ? { classifiedAt } : {}) },
          { calendar: ANA, via: 'google' },
          '2026-03-25T00:00:00.000Z',
        ),
        { config },
      )[0] as Extract<CanonicalEventInput, { type: 'meeting.held' }>
    const before = map(event)
    const again = map(event, CLASSIFIED_AT)
    expect(again.meetingId).toBe(before.meetingId)
    expect(before.version).toBe(Date.parse('2026-03-01T00:00:00.000Z'))
    expect(again.version).toBe(Date.parse(CLASSIFIED_AT))
    expect(again.id).not.toBe(before.id)
    const moved = map({ ...event, updated: '2026-03-26T00:00:00.000Z' })
    expect(moved.version).toBeGreaterThan(again.version)
  })

  it('the rules fingerprint covers rituals, rules, defaultRules and internalDomains', () => {
    const base = calendarConfigSchema.parse({})
    const hashes = [
      base,
      calendarConfigSchema.parse({ rituals: [{ name: 'x', cadence: 'weekly' }] }),
      calendarConfigSchema.parse({ rules: [{ class: 'team', titleKeywords: ['sync'] }] }),
      calendarConfigSchema.parse({ defaultRules: false }),
      calendarConfigSchema.parse({ internalDomains: ['acme.com'] }),
    ].map(classificationHash)
    expect(new Set(hashes).size).toBe(5)
    // what does not change a class leaves it alone
    expect(classificationHash(calendarConfigSchema.parse({ minCoverage: 0.5 }))).toBe(hashes[0])
  })
})
