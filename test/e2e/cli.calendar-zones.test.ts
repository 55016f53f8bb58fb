import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClickHouse, queryRows } from '@orgpulse/clickhouse'
import { describe, expect, it } from 'vitest'
import { orgpulseIn, ROOT } from '../setup/cli.ts'

/**
 * `orgpulse ingest calendar --ics` on an Outlook export whose TZIDs are Windows zone names with no
 * VTIMEZONE (packages/connector-calendar/test/fixtures/README.md says what each event is), as a
 * user runs it, down to the meeting metrics.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-calendar-zones-'))
const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work, config: join(work, 'orgpulse.yaml') })

copyFileSync(
  join(ROOT, 'packages/connector-calendar/test/fixtures/outlook-windows-tzids.ics'),
  join(work, 'outlook.ics'),
)
// dana's HR zone is UTC, as are the working hours (09-17, Mon-Fri): what a Windows name was
// silently read in before, so a shifted meeting shows in the hours
writeFileSync(
  join(work, 'org.csv'),
  'email,name,manager_email,title,timezone\ndir@x.io,Dir,,Director,UTC\ndana@x.io,Dana,dir@x.io,EM,UTC\n',
)
writeFileSync(
  join(work, 'orgpulse.yaml'),
  [
    'privacy: { minGroupSize: 1 }',
    'workingHours: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5], timeZone: UTC }',
    'calendar:',
    '  internalDomains: [x.io]',
    '  minCoverage: 0.5',
    '',
  ].join('\n'),
)

describe('ingest calendar --ics with Windows time-zone names and no VTIMEZONE', () => {
  it('places each meeting at its UTC time, and dead-letters the one in an unknown zone with a warning', async () => {
    const org = await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')
    expect(org.code).toBe(0)

    const res = await orgpulse(
      'ingest',
      'calendar',
      '--ics',
      'outlook.ics',
      '--owner',
      'dana@x.io',
      '--from',
      '2026-07-06',
      '--to',
      '2026-07-13',
    )
    expect(res.stderr).not.toMatch(/error/i)
    expect(res.code).toBe(0)
    // the standup twice and the New York sync; the vendor call is in neither count
    expect(res.stdout).toContain(
      'ics outlook.ics (dana@x.io): 3 occurrence(s), 0 cancelled, 1 dead-lettered (unknown time zone)',
    )
    expect(res.stdout).toMatch(
      /warning: outlook\.ics \(dana@x\.io\): TZID "Customized Time Zone" is not defined by a VTIMEZONE in the file and is neither an IANA nor a Windows zone name: 1 occurrence\(s\) dead-lettered/,
    )

    const dlq = await orgpulse('dlq', 'list', '--format', 'json')
    expect(dlq.code).toBe(0)
    const dead = JSON.parse(dlq.stdout) as { reason: string }[]
    expect(dead.map((d) => d.reason)).toEqual([
      expect.stringMatching(
        /^unknown time zone "Customized Time Zone" for 2026-07-07T10:00:00: neither an IANA nor a Windows \(CLDR windowsZones\) zone name/,
      ),
    ])

    const metrics = await orgpulse(
      'metrics',
      '--org',
      'dir@x.io',
      '--from',
      '2026-07-06',
      '--to',
      '2026-07-13',
      '--format',
      'json',
    )
    expect(metrics.code).toBe(0)
    const m = JSON.parse(metrics.stdout)
    // Meetings (UTC): standup Mon and Tue 08:00-09:00 (10:00 CEST), New York sync Mon
    // 14:00-15:00 (10:00 EDT): 3 h in dana's week. Read in UTC, as before, all three were at
    // 10:00Z and the standup and the sync overlapped on Monday (2 h), and the vendor call, shifted
    // into UTC, overlapped the standup on Tuesday.
    expect(m.metrics.meeting_hours_per_person_week).toBe(3)
    // Focus (free blocks >= 2 h inside 09-17Z): Mon 09-14 and 15-17 (7 h; the standup is before
    // 09:00), Tue-Fri 8 h each: 39 h. Read in UTC it was 36 h (Mon and Tue 11-17 only).
    expect(m.metrics.focus_hours_per_person_week).toBe(39)
  }, 180_000)
})

describe('ingest calendar --ics with floating times, in the owner’s HR time zone', () => {
  const work2 = mkdtempSync(join(tmpdir(), 'orgpulse-cli-calendar-floating-'))
  const dataDir = join(work2, 'data')
  const cli = orgpulseIn({ dataDir, cwd: work2, config: join(work2, 'orgpulse.yaml') })
  const floating = (uid: string, owner: string) =>
    [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//orgpulse test//EN',
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20260601T000000Z',
      // no TZID and no Z: RFC 5545's floating time, "the same hour" wherever the reader is
      'DTSTART:20260708T100000',
      'DTEND:20260708T110000',
      `ORGANIZER:mailto:${owner}`,
      `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${owner}`,
      'ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@x.io',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n')

  it('reads them in the HR zone (a Windows name through CLDR too); an HR zone that names nothing is refused at import', async () => {
    const hr = (calZone: string) =>
      [
        'email,name,manager_email,title,timezone',
        'dir@x.io,Dir,,Director,UTC',
        // an HR system that exports Windows zone names; and one whose zone names nothing
        'ben@x.io,Ben,dir@x.io,EM,W. Europe Standard Time',
        `cal@x.io,Cal,dir@x.io,EM,${calZone}`,
        '',
      ].join('\n')
    writeFileSync(join(work2, 'orgpulse.yaml'), 'calendar:\n  internalDomains: [x.io]\n')
    writeFileSync(join(work2, 'bad.csv'), hr('Mars/Olympus'))
    // the meeting metrics hand each person's zone to ClickHouse: an unknown one would fail the org's query
    const refused = await cli('org', 'import', 'bad.csv', '--effective', '2026-01-01')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      'line 4: timezone: timezone is neither an IANA time zone such as Europe/Berlin nor a Windows zone name (got "Mars/Olympus")',
    )
    writeFileSync(join(work2, 'org.csv'), hr(''))
    expect((await cli('org', 'import', 'org.csv', '--effective', '2026-01-01')).code).toBe(0)
    writeFileSync(join(work2, 'ben.ics'), floating('ben-1@x.io', 'ben@x.io'))
    writeFileSync(join(work2, 'cal.ics'), floating('cal-1@x.io', 'cal@x.io'))
    const window = ['--from', '2026-07-06', '--to', '2026-07-13']
    const ben = await cli('ingest', 'calendar', '--ics', 'ben.ics', '--owner', 'ben@x.io', ...window)
    expect(ben.code).toBe(0)
    expect(ben.stdout).not.toMatch(/warning/)
    const cal = await cli('ingest', 'calendar', '--ics', 'cal.ics', '--owner', 'cal@x.io', ...window)
    expect(cal.code).toBe(0)

    // the CLI has exited: this process may open the data directory
    const client = createClickHouse({ dataDir })
    try {
      const zones = await queryRows<{ email: string; timezone: string }>(
        client,
        'SELECT email, timezone FROM org_people ORDER BY email',
      )
      expect(zones).toEqual([
        { email: 'ben@x.io', timezone: 'Europe/Berlin' },
        { email: 'cal@x.io', timezone: '' },
        { email: 'dir@x.io', timezone: 'UTC' },
      ])
      const rows = await queryRows<{ meeting_id: string; start: string }>(
        client,
        'SELECT meeting_id, toString(start) AS start FROM meetings FINAL ORDER BY meeting_id',
      )
      expect(rows).toEqual([
        // 10:00 in Berlin in July (CEST, UTC+2)
        { meeting_id: 'ben-1@x.io', start: '2026-07-08 08:00:00.000' },
        // no HR zone: read in workingHours.timeZone (UTC)
        { meeting_id: 'cal-1@x.io', start: '2026-07-08 10:00:00.000' },
      ])
    } finally {
      await client.close()
    }
  }, 180_000)
})
