import {
  type CanonicalEventInput,
  calendarConfigSchema,
  microsoft365CalendarConfigSchema,
  type RawEnvelope,
  rawTopic,
} from '@orgpulse/contracts'
import { type FakeGraphEvent, type FakeMsGraph, startFakeMsGraph } from '@orgpulse/fakes/msgraph'
import { ackIsDurable } from '@orgpulse/kafka'
import { ClientCredentialsTokens, type GraphApp } from '@orgpulse/msgraph'
import { afterEach, describe, expect, it } from 'vitest'
import { mapCalendar } from '../src/mapper.ts'
import { GraphCalendarApi } from '../src/msgraph/api.ts'
import { type MailboxSyncResult, MSGRAPH_CONNECTOR, syncMicrosoft365Calendars } from '../src/msgraph/sync.ts'
import type { RetryNotice } from '../src/source/authorized-http.ts'
import { MemoryCursors, RecordingBus } from './helpers.ts'

/**
 * The Microsoft 365 sync against the fake Graph: paging by `@odata.nextLink`, the delta link as
 * the cursor (stored after the round's last page), incremental rounds with `@removed`, a lost
 * delta token (410), the renewal of a round's fixed window, throttling with Retry-After, the
 * per-mailbox concurrency limit, and both app credentials.
 */
const ANA = 'ana@contoso.com'
const LENA = 'lena@contoso.com'
const SECRET = 'Project Falcon acquisition'
const DAY = 86_400_000
const NOW = new Date('2026-10-20T00:00:00Z')

const ev = (id: string, day: string, extra: Partial<FakeGraphEvent> = {}): FakeGraphEvent => ({
  id,
  iCalUId: `uid-${id}`,
  type: 'singleInstance',
  subject: `${SECRET} sync`,
  body: { contentType: 'text', content: SECRET },
  start: { dateTime: `${day}T10:00:00.0000000`, timeZone: 'W. Europe Standard Time' },
  end: { dateTime: `${day}T11:00:00.0000000`, timeZone: 'W. Europe Standard Time' },
  organizer: { emailAddress: { address: LENA } },
  attendees: [
    { type: 'required', status: { response: 'none' }, emailAddress: { address: LENA } },
    { type: 'required', status: { response: 'accepted' }, emailAddress: { address: ANA } },
  ],
  onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/secret' },
  isOnlineMeeting: true,
  onlineMeetingProvider: 'teamsForBusiness',
  ...extra,
})

const calendar = calendarConfigSchema.parse({ internalDomains: ['contoso.com'] })
const m365 = microsoft365CalendarConfigSchema.parse({
  initialDaysBack: 30,
  initialDaysAhead: 28,
  pageSize: 2,
})

let fake: FakeMsGraph | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const secretApp = (f: FakeMsGraph): GraphApp => ({
  tenantId: f.tenantId,
  clientId: f.clientId,
  credential: { kind: 'secret', secret: f.clientSecret },
})

function setup(
  f: FakeMsGraph,
  o: { mailboxConcurrency?: number; sleeps?: number[]; maxRetries?: number } = {},
) {
  const retries: RetryNotice[] = []
  const api = new GraphCalendarApi({
    graphUrl: f.graphUrl,
    tokens: new ClientCredentialsTokens(secretApp(f), f.authorityUrl),
    maxRetries: o.maxRetries ?? 3,
    pageSize: m365.pageSize,
    mailboxConcurrency: o.mailboxConcurrency ?? 4,
    baseDelayMs: 1,
    sleep: async (ms) => {
      o.sleeps?.push(ms)
    },
    onRetry: (n) => retries.push(n),
  })
  const bus = new RecordingBus()
  const cursors = new MemoryCursors()
  const sync = (people: string[], now = NOW) =>
    syncMicrosoft365Calendars({
      bus,
      cursors,
      durable: ackIsDurable,
      api,
      calendar,
      m365,
      org: new Map(),
      people,
      now: () => now,
    })
  return { api, bus, cursors, sync, retries }
}

const calendarEvents = (bus: RecordingBus): RawEnvelope[] =>
  bus.published
    .filter((p) => p.topic === rawTopic('calendar'))
    .map((p) => JSON.parse(p.message.value.toString('utf8')) as RawEnvelope)
    .filter((e) => e.entity === 'event')

const held = (envelopes: RawEnvelope[]) =>
  envelopes
    .flatMap((e) => mapCalendar(e, { config: { calendar } as never }))
    .filter((e): e is Extract<CanonicalEventInput, { type: 'meeting.held' }> => e.type === 'meeting.held')

const ok = (r: MailboxSyncResult[]) => r.map((x) => [x.person, x.error ?? 'ok', x.mode, x.pages, x.events])

