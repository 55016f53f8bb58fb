import { CursorStore } from '@orgpulse/clickhouse'
import { parseEnv, rawTopic } from '@orgpulse/contracts'
import {
  type FakeGoogleCalendar,
  type FakeGoogleCalendarSeed,
  startFakeGoogleCalendar,
} from '@orgpulse/fakes/google-calendar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  diesOnFirstCursor,
  type EmbeddedPipeline,
  factsImpliedBy,
  startEmbeddedPipeline,
  storedFacts,
} from '../../../test/setup/embedded-pipeline.ts'
import { GOOGLE_CONNECTOR, ingestGoogleCalendar } from '../src/index.ts'
import { ANA, config } from './fixtures.ts'

/**
 * Embedded mode: the bus "ack" is in memory. A calendar sync whose process dies right after it
 * stored a calendar's sync token must not have stored it before the pipeline wrote the events
 * the token covers: the next run asks Google only for changes since that token.
 */
let pipeline: EmbeddedPipeline
let fake: FakeGoogleCalendar

// meetings on this calendar only (a meeting another synced calendar also holds would come back
// through that one), over three pages of two
const SEED: FakeGoogleCalendarSeed = {
  calendars: {
    [ANA]: Array.from({ length: 5 }, (_, i) => ({
      id: `solo${i}`,
      iCalUID: `solo${i}@google.com`,
      status: 'confirmed',
      start: { dateTime: `2026-03-2${i}T10:00:00Z` },
      end: { dateTime: `2026-03-2${i}T11:00:00Z` },
      summary: 'Planning',
      organizer: { email: ANA },
      attendees: [
        { email: ANA, responseStatus: 'accepted', self: true },
        { email: 'bo@acme.com', responseStatus: 'accepted' },
      ],
    })),
  },
}

beforeAll(async () => {
  pipeline = await startEmbeddedPipeline(config, 'calendar-crash-embedded')
  fake = await startFakeGoogleCalendar(SEED)
})

afterAll(async () => {
  await fake?.close()
  await pipeline?.stop()
})

const sync = (cursors: CursorStore) =>
  ingestGoogleCalendar({
    bus: pipeline.bus,
    durable: () => pipeline.durable(),
    client: pipeline.client,
    config: {
      ...config,
      calendar: { ...config.calendar!, google: { ...config.calendar!.google!, rootUrl: fake.rootUrl } },
    },
    env: parseEnv({ TEST_GOOGLE_KEY: fake.serviceAccountKey }),
    people: [ANA],
    cursors,
    now: () => new Date('2026-04-01T00:00:00Z'),
  })

describe('calendar connector killed between storing a sync token and the sink writing', () => {
  it('the rerun starts from tokens whose events are all in ClickHouse: nothing is lost', async () => {
    const real = new CursorStore(pipeline.client)
    const crashed = await sync(diesOnFirstCursor(real, pipeline))
    expect(crashed.some((r) => r.error?.includes('killed right after storing a cursor'))).toBe(true)
    const firstRun = pipeline.bus.messages(rawTopic('calendar'))
    expect(firstRun.length).toBeGreaterThan(0)
    expect(crashed.map((r) => r.pages)).toEqual([0])
    expect(await real.get(GOOGLE_CONNECTOR, ANA)).not.toBeNull()

    await pipeline.restart()
    const rerun = await sync(real)
    // the token landed: the rerun asks only for changes since it
    expect(rerun.map((r) => [r.error ?? 'ok', r.mode])).toEqual([['ok', 'incremental']])
    await pipeline.flush()

    const expected = factsImpliedBy([...firstRun, ...pipeline.bus.messages(rawTopic('calendar'))], config)
    expect(expected.meetings).toHaveLength(5)
    expect(await storedFacts(pipeline.client, ['meetings'])).toEqual({ meetings: expected.meetings })
  })
})
