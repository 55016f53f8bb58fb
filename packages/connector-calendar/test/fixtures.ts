import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { configSchema, parseEnv } from '@orgpulse/contracts'
import type { FakeGoogleCalendar, FakeGoogleCalendarSeed } from '@orgpulse/fakes/google-calendar'
import { ackIsDurable, type Bus, type Durable } from '@orgpulse/kafka'
import { expect } from 'vitest'
import { ingestGoogleCalendar } from '../src/google/run.ts'
import { importIcs } from '../src/ics-import.ts'

/** Shared by the embedded and the Kafka privacy tests: a secret title in every source shape. */
export const TITLE = 'Zeppelin reorg – confidential'
export const DIR = 'dir@acme.com'
export const ANA = 'ana@acme.com'
export const MGR = 'mgr@acme.com'

export const ICS = [
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

/** one meeting on two calendars (mgr's and ana's): one row in ClickHouse */
export const GOOGLE_SEED: FakeGoogleCalendarSeed = {
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
}

export const config = configSchema.parse({
  calendar: {
    internalDomains: ['acme.com'],
    google: {
      rootUrl: 'http://placeholder.invalid/',
      people: [MGR, ANA],
      serviceAccountKeyEnv: 'TEST_GOOGLE_KEY',
      pageSize: 2,
    },
  },
})

/** Publishes the ICS fixture (dir's calendar) and syncs the fake Google calendars of mgr and ana. */
export async function ingestFixtures(o: {
  bus: Bus
  /** default: the bus's acknowledgement (Kafka) */
  durable?: Durable
  client: ClickHouseClient
  fake: FakeGoogleCalendar
  workDir: string
}): Promise<void> {
  const icsPath = join(o.workDir, 'dir.ics')
  writeFileSync(icsPath, ICS)
  const calendar = config.calendar
  if (!calendar?.google) throw new Error('fixture config lacks calendar.google')
  await importIcs({
    bus: o.bus,
    calendar,
    source: icsPath,
    owner: DIR,
    window: { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') },
    defaultZone: 'UTC',
  })
  const results = await ingestGoogleCalendar({
    bus: o.bus,
    durable: o.durable ?? ackIsDurable,
    client: o.client,
    config: { ...config, calendar: { ...calendar, google: { ...calendar.google, rootUrl: o.fake.rootUrl } } },
    env: parseEnv({ TEST_GOOGLE_KEY: o.fake.serviceAccountKey }),
    now: () => new Date('2026-04-01T00:00:00Z'),
  })
  expect(results.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok'])
  // the sync tokens went to ingest_cursors, after the bus acknowledged the pages
  const cursors = await o.client.query({
    query: "SELECT scope FROM ingest_cursors FINAL WHERE connector = 'calendar-google' ORDER BY scope",
    format: 'JSONEachRow',
  })
  expect((await cursors.json<{ scope: string }>()).map((c) => c.scope)).toEqual([ANA, MGR])
}

/** Every row of every table of the current database, as JSON text (for a full-text search). */
export async function allTablesText(client: ClickHouseClient): Promise<Map<string, string>> {
  const rs = await client.query({
    query: 'SELECT name FROM system.tables WHERE database = currentDatabase()',
    format: 'JSONEachRow',
  })
  const out = new Map<string, string>()
  for (const { name } of await rs.json<{ name: string }>()) {
    const rows = await client.query({ query: `SELECT * FROM \`${name}\``, format: 'JSONEachRow' })
    out.set(name, await rows.text())
  }
  return out
}
