import { CursorStore, queryRows } from '@orgpulse/clickhouse'
import { configSchema, parseEnv, rawTopic } from '@orgpulse/contracts'
import { type FakeGraphEvent, type FakeMsGraph, startFakeMsGraph } from '@orgpulse/fakes/msgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  diesOnFirstCursor,
  type EmbeddedPipeline,
  factsImpliedBy,
  startEmbeddedPipeline,
  storedFacts,
} from '../../../test/setup/embedded-pipeline.ts'
import { ingestMicrosoft365Calendar, MSGRAPH_CONNECTOR } from '../src/index.ts'
import { MemoryCursors } from './helpers.ts'

/**
 * Embedded mode (the bus lives in memory): the Microsoft 365 sync killed between publishing a
 * round and storing its delta link, in both orders a crash can cut it:
 * - before the link is stored: the rerun reads the round again (a full listing, or the same
 *   changes from the old link) and ClickHouse holds each occurrence once, with the newest
 *   version: nothing counted twice, a cancellation not undone;
 * - right after the link is stored: the link may only land once the pipeline wrote everything
 *   it covers, or the rerun (asking only for changes since it) would never see them again.
 */
const LENA = 'lena@contoso.com'
const ANA = 'ana@contoso.com'
const NOW = new Date('2026-10-20T00:00:00Z')

const ev = (id: string, day: string): FakeGraphEvent => ({
  id,
  iCalUId: `uid-${id}`,
  type: 'singleInstance',
  subject: 'Planning',
  start: { dateTime: `${day}T09:00:00.0000000`, timeZone: 'UTC' },
  end: { dateTime: `${day}T10:00:00.0000000`, timeZone: 'UTC' },
  organizer: { emailAddress: { address: LENA } },
  attendees: [
    { type: 'required', status: { response: 'none' }, emailAddress: { address: LENA } },
    { type: 'required', status: { response: 'accepted' }, emailAddress: { address: ANA } },
  ],
})

const config = configSchema.parse({
  calendar: {
    internalDomains: ['contoso.com'],
    microsoft365: { graphUrl: 'http://placeholder.invalid/', people: [LENA], pageSize: 2 },
  },
})

let pipeline: EmbeddedPipeline
let fake: FakeMsGraph

beforeAll(async () => {
  pipeline = await startEmbeddedPipeline(config, 'calendar-msgraph-crash')
  // five meetings on Lena's calendar only, over three pages
  fake = await startFakeMsGraph({
    mailboxes: { [LENA]: ['21', '22', '23', '26', '27'].map((d, i) => ev(`m${i}`, `2026-10-${d}`)) },
  })
})

afterAll(async () => {
  await fake?.close()
  await pipeline?.stop()
})

const sync = (cursors: { get: CursorStore['get']; set: CursorStore['set']; clear: CursorStore['clear'] }) =>
  ingestMicrosoft365Calendar({
    bus: pipeline.bus,
    durable: () => pipeline.durable(),
    client: pipeline.client,
    config: {
      ...config,
      calendar: {
        ...config.calendar!,
        microsoft365: {
          ...config.calendar!.microsoft365!,
          graphUrl: fake.graphUrl,
          authorityUrl: fake.authorityUrl,
        },
      },
    },
    env: parseEnv({
      MSGRAPH_TENANT_ID: fake.tenantId,
      MSGRAPH_CLIENT_ID: fake.clientId,
      MSGRAPH_CLIENT_SECRET: fake.clientSecret,
    }),
    cursors,
    now: () => NOW,
  })

class DiesBeforeStoring extends MemoryCursors {
  constructor(private readonly real: CursorStore) {
    super()
  }
  override get(connector: string, scope: string) {
    return this.real.get(connector, scope)
  }
  override async set(): Promise<void> {
    throw new Error('killed before the delta link was stored')
  }
}

const meetings = () =>
  queryRows<{ meeting_id: string; cancelled: number; n: number }>(
    pipeline.client,
    `SELECT meeting_id, toUInt8(cancelled) AS cancelled, toUInt32(count()) AS n
     FROM meetings FINAL GROUP BY meeting_id, cancelled ORDER BY meeting_id`,
  )

describe('Microsoft 365 sync killed between publishing and storing the delta link', () => {
  it('killed before: the rerun reads the round again and every occurrence is stored once', async () => {
    const real = new CursorStore(pipeline.client)
    const crashed = await sync(new DiesBeforeStoring(real))
    expect(crashed.map((r) => r.error)).toEqual(['killed before the delta link was stored'])
    // the three pages went out before the store failed
    expect(pipeline.bus.messages(rawTopic('calendar')).length).toBe(6)
    await pipeline.flush()
    expect(await real.get(MSGRAPH_CONNECTOR, LENA)).toBeNull()

    const rerun = await sync(real)
    expect(rerun.map((r) => [r.error ?? 'ok', r.mode, r.events])).toEqual([['ok', 'full', 5]])
    await pipeline.flush()
    expect(await meetings()).toEqual(
      ['m0', 'm1', 'm2', 'm3', 'm4'].map((m) => ({ meeting_id: `uid-${m}`, cancelled: 0, n: 1 })),
    )

    // then Lena cancels m1 (deleted from her calendar: @removed, id only) and the incremental
    // round dies before its link is stored: the rerun follows the old link and gets it again
    fake.removeEvent(LENA, 'm1')
    const again = await sync(new DiesBeforeStoring(real))
    expect(again.map((r) => r.error)).toEqual(['killed before the delta link was stored'])
    const rerun2 = await sync(real)
    expect(rerun2.map((r) => [r.error ?? 'ok', r.mode, r.removed])).toEqual([['ok', 'incremental', 1]])
    await pipeline.flush()
    const rows = await meetings()
    expect(rows.map((r) => [r.meeting_id, r.cancelled, r.n])).toEqual([
      ['uid-m0', 0, 1],
      ['uid-m1', 1, 1],
      ['uid-m2', 0, 1],
      ['uid-m3', 0, 1],
      ['uid-m4', 0, 1],
    ])
    const [hours] = await queryRows<{ h: number }>(
      pipeline.client,
      "SELECT sum(dateDiff('second', start, end)) / 3600 AS h FROM meetings FINAL WHERE cancelled = 0",
    )
    // four one-hour meetings, none twice
    expect(hours?.h).toBe(4)
  })

  it('killed right after: the stored link covers only what the pipeline wrote, so nothing is lost', async () => {
    fake.upsertEvent(LENA, ev('m5', '2026-10-28'))
    fake.upsertEvent(LENA, ev('m6', '2026-10-29'))
    const real = new CursorStore(pipeline.client)
    const crashed = await sync(diesOnFirstCursor(real, pipeline))
    expect(crashed.some((r) => r.error?.includes('killed right after storing a cursor'))).toBe(true)
    const firstRun = pipeline.bus.messages(rawTopic('calendar'))
    expect(firstRun.length).toBeGreaterThan(0)

    await pipeline.restart()
    const rerun = await sync(real)
    // the link landed: the rerun asks only for changes since it, and there are none
    expect(rerun.map((r) => [r.error ?? 'ok', r.mode, r.events])).toEqual([['ok', 'incremental', 0]])
    await pipeline.flush()
    const expected = factsImpliedBy(firstRun, config)
    const stored = await storedFacts(pipeline.client, ['meetings'])
    for (const row of expected.meetings ?? []) expect(stored.meetings).toContain(row)
    expect((await meetings()).map((r) => r.meeting_id)).toEqual(
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((m) => `uid-${m}`),
    )
  })
})
