import { queryRows } from '@orgpulse/clickhouse'
import { parseEnv, rawTopic } from '@orgpulse/contracts'
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from '@orgpulse/fakes/google-calendar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../../../test/setup/embedded-pipeline.ts'
import { transformBytes } from '../../../test/setup/pipeline.ts'
import { ingestGoogleCalendar } from '../src/index.ts'
import { config, GOOGLE_SEED } from './fixtures.ts'
import { MemoryCursors } from './helpers.ts'

/**
 * The Google Calendar sync killed after the bus acknowledged a calendar's pages but before the
 * sync token was stored: the next run reads those calendars in full again, and the deterministic
 * event ids (iCalUID + original start + version) collapse the copies in ClickHouse.
 */
let pipeline: EmbeddedPipeline
let fake: FakeGoogleCalendar

beforeAll(async () => {
  pipeline = await startEmbeddedPipeline(config, 'calendar-crash')
  fake = await startFakeGoogleCalendar(GOOGLE_SEED)
})

afterAll(async () => {
  await fake?.close()
  await pipeline?.stop()
})

class DyingCursors extends MemoryCursors {
  override async set(): Promise<void> {
    throw new Error('killed before the sync token was stored')
  }
}

const sync = (cursors: MemoryCursors) =>
  ingestGoogleCalendar({
    bus: pipeline.bus,
    durable: pipeline.durable,
    client: pipeline.client,
    config: {
      ...config,
      calendar: { ...config.calendar!, google: { ...config.calendar!.google!, rootUrl: fake.rootUrl } },
    },
    env: parseEnv({ TEST_GOOGLE_KEY: fake.serviceAccountKey }),
    cursors,
    now: () => new Date('2026-04-01T00:00:00Z'),
  })

describe('calendar connector crash between publishing and storing its sync token', () => {
  it('re-reads the calendars in full and ClickHouse holds every occurrence exactly once', async () => {
    const crashed = await sync(new DyingCursors())
    // every calendar's pages went out, then its token could not be stored
    expect(crashed.map((r) => r.error ?? 'ok')).toEqual(
      crashed.map(() => expect.stringContaining('killed before the sync token was stored')),
    )
    const published = pipeline.bus.messages(rawTopic('calendar')).length
    expect(published).toBeGreaterThan(0)

    const real = new MemoryCursors()
    const rerun = await sync(real)
    expect(rerun.map((r) => [r.error ?? 'ok', r.mode])).toEqual(rerun.map(() => ['ok', 'full']))
    expect(real.values.size).toBe(rerun.length)
    await pipeline.flush()

    const raw = pipeline.bus.messages(rawTopic('calendar'))
    expect(raw.length).toBe(2 * published)
    // the expected set: the occurrences the published records imply (one row per occurrence:
    // the table keeps the newest version of each)
    const expected = new Set<string>()
    for (const m of raw)
      for (const e of transformBytes(m.value, { config }))
        if (e.type === 'meeting.held') expected.add(e.meetingId)
    const [row] = await queryRows<{ rows: number; ids: string[] }>(
      pipeline.client,
      'SELECT toInt32(count()) AS rows, groupUniqArray(meeting_id) AS ids FROM meetings FINAL',
    )
    expect(row!.rows).toBe(expected.size)
    expect(row!.ids.sort()).toEqual([...expected].sort())
    expect(expected.size).toBeGreaterThan(0)
  })
})