describe('Microsoft 365 calendars through calendarView delta', () => {
  it('pages with @odata.nextLink, stores the delta link after the last page, then reads only what changed', async () => {
    fake = await startFakeMsGraph({
      mailboxes: {
        [LENA]: ['2026-10-19', '2026-10-20', '2026-10-21', '2026-10-22', '2026-10-23'].map((d, i) =>
          ev(`e${i}`, d),
        ),
      },
    })
    const { bus, cursors, sync } = setup(fake)
    expect(ok(await sync([LENA]))).toEqual([[LENA, 'ok', 'full', 3, 5]])
    const first = fake.requests.filter((r) => r.path.endsWith('/calendarView/delta'))
    // the window once, on the first request: the tokens encode it from then on
    expect(first.map((r) => Object.keys(r.query).sort().join(','))).toEqual([
      'endDateTime,startDateTime',
      '$skiptoken',
      '$skiptoken',
    ])
    expect(first[0]?.query).toEqual({
      startDateTime: new Date(NOW.getTime() - 30 * DAY).toISOString(),
      endDateTime: new Date(NOW.getTime() + 28 * DAY).toISOString(),
    })
    expect(first.every((r) => r.prefer === 'outlook.timezone="UTC", odata.maxpagesize=2')).toBe(true)
    // one cursor write, after every page was published
    expect(cursors.log).toEqual([`set ${LENA}`])
    const state = JSON.parse(cursors.values.get(`${MSGRAPH_CONNECTOR}/${LENA}`)!.cursor)
    expect(state.deltaLink).toContain('$deltatoken=')
    expect(Object.keys(state.ids).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4'])
    // 10:00 Berlin is 08:00Z on 19 October (CEST)
    expect(held(calendarEvents(bus)).find((e) => e.meetingId === 'uid-e0')?.start).toBe(
      '2026-10-19T08:00:00.000Z',
    )
    expect(bus.text()).not.toContain(SECRET)
    expect(bus.text()).not.toContain('teams.microsoft.com')

    // Lena moves e1 to Monday 26 October (after the change to CET) and deletes e3
    fake.upsertEvent(LENA, ev('e1', '2026-10-26'))
    fake.removeEvent(LENA, 'e3')
    const before = calendarEvents(bus).length
    expect(ok(await sync([LENA]))).toEqual([[LENA, 'ok', 'incremental', 1, 2]])
    const delta = fake.requests.filter((r) => r.path.endsWith('/calendarView/delta')).slice(3)
    expect(delta.map((r) => Object.keys(r.query).join(','))).toEqual(['$deltatoken'])
    const changes = held(calendarEvents(bus).slice(before))
    expect(changes.map((e) => [e.meetingId, e.start, e.cancelled])).toEqual([
      ['uid-e1', '2026-10-26T09:00:00.000Z', false],
      // the @removed stub carried the id only: the occurrence comes from what was published
      ['uid-e3', '2026-10-22T08:00:00.000Z', true],
    ])
    const after = JSON.parse(cursors.values.get(`${MSGRAPH_CONNECTOR}/${LENA}`)!.cursor)
    // e3 is remembered as removed, so a later listing of it (moved back) must be newer than the cancellation
    expect(
      Object.entries(after.ids).map(([id, p]) => [id, Boolean((p as { removedAt?: string }).removedAt)]),
    ).toEqual([
      ['e0', false],
      ['e1', false],
      ['e2', false],
      ['e3', true],
      ['e4', false],
    ])
  })

  it('a lost delta token (410) starts a full round, and what vanished meanwhile is cancelled', async () => {
    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [ev('a', '2026-10-21'), ev('b', '2026-10-22')] } })
    const { bus, cursors, sync } = setup(fake)
    await sync([LENA])
    fake.removeEvent(LENA, 'b')
    fake.expireDeltaTokens()
    const before = calendarEvents(bus).length
    const [r] = await sync([LENA])
    expect([r?.error ?? 'ok', r?.mode, r?.restartedFull, r?.removed]).toEqual(['ok', 'full', true, 1])
    expect(cursors.log).toEqual([`set ${LENA}`, `clear ${LENA}`, `set ${LENA}`])
    const changes = held(calendarEvents(bus).slice(before))
    expect(changes.map((e) => [e.meetingId, e.cancelled])).toEqual([
      ['uid-a', false],
      ['uid-b', true],
    ])
  })

  it('renews the fixed window with a full round once less than half of initialDaysAhead is left', async () => {
    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [ev('a', '2026-10-21'), ev('far', '2026-11-25')] } })
    const { bus, sync } = setup(fake)
    // 25 November lies beyond the first window (20 October + 28 days)
    await sync([LENA])
    expect(held(calendarEvents(bus)).map((e) => e.meetingId)).toEqual(['uid-a'])
    const [r] = await sync([LENA], new Date(NOW.getTime() + 15 * DAY))
    expect([r?.mode, r?.rolled]).toEqual(['full', true])
    expect(held(calendarEvents(bus)).map((e) => e.meetingId)).toContain('uid-far')
  })

  it('a re-read with new rules lists the window again, stamped, and leaves the delta link alone', async () => {
    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [ev('a', '2026-10-21')] } })
    const { api, bus, cursors, sync } = setup(fake)
    await sync([LENA])
    const stored = cursors.values.get(`${MSGRAPH_CONNECTOR}/${LENA}`)
    const before = bus.published.length
    const [r] = await syncMicrosoft365Calendars({
      bus,
      cursors,
      durable: ackIsDurable,
      api,
      calendar,
      m365,
      org: new Map(),
      people: [LENA],
      now: () => NOW,
      reread: {
        window: { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') },
        classifiedAt: '2026-10-20T00:00:00.000Z',
        storeCursors: false,
      },
    })
    expect([r?.error ?? 'ok', r?.events]).toEqual(['ok', 1])
    const out = bus.published
      .slice(before)
      .map((p) => JSON.parse(p.message.value.toString('utf8')) as RawEnvelope)
    expect(out.map((e) => e.entity)).toEqual(['event', 'synced'])
    const [event, synced] = out as [RawEnvelope, RawEnvelope]
    expect((event.payload as { classification: { classifiedAt?: string } }).classification.classifiedAt).toBe(
      '2026-10-20T00:00:00.000Z',
    )
    // beside the sync: it covers its window only, and the stored link is the one from before
    expect((synced.payload as { mode: string }).mode).toBe('range')
    expect(cursors.values.get(`${MSGRAPH_CONNECTOR}/${LENA}`)).toEqual(stored)
  })

  it('waits out 429/503/504 as Retry-After says, and a mailbox that stays throttled fails alone', async () => {
    fake = await startFakeMsGraph({
      mailboxes: { [LENA]: [ev('a', '2026-10-21')], [ANA]: [ev('a', '2026-10-21')] },
    })
    const sleeps: number[] = []
    const { sync, retries } = setup(fake, { sleeps, maxRetries: 3 })
    fake.failNext(1, 429, 7)
    fake.failNext(1, 503, 2)
    fake.failNext(1, 504)
    const first = await sync([ANA])
    expect(ok(first)).toEqual([[ANA, 'ok', 'full', 1, 1]])
    expect(retries.map((n) => [n.subject, n.status, n.reason])).toEqual([
      [ANA, 429, 'ApplicationThrottled'],
      [ANA, 503, 'ServiceUnavailable'],
      [ANA, 504, 'UnknownError'],
    ])
    // Retry-After in seconds; without one, the back-off step (1 ms doubling, jitter up to 1.25x)
    expect(sleeps.slice(0, 2)).toEqual([7000, 2000])
    expect(sleeps[2]).toBeLessThanOrEqual(5)

    fake.failNext(4, 429, 1, LENA)
    const both = await sync([LENA, ANA])
    const lena = both.find((r) => r.person === LENA)
    expect(lena?.error).toMatch(
      /429 ApplicationThrottled .*MailboxConcurrency.*still failing after 3 retries/,
    )
    expect(both.find((r) => r.person === ANA)?.error).toBeUndefined()
  })

  it('a user without an Exchange Online mailbox, or an app without Calendars.Read, fails with what to fix', async () => {
    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [ev('a', '2026-10-21')] }, noMailbox: [ANA] })
    const { sync } = setup(fake)
    const [ana, lena] = await sync([ANA, LENA])
    expect(ana?.error).toMatch(/404 MailboxNotEnabledForRESTAPI .* no Exchange Online mailbox/)
    expect(lena?.error).toBeUndefined()
    await fake.close()

    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [] }, app: { roles: ['User.Read.All'] } })
    const [denied] = await setup(fake).sync([LENA])
    expect(denied?.error).toMatch(
      /403 ErrorAccessDenied .* application permission Calendars.Read with admin consent/,
    )
  })

  it('never has more than mailboxConcurrency requests in flight on one mailbox', async () => {
    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [ev('a', '2026-10-21')] }, latencyMs: 40 })
    const window = { kind: 'window' as const, from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }
    const four = setup(fake, { mailboxConcurrency: 4 })
    await Promise.all(Array.from({ length: 10 }, () => four.api.delta(LENA, window)))
    expect(fake.maxInFlight(LENA)).toBe(4)
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([])
    await fake.close()

    fake = await startFakeMsGraph({ mailboxes: { [LENA]: [ev('a', '2026-10-21')] }, latencyMs: 40 })
    const two = setup(fake, { mailboxConcurrency: 2 })
    await Promise.all(Array.from({ length: 6 }, () => two.api.delta(LENA, window)))
    expect(fake.maxInFlight(LENA)).toBe(2)
  })

  it('gets app-only tokens with a certificate (signed client assertion) and names a bad secret', async () => {
    fake = await startFakeMsGraph()
    const { X509Certificate } = await import('node:crypto')
    const pem = fake.certificatePem
    const cert = new ClientCredentialsTokens(
      {
        tenantId: fake.tenantId,
        clientId: fake.clientId,
        credential: {
          kind: 'certificate',
          privateKeyPem: /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0],
          certificate: new X509Certificate(
            /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0],
          ),
        },
      },
      fake.authorityUrl,
    )
    expect(await cert.token()).toMatch(/^eyJ/)
    const wrong = new ClientCredentialsTokens(
      { tenantId: fake.tenantId, clientId: fake.clientId, credential: { kind: 'secret', secret: 'nope' } },
      fake.authorityUrl,
    )
    await expect(wrong.token()).rejects.toThrow(
      /invalid_client: AADSTS7000215: Invalid client secret provided.* – MSGRAPH_CLIENT_SECRET must be the secret's Value/,
    )
  })
})
