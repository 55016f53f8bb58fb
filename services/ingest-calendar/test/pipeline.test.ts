import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { configSchema, rawTopic, TOPIC_SPECS, TOPICS } from '@orgpulse/contracts'
import { type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from '../../../test/fakes/google-calendar/index.ts'
import { ingestGoogleCalendar } from '../src/run.ts'
import { importIcs } from '../src/ics-import.ts'
import { MemoryCursors, RecordingBus } from './helpers.ts'

/**
 * The whole path in embedded mode: ICS file and Google Calendar (fake) → raw topic → transformer
 * → canonical topic → ClickHouse. The secret title must appear in no topic and no table.
 */
const TITLE = 'Zeppelin reorg – confidential'
const DIR = 'dir@acme.com'
const ANA = 'ana@acme.com'
const MGR = 'mgr@acme.com'

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VEVENT',
  'UID:weekly@acme.com',
  'DTSTAMP:20260301T000000Z',
  'LAST-MODIFIED:20260301T000000Z',
  'DTSTART;TZID=Europe/Berlin:20260323T100000',
  'DTEND;TZID=Europe/Berlin:20260323T110000',
  'RRULE:FREQ=WEEKLY;COUNT=3',
  `SUMMARY:${TITLE}`,
  `DESCRIPTION:${TITLE} agenda`,
  'LOCATION:Zeppelin room',
  `ORGANIZER:mailto:${DIR}`,
  `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${DIR}`,
  `ATTENDEE;PARTSTAT=DECLINED:mailto:${ANA}`,
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:guest@partner.io',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:weekly@acme.com',
  'DTSTAMP:20260301T000000Z',
  'LAST-MODIFIED:20260325T000000Z',
  'RECURRENCE-ID;TZID=Europe/Berlin:20260330T100000',
  'DTSTART;TZID=Europe/Berlin:20260330T100000',
  'DTEND;TZID=Europe/Berlin:20260330T110000',
  'STATUS:CANCELLED',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:offsite@acme.com',
  'DTSTAMP:20260301T000000Z',
  'DTSTART;VALUE=DATE:20260326',
  'DTEND;VALUE=DATE:20260327',
  `SUMMARY:${TITLE} offsite`,
  `ORGANIZER:mailto:${DIR}`,
  `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${ANA}`,
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n')

let dir: string
let client: ClickHouseClient
let bus: RecordingBus
let fake: FakeGoogleCalendar
const subs: Subscription[] = []
const config = configSchema.parse({
  calendar: {
    internalDomains: ['acme.com'],
    google: { rootUrl: 'http://placeholder.invalid/', people: [MGR, ANA], serviceAccountKeyEnv: 'TEST_GOOGLE_KEY', pageSize: 2 },
  },
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-calendar-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  bus = new RecordingBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs.push(await startTransformer(bus, config), await startSink(bus, client), await startDlqSink(bus, client))
  fake = await startFakeGoogleCalendar({
    calendars: {
      // one meeting on two calendars: one row in ClickHouse
      [MGR]: [
        {
          id: 'g1',
          iCalUID: 'g1@google.com',
          status: 'confirmed',
          start: { dateTime: '2026-03-24T15:00:00+01:00' },
          end: { dateTime: '2026-03-24T16:00:00+01:00' },
          summary: `Escalation: ${TITLE}`,
          description: TITLE,
          location: 'Zeppelin room',
          organizer: { email: MGR },
          attendees: [
            { email: MGR, responseStatus: 'accepted' },
            { email: ANA, responseStatus: 'accepted', comment: TITLE },
          ],
        },
      ],
      [ANA]: [
        {
          id: 'g1',
          iCalUID: 'g1@google.com',
          status: 'confirmed',
          start: { dateTime: '2026-03-24T15:00:00+01:00' },
          end: { dateTime: '2026-03-24T16:00:00+01:00' },
          summary: `Escalation: ${TITLE}`,
          organizer: { email: MGR },
          attendees: [
            { email: MGR, responseStatus: 'accepted' },
            { email: ANA, responseStatus: 'accepted', self: true },
          ],
        },
      ],
    },
  })
  const icsPath = join(dir, 'dir.ics')
  writeFileSync(icsPath, ICS)
  await importIcs({
    bus,
    calendar: config.calendar!,
    source: icsPath,
    owner: DIR,
    window: { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') },
    defaultZone: 'UTC',
  })
  const withFake = { ...config, calendar: { ...config.calendar!, google: { ...config.calendar!.google!, rootUrl: fake.rootUrl } } }
  const results = await ingestGoogleCalendar({ bus, client, config: withFake, env: { TEST_GOOGLE_KEY: fake.serviceAccountKey },
    // CursorStore.get in @orgpulse/clickhouse currently fails on chDB (alias clash, reported)
    cursors: new MemoryCursors(),
    now: () => new Date('2026-04-01T00:00:00Z'),
  })
  expect(results.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok'])
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
    const rows = await queryRows<{ meeting_id: string; start: string; end: string; cancelled: number; all_day: number; class: string; attendees: string[]; responses: string[]; external_attendees: number; organizer: string }>(
      client,
      `SELECT meeting_id, toString(start) AS start, toString(end) AS end, cancelled, all_day, class, attendees, responses, external_attendees, organizer
       FROM meetings FINAL ORDER BY meeting_id`,
    )
    expect(rows.map((r) => [r.meeting_id, r.start, r.cancelled, r.all_day])).toEqual([
      ['g1@google.com|2026-03-24T14:00:00.000Z', '2026-03-24 14:00:00.000', 0, 0],
      ['offsite@acme.com|2026-03-26', '2026-03-26 00:00:00.000', 0, 1],
      // 10:00 Berlin: 09:00Z before the DST change, 08:00Z after; the 03-30 one is cancelled
      ['weekly@acme.com|2026-03-23T09:00:00.000Z', '2026-03-23 09:00:00.000', 0, 0],
      ['weekly@acme.com|2026-03-30T08:00:00.000Z', '2026-03-30 08:00:00.000', 1, 0],
      ['weekly@acme.com|2026-04-06T08:00:00.000Z', '2026-04-06 08:00:00.000', 0, 0],
    ])
    const weekly = rows.find((r) => r.meeting_id === 'weekly@acme.com|2026-03-23T09:00:00.000Z')
    expect(weekly).toMatchObject({ organizer: DIR, attendees: [DIR, ANA], responses: ['accepted', 'declined'], external_attendees: 1 })
    expect(rows.find((r) => r.meeting_id.startsWith('g1'))?.class).toBe('escalation')
  })

  it('the title never reaches a topic', () => {
    expect(bus.published.length).toBeGreaterThan(0)
    expect(bus.text(rawTopic('calendar'))).not.toContain('Zeppelin')
    expect(bus.text(TOPICS.events)).not.toContain('Zeppelin')
    expect(bus.text()).not.toContain('Zeppelin')
  })

  it('the title is in no ClickHouse table (full-text search over every table)', async () => {
    const tables = await queryRows<{ name: string }>(client, 'SELECT name FROM system.tables WHERE database = currentDatabase()')
    expect(tables.map((t) => t.name)).toContain('meetings')
    for (const { name } of tables) {
      const rs = await client.query({ query: `SELECT * FROM \`${name}\``, format: 'JSONEachRow' })
      const text = await rs.text()
      expect(text, `table ${name}`).not.toMatch(/zeppelin/i)
    }
    const dlq = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM dlq')
    expect(Number(dlq[0]?.n)).toBe(0)
  })
})
