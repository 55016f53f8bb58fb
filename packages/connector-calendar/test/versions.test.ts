import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { calendarConfigSchema, configSchema } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { inCommand } from '../../../test/setup/embedded-pipeline.ts'
import { importIcs } from '../src/ics-import.ts'

/**
 * One meeting changed over time, each version imported by its own `orgpulse ingest calendar
 * --ics FILE --owner EMAIL` into one data directory, and an old export replayed last. ICS per
 * RFC 5545: UID identifies the event, LAST-MODIFIED orders its versions, STATUS:CANCELLED
 * cancels it; Google's `singleEvents=true` shape likewise gives a single event no
 * originalStartTime, so moving it keeps its identity.
 */
const config = configSchema.parse({})
const work = mkdtempSync(join(tmpdir(), 'orgpulse-ics-versions-'))
const dataDir = join(work, 'data')

const ics = (start: string, end: string, modified: string, status = 'CONFIRMED') =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//orgpulse test//EN',
    'BEGIN:VEVENT',
    'UID:review-42@acme.test',
    `DTSTAMP:${modified}`,
    `LAST-MODIFIED:${modified}`,
    `DTSTART:${start}`,
    `DTEND:${end}`,
    'SUMMARY:Architecture review',
    `STATUS:${status}`,
    'ORGANIZER:mailto:dir@x.io',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:dir@x.io',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:m1@x.io',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n')

let n = 0
async function importVersion(text: string): Promise<void> {
  const file = join(work, `cal-${++n}.ics`)
  writeFileSync(file, text)
  await inCommand(config, dataDir, (p) =>
    importIcs({
      bus: p.bus,
      calendar: calendarConfigSchema.parse({}),
      source: file,
      owner: 'dir@x.io',
      window: { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-08-01T00:00:00Z') },
      defaultZone: 'UTC',
    }),
  )
}

const stored = () =>
  inCommand(config, dataDir, (p) =>
    queryRows<{ start: string; end: string; cancelled: number }>(
      p.client,
      'SELECT toString(start) AS start, toString(end) AS end, cancelled FROM meetings FINAL ORDER BY start',
    ),
  )

describe('a meeting moved, shortened, cancelled and replayed, one command per version', () => {
  const v1 = ics('20260706T100000Z', '20260706T110000Z', '20260601T080000Z')
  it('moved and shortened: one meeting at its new time', async () => {
    await importVersion(v1)
    await importVersion(ics('20260707T140000Z', '20260707T143000Z', '20260702T080000Z'))
    expect(await stored()).toEqual([
      { start: '2026-07-07 14:00:00.000', end: '2026-07-07 14:30:00.000', cancelled: 0 },
    ])
  })
  it('cancelled, then the first export replayed: it stays cancelled', async () => {
    await importVersion(ics('20260707T140000Z', '20260707T143000Z', '20260703T080000Z', 'CANCELLED'))
    await importVersion(v1)
    expect(await stored()).toEqual([
      { start: '2026-07-07 14:00:00.000', end: '2026-07-07 14:30:00.000', cancelled: 1 },
    ])
  })
})
