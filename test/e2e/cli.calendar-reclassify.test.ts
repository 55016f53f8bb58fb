import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type FakeEvent,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '@orgpulse/fakes/google-calendar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/**
 * A ritual configured after its meetings were ingested. Titles are stored nowhere, so the only
 * way to classify those meetings again is to read them again from their sources: the Google
 * Calendar fake (dana's calendar) and an ICS feed file listed in calendar.ics (ann's). A one-off
 * `ingest calendar --ics` import (dir's) cannot be re-read, and the output says so.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-reclassify-'))
const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work, config: join(work, 'orgpulse.yaml') })

const DAY = 86_400_000
const HOUR = 3_600_000
const now = new Date()
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
// this week's Monday; the window is the four complete weeks before it
const monday0 = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY
const weekStart = (k: number) => monday0 - (4 - k) * 7 * DAY // k = 0..3
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const icsTime = (ms: number) => iso(ms).replace(/[-:]/g, '')
const FROM = day(weekStart(0))
const TO = day(monday0)

/**
 * "Staff sync" on dana's Google calendar on the Tuesdays of weeks 0, 1 and 2 (not week 3), in the
 * shape `events.list` returns an event (https://developers.google.com/calendar/api/v3/reference/events:
 * id, status, iCalUID, start/end dateTime, eventType, summary, organizer, attendees with
 * responseStatus, updated, sequence).
 */
const staffSync = (k: number): FakeEvent => {
  const start = weekStart(k) + DAY + 10 * HOUR
  return {
    id: `staffsync${k}`,
    status: 'confirmed',
    iCalUID: `staffsync${k}@google.com`,
    start: { dateTime: iso(start), timeZone: 'UTC' },
    end: { dateTime: iso(start + HOUR), timeZone: 'UTC' },
    eventType: 'default',
    summary: 'Staff sync',
    organizer: { email: 'dana@x.io', self: true },
    attendees: [
      { email: 'dana@x.io', responseStatus: 'accepted', organizer: true, self: true },
      { email: 'dir@x.io', responseStatus: 'accepted' },
    ],
    updated: iso(weekStart(0) - 7 * DAY),
    sequence: 0,
  }
}

/** RFC 5545 VEVENTs, as a calendar export writes them */
const vevent = (uid: string, start: number, summary: string, organizer: string, attendee: string) => [
  'BEGIN:VEVENT',
  `UID:${uid}`,
  `DTSTAMP:${icsTime(weekStart(0) - 7 * DAY)}`,
  `LAST-MODIFIED:${icsTime(weekStart(0) - 7 * DAY)}`,
  `DTSTART:${icsTime(start)}`,
  `DTEND:${icsTime(start + HOUR)}`,
  `SUMMARY:${summary}`,
  `ORGANIZER:mailto:${organizer}`,
  `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${organizer}`,
  `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${attendee}`,
  'END:VEVENT',
]
const ics = (events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events.flat(), 'END:VCALENDAR'].join('\r\n')

let fake: FakeGoogleCalendar

const config = (rituals: string[]) =>
  writeFileSync(
    join(work, 'orgpulse.yaml'),
    [
      'privacy: { minGroupSize: 1 }',
      'calendar:',
      '  internalDomains: [x.io]',
      '  minCoverage: 0.5',
      '  google:',
      `    rootUrl: ${fake.rootUrl}`,
      '    serviceAccountKeyEnv: ORGPULSE_TEST_GOOGLE_KEY',
      '    people: [dana@x.io]',
      '    maxRetries: 0',
      '  ics:',
      `    - { file: ${join(work, 'ann.ics')}, owner: ann@x.io }`,
      ...(rituals.length > 0 ? ['  rituals:', ...rituals.map((r) => `    - ${r}`)] : []),
      '',
    ].join('\n'),
  )

const adherence = async (): Promise<number | null> => {
  const r = await orgpulse('metrics', '--org', 'dir@x.io', '--from', FROM, '--to', TO, '--format', 'json')
  expect(r.code, r.stderr).toBe(0)
  const m = JSON.parse(r.stdout) as {
    metrics: Record<string, number | null>
    withheld: Record<string, string>
  }
  return m.metrics.ritual_adherence ?? null
}

