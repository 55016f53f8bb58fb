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
 * `orgpulse ingest calendar` against the Google Calendar fake, as a user runs it: a weekly
 * series' instance cancelled in Google comes back in the incremental sync bare (id, status,
 * recurringEventId, originalStartTime: all Google guarantees) and must stop counting.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-calendar-google-'))
const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work, config: join(work, 'orgpulse.yaml') })

const DAY = 86_400_000
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())
// next week's Monday: inside the full sync's window (28 days ahead), a whole week to measure
const monday = today + ((8 - new Date(today).getUTCDay()) % 7 || 7) * DAY
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const compact = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace('.000', '')

const at10 = (ms: number) => new Date(ms + 10 * 3_600_000).toISOString()
const at11 = (ms: number) => new Date(ms + 11 * 3_600_000).toISOString()
/** an instance of the series as `singleEvents=true` lists it */
const instance = (ms: number): FakeEvent => ({
  id: `wk1_${compact(ms + 10 * 3_600_000)}`,
  status: 'confirmed',
  iCalUID: 'wk1@google.com',
  recurringEventId: 'wk1',
  originalStartTime: { dateTime: at10(ms) },
  start: { dateTime: at10(ms) },
  end: { dateTime: at11(ms) },
  eventType: 'default',
  summary: 'Team daily',
  organizer: { email: 'dana@x.io', self: true },
  attendees: [
    { email: 'dana@x.io', responseStatus: 'accepted', organizer: true, self: true },
    { email: 'ann@x.io', responseStatus: 'accepted' },
  ],
})

let fake: FakeGoogleCalendar

beforeAll(async () => {
  fake = await startFakeGoogleCalendar({
    calendars: {
      'dana@x.io': [
        // the series' own event: events.get returns it, singleEvents listings do not
        {
          ...instance(monday),
          id: 'wk1',
          recurringEventId: undefined,
          originalStartTime: undefined,
          recurrence: ['RRULE:FREQ=DAILY;COUNT=2'],
        },
        instance(monday),
        instance(monday + DAY),
      ],
    },
  })
  // the child process inherits the test's environment: the key's variable is named in orgpulse.yaml
  process.env.ORGPULSE_TEST_GOOGLE_KEY = fake.serviceAccountKey
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
      '  google:',
      `    rootUrl: ${fake.rootUrl}`,
      '    serviceAccountKeyEnv: ORGPULSE_TEST_GOOGLE_KEY',
      '    people: [dana@x.io]',
      '    maxRetries: 0',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  delete process.env.ORGPULSE_TEST_GOOGLE_KEY
  await fake?.close()
})

const weekMetrics = async () => {
  const r = await orgpulse(
    'metrics',
    '--org',
    'dir@x.io',
    '--from',
    day(monday),
    '--to',
    day(monday + 7 * DAY),
    '--format',
    'json',
  )
  expect(r.code).toBe(0)
  const m = JSON.parse(r.stdout) as { metrics: Record<string, number | null> }
  return [m.metrics.meeting_hours_per_person_week, m.metrics.focus_hours_per_person_week]
}

describe('ingest calendar (Google) with a cancelled instance of a series', () => {
  it('the bare cancelled instance replaces the occurrence it names: it stops counting', async () => {
    expect((await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')).code).toBe(0)

    const full = await orgpulse('ingest', 'calendar')
    expect(full.stderr).not.toMatch(/error/i)
    expect(full.code).toBe(0)
    expect(full.stdout).toContain('google dana@x.io: full, 2 event(s)')
    // Monday and Tuesday 10:00-11:00Z: 2 h; focus (09-17Z, blocks >= 2 h) 6 + 6 + 3 * 8 = 36 h
    expect(await weekMetrics()).toEqual([2, 36])

    fake.cancelEvent('dana@x.io', `wk1_${compact(monday + DAY + 10 * 3_600_000)}`)
    const incremental = await orgpulse('ingest', 'calendar')
    expect(incremental.code).toBe(0)
    expect(incremental.stdout).toContain('google dana@x.io: incremental, 1 event(s)')
    // the listing sent the instance bare; the series' own event gave its iCalUID
    const gets = fake.requests
      .filter((r) => /\/events\/[^/]+$/.test(r.path))
      .map((r) => r.path.split('/').at(-1))
    expect(gets).toEqual(['wk1'])

    // Tuesday's occurrence no longer counts: 1 h of meetings, Tuesday a full 8 h of focus
    expect(await weekMetrics()).toEqual([1, 38])
    const dlq = await orgpulse('dlq', 'list', '--format', 'json')
    expect(JSON.parse(dlq.stdout)).toEqual([])
  }, 180_000)
})
