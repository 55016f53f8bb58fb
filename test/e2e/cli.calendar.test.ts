import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/** `orgpulse ingest calendar` over the ICS feeds orgpulse.yaml configures, as a user runs it. */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-calendar-'))

const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work, config: join(work, 'orgpulse.yaml') })

const DAY = 86_400_000
const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')

describe('ingest calendar over the configured ICS feeds, without --from/--to', () => {
  it('imports the past weeks as well as the weeks ahead, says which window, and counts a cancelled slot once', async () => {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())
    // a weekly series from 5 weeks ago to 3 weeks ahead (9 slots), one slot 2 weeks ago removed (EXDATE)
    const first = today - 35 * DAY + 10 * 3_600_000
    const exdate = first + 21 * DAY
    writeFileSync(
      join(work, 'dana.ics'),
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//orgpulse test//EN',
        'BEGIN:VEVENT',
        'UID:weekly-1@x.io',
        `DTSTAMP:${stamp(first)}`,
        `DTSTART:${stamp(first)}`,
        `DTEND:${stamp(first + 3_600_000)}`,
        'RRULE:FREQ=WEEKLY;COUNT=9',
        `EXDATE:${stamp(exdate)}`,
        'SUMMARY:Team sync',
        'ORGANIZER:mailto:dana@x.io',
        'ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@x.io',
        'ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@x.io',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    )
    writeFileSync(
      join(work, 'orgpulse.yaml'),
      'calendar:\n  ics:\n    - { file: dana.ics, owner: dana@x.io }\n',
    )
    const res = await orgpulse('ingest', 'calendar')
    expect(res.stderr).not.toMatch(/error/i)
    expect(res.code).toBe(0)
    const from = new Date(today - 90 * DAY).toISOString().slice(0, 10)
    const to = new Date(today + 28 * DAY).toISOString().slice(0, 10)
    expect(res.stdout).toContain(
      `ics window: ${from} to ${to} (default: 90 days back, 28 ahead; choose with --from/--to)`,
    )
    // 9 slots: 8 held (5 of them in the past), 1 cancelled, counted once
    expect(res.stdout).toContain('dana.ics (dana@x.io): 8 occurrence(s), 1 cancelled')
  }, 120_000)
})