beforeAll(async () => {
  fake = await startFakeGoogleCalendar({ calendars: { 'dana@x.io': [0, 1, 2].map(staffSync) } })
  // the child process inherits the test's environment: the key's variable is named in orgpulse.yaml
  process.env.ORGPULSE_TEST_GOOGLE_KEY = fake.serviceAccountKey
  writeFileSync(
    join(work, 'org.csv'),
    'email,name,manager_email,title,timezone\ndir@x.io,Dir,,Director,UTC\ndana@x.io,Dana,dir@x.io,EM,UTC\nann@x.io,Ann,dana@x.io,Eng,UTC\n',
  )
  // "Eng guild" on ann's feed on the Thursdays of weeks 0 and 2
  writeFileSync(
    join(work, 'ann.ics'),
    ics(
      [0, 2].map((k) =>
        vevent(`guild${k}@x.io`, weekStart(k) + 3 * DAY + 14 * HOUR, 'Eng guild', 'ann@x.io', 'dana@x.io'),
      ),
    ),
  )
  // dir's one-off export: a meeting no configured source holds
  writeFileSync(
    join(work, 'dir.ics'),
    ics([vevent('boardprep@x.io', weekStart(1) + 2 * DAY + 9 * HOUR, 'Board prep', 'dir@x.io', 'dana@x.io')]),
  )
})

afterAll(async () => {
  delete process.env.ORGPULSE_TEST_GOOGLE_KEY
  await fake?.close()
})

describe('rituals configured after ingest', () => {
  it('a changed rule set re-reads the sources on the next sync; reclassify re-reads a window on demand', async () => {
    config([])
    expect((await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')).code).toBe(0)
    const first = await orgpulse('ingest', 'calendar')
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('google dana@x.io: full, 3 event(s)')
    expect(first.stdout).not.toContain('classification rules changed')
    const oneOff = await orgpulse(
      'ingest',
      'calendar',
      '--ics',
      'dir.ics',
      '--owner',
      'dir@x.io',
      '--from',
      FROM,
      '--to',
      TO,
    )
    expect(oneOff.code, oneOff.stderr).toBe(0)
    // no ritual configured: nothing expected, no value
    expect(await adherence()).toBeNull()

    config(['{ name: staff sync, cadence: weekly }', '{ name: eng guild, cadence: weekly }'])
    // configured, not yet synced: the stored meetings were classified without the rituals
    expect(await adherence()).toBe(0)

    const resync = await orgpulse('ingest', 'calendar')
    expect(resync.code, resync.stderr).toBe(0)
    expect(resync.stdout).toContain(
      `classification rules changed: re-reading 2 calendars from ${day(today - 90 * DAY)}`,
    )
    expect(resync.stdout).toContain('1 stored meeting(s) in the window could not be re-read')
    expect(resync.stdout).toContain(
      `orgpulse ingest calendar --ics ${join(work, 'dir.ics')} --owner dir@x.io --from ${FROM} --to ${TO}`,
    )
    // 2 rituals × 4 weekly periods expected; staff sync held in 3, eng guild in 2: 5 / 8
    expect(await adherence()).toBe(0.625)

    // the rules are recorded: the next sync is an ordinary one
    const again = await orgpulse('ingest', 'calendar')
    expect(again.code).toBe(0)
    expect(again.stdout).not.toContain('classification rules changed')
    expect(again.stdout).toContain('google dana@x.io: incremental')

    // the staff ritual renamed (its keywords keep finding "Staff sync"): stored meetings carry
    // the old name, so nothing counts for it until they are classified again
    config([
      '{ name: weekly staff meeting, cadence: weekly, titleKeywords: [staff sync] }',
      '{ name: eng guild, cadence: weekly }',
    ])
    expect(await adherence()).toBe(0.25)
    const re = await orgpulse('calendar', 'reclassify', '--from', FROM, '--to', TO)
    expect(re.code, re.stderr).toBe(0)
    expect(re.stdout).toContain(`reclassified ${FROM} to ${TO} with the current rules: 2 calendar(s) re-read`)
    expect(re.stdout).toContain('google dana@x.io: 3 event(s)')
    expect(re.stdout).toContain('1 stored meeting(s) in the window could not be re-read')
    expect(re.stderr).toContain('reclassify: 2/2 calendars')
    expect(await adherence()).toBe(0.625)
  }, 300_000)

  it('refuses a date that is not one', async () => {
    const r = await orgpulse('calendar', 'reclassify', '--from', '2026-09-31')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('--from is not a date: "2026-09-31"')
  }, 60_000)
})
