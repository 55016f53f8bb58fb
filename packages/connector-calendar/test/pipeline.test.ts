import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { rawTopic, TOPIC_SPECS, TOPICS } from '@orgpulse/contracts'
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from '@orgpulse/fakes/google-calendar'
import { type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import { ANA, allTablesText, config, DIR, GOOGLE_SEED, ingestFixtures, MGR } from './fixtures.ts'
import { RecordingBus } from './helpers.ts'

/**
 * The whole path in embedded mode: ICS file and Google Calendar (fake) → raw topic → transformer
 * → canonical topic → ClickHouse. The secret title must appear in no topic and no table.
 */
let dir: string
let client: ClickHouseClient
let bus: RecordingBus
let fake: FakeGoogleCalendar
const subs: Subscription[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-calendar-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  bus = new RecordingBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs.push(
    await startTransformer(bus, config),
    await startSink(bus, client),
    await startDlqSink(bus, client),
  )
  fake = await startFakeGoogleCalendar(GOOGLE_SEED)
  await ingestFixtures({ bus, client, fake, workDir: dir })
  await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS))
})

afterAll(async () => {
  for (const s of subs) await s.stop()
  await fake?.close()
  await bus?.close()
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('calendar → Kafka topics → ClickHouse', () => {
  it('stores one row per occurrence, across time zones, with cancellations, all-day flag and declines', async () => {
    const rows = await queryRows<{
      meeting_id: string
      start: string
      end: string
      cancelled: number
      all_day: number
      class: string
      attendees: string[]
      responses: string[]
      external_attendees: number
      organizer: string
    }>(
      client,
      `SELECT meeting_id, toString(start) AS start, toString(end) AS end, cancelled, all_day, class, attendees, responses, external_attendees, organizer
       FROM meetings FINAL ORDER BY meeting_id`,
    )
    expect(rows.map((r) => [r.meeting_id, r.start, r.cancelled, r.all_day])).toEqual([
      // single events are known by their UID alone (moving one replaces it), occurrences of a
      // series by UID and original start
      ['g1@google.com', '2026-03-24 14:00:00.000', 0, 0],
      ['offsite@acme.com', '2026-03-26 00:00:00.000', 0, 1],
      // 10:00 Berlin: 09:00Z before the DST change, 08:00Z after; the 03-30 one is cancelled
      ['weekly@acme.com|2026-03-23T09:00:00.000Z', '2026-03-23 09:00:00.000', 0, 0],
      ['weekly@acme.com|2026-03-30T08:00:00.000Z', '2026-03-30 08:00:00.000', 1, 0],
      ['weekly@acme.com|2026-04-06T08:00:00.000Z', '2026-04-06 08:00:00.000', 0, 0],
    ])
    const weekly = rows.find((r) => r.meeting_id === 'weekly@acme.com|2026-03-23T09:00:00.000Z')
    expect(weekly).toMatchObject({
      organizer: DIR,
      attendees: [DIR, ANA],
      responses: ['accepted', 'declined'],
      external_attendees: 1,
    })
    expect(rows.find((r) => r.meeting_id.startsWith('g1'))?.class).toBe('escalation')
  })

  it('records each calendar as synced over what was read: the ICS window, the Google full-sync window', async () => {
    const rows = await queryRows<{ scope_id: string; source: string; mode: string; f: string; t: string }>(
      client,
      `SELECT scope_id, source, mode, toString(covered_from) AS f, toString(covered_to) AS t
       FROM source_coverage FINAL WHERE scope_kind = 'calendar' ORDER BY scope_id`,
    )
    expect(rows).toEqual([
      // the default window: 90 days back, 28 ahead of 2026-04-01
      {
        scope_id: ANA,
        source: 'calendar',
        mode: 'full',
        f: '2026-01-01 00:00:00.000',
        t: '2026-04-29 00:00:00.000',
      },
      {
        scope_id: DIR,
        source: 'calendar',
        mode: 'range',
        f: '2026-03-01 00:00:00.000',
        t: '2026-05-01 00:00:00.000',
      },
      {
        scope_id: MGR,
        source: 'calendar',
        mode: 'full',
        f: '2026-01-01 00:00:00.000',
        t: '2026-04-29 00:00:00.000',
      },
    ])
  })

  it('the title never reaches a topic', () => {
    expect(bus.published.length).toBeGreaterThan(0)
    expect(bus.text(rawTopic('calendar'))).not.toContain('Zeppelin')
    expect(bus.text(TOPICS.events)).not.toContain('Zeppelin')
    expect(bus.text()).not.toContain('Zeppelin')
  })

  it('the title is in no ClickHouse table (full-text search over every table)', async () => {
    const tables = await allTablesText(client)
    expect([...tables.keys()]).toContain('meetings')
    expect(tables.get('meetings')).toContain('weekly@acme.com')
    for (const [name, text] of tables) expect(text, `table ${name}`).not.toMatch(/zeppelin/i)
    const dlq = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM dlq')
    expect(Number(dlq[0]?.n)).toBe(0)
  })
})
