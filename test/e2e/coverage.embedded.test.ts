import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_MAIN } from '../setup/cli.ts'

/**
 * "No data is not zero", as a user meets it: one data directory, the `orgpulse` command, ICS
 * calendars imported with `ingest calendar`, a Jira project synced from the fake Jira.
 *
 * Org (2026-01-01): dir@x.io leads u:dir; m1@x.io reports to dir and leads u:m1 with p1…p8:
 * 10 people in dir's org, 9 in team u:m1. Working hours 09:00–17:00 UTC, Monday–Friday.
 *
 * Calendars (ICS, each person's own export):
 * - dir, m1, p1, p2, p3, p4 imported over [2026-03-02, 2026-03-16) (weeks W1 and W2);
 * - p5, p6, p7 imported over [2026-03-09, 2026-03-16) (W2 only);
 * - p8 never: p8's calendar is not synced, though p8 is on other people's meetings.
 * Meetings: "Team" Tue 2026-03-03 and Tue 2026-03-10, 10:00–12:00Z, organised by m1, dir and
 * p1…p8 attending; a 1:1 p1–p8 Wed 2026-03-11 14:00–15:00Z (on p1's calendar).
 *
 * Hand computation for W2 = [2026-03-09, 2026-03-16), covered people dir, m1, p1…p7 (9 of 10):
 * meeting hours: p1 2 + 1 = 3, the other eight 2 each → 19 h over 9 person-weeks = 2.111111
 *   (p8, measured from the others' calendars as before, would have made it 22 / 10 = 2.2);
 * focus (free blocks ≥ 2 h in 09–17): Mon 8, Tue 5 (12–17; 09–10 is under 2 h), Wed 8 (p1: 09–14
 *   and 15–17 = 7), Thu 8, Fri 8 → 37 each, p1 36 → (8 × 37 + 36) / 9 = 332 / 9 = 36.888889.
 * Team u:m1 (m1, p1…p8; covered 8 of 9, share 0.888889 ≥ 0.8): meeting (2 + 3 + 6 × 2) / 8 =
 *   2.125; focus (37 + 36 + 6 × 37) / 8 = 36.875.
 * W1 = [2026-03-02, 2026-03-09): 6 of 10 covered, share 0.6 < calendar.minCoverage 0.8 →
 *   partial_coverage. Over [03-02, 03-16) as a whole the same 6 (p5…p7 miss W1).
 */

const work = mkdtempSync(join(tmpdir(), 'orgpulse-coverage-'))
const dataDir = join(work, 'data')
let fake: FakeJira

function orgpulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, '--data-dir', dataDir, ...args],
      {
        cwd: work,
        env: {
          ...process.env,
          KAFKA_BROKERS: '',
          CLICKHOUSE_URL: '',
          ORGPULSE_CONFIG: '',
          JIRA_EMAIL: 'bot@example.com',
          JIRA_API_TOKEN: 'api-token',
        },
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

const PEOPLE = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'].map((p) => `${p}@x.io`)
const ORG = [
  'email,name,manager_email,title',
  'dir@x.io,Dana,,Director',
  'm1@x.io,Mia,dir@x.io,EM',
  ...PEOPLE.map((p) => `${p},${p},m1@x.io,Engineer`),
].join('\n')

const TEAM_MEETING = `BEGIN:VEVENT
UID:team@x.io
DTSTAMP:20260301T000000Z
DTSTART:20260303T100000Z
DTEND:20260303T120000Z
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:Team sync
ORGANIZER:mailto:m1@x.io
${['dir@x.io', 'm1@x.io', ...PEOPLE].map((p) => `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${p}`).join('\n')}
END:VEVENT`
const ONE_ON_ONE = `BEGIN:VEVENT
UID:p1-p8@x.io
DTSTAMP:20260301T000000Z
DTSTART:20260311T140000Z
DTEND:20260311T150000Z
SUMMARY:1:1
ORGANIZER:mailto:p1@x.io
ATTENDEE;PARTSTAT=ACCEPTED:mailto:p1@x.io
ATTENDEE;PARTSTAT=ACCEPTED:mailto:p8@x.io
END:VEVENT`
const ics = (...events: string[]) =>
  `BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n${events.join('\n')}\nEND:VCALENDAR\n`

interface Scope {
  people: number
  metrics: Record<string, number | null>
  withheld: Record<string, string>
  coverage: {
    calendar: { covered: number; people: number; share: number | null }
    trackers: { synced: number }
  }
}
interface Result extends Scope {
  teams: (Scope & { id: string })[]
  series?: (Scope & { from: string })[]
}

async function metrics(from: string, to: string, ...extra: string[]): Promise<Result> {
  const res = await orgpulse(
    'metrics',
    '--org',
    'dir@x.io',
    '--from',
    from,
    '--to',
    to,
    '--format',
    'json',
    '--config',
    join(work, 'later.yaml'),
    ...extra,
  )
  expect(res.code, res.stderr).toBe(0)
  return JSON.parse(res.stdout) as Result
}

beforeAll(async () => {
  fake = await startFakeJira({
    users: [{ accountId: 'acc-m1', displayName: 'Mia', emailAddress: 'm1@x.io' }],
    projects: [{ key: 'ENG', name: 'Engineering' }],
    issues: [{ key: 'ENG-1', summary: 'Build it', reporter: 'acc-m1', created: '2026-03-04T09:00:00.000Z' }],
  })
  writeFileSync(join(work, 'org.csv'), ORG)
  writeFileSync(join(work, 'team.ics'), ics(TEAM_MEETING))
  writeFileSync(join(work, 'p1.ics'), ics(TEAM_MEETING, ONE_ON_ONE))
  const feed = (p: string) => ({ file: join(work, p === 'p1@x.io' ? 'p1.ics' : 'team.ics'), owner: p })
  // JSON is YAML. First import: six calendars over both weeks
  writeFileSync(
    join(work, 'first.yaml'),
    JSON.stringify({
      calendar: { ics: ['dir@x.io', 'm1@x.io', 'p1@x.io', 'p2@x.io', 'p3@x.io', 'p4@x.io'].map(feed) },
    }),
  )
  // later: three more calendars over W2 only, and the Jira project of team u:m1
  writeFileSync(
    join(work, 'later.yaml'),
    JSON.stringify({
      calendar: { ics: ['p5@x.io', 'p6@x.io', 'p7@x.io'].map(feed) },
      jira: { baseUrl: fake.url, projects: ['ENG'], teams: [{ team: 'u:m1@x.io', projects: ['ENG'] }] },
    }),
  )
  const org = await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')
  expect(org.code).toBe(0)
})

afterAll(async () => {
  await fake?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('no data is not zero (embedded, through the ingest commands)', () => {
  it('with no calendar and no tracker connected: meetings, focus, dependencies and planning are null with no_data', async () => {
    const m = await metrics('2026-03-09', '2026-03-16')
    // before: 0 meeting hours and a full-focus week (40 h): perfect health
    expect(m.metrics.meeting_hours_per_person_week).toBeNull()
    expect(m.metrics.focus_hours_per_person_week).toBeNull()
    expect(m.metrics.director_escalation_meeting_hours_week).toBeNull()
    expect(m.withheld.meeting_hours_per_person_week).toMatch(/^no_data: /)
    expect(m.withheld.focus_hours_per_person_week).toMatch(/^no_data: /)
    expect(m.withheld.director_escalation_meeting_hours_week).toMatch(/^no_data: /)
    expect(m.coverage.calendar).toEqual({ covered: 0, people: 10, share: 0 })
    // before: 0 open blockers and 0 blocked item-days with no tracker at all
    for (const id of [
      'blockers_open',
      'blocked_item_days',
      'blocker_age_p50_days',
      'cycle_completion_rate',
      'scope_added_rate',
    ]) {
      expect(m.metrics[id], id).toBeNull()
      expect(m.withheld[id], id).toMatch(/^no_data: no Jira project or Linear team/)
    }
    expect(m.coverage.trackers).toEqual({ synced: 0 })
    // decisions have their own source: untouched (nothing decided is a true 0 here)
    expect(m.metrics.decisions_decided).toBe(0)
  })

  it('imports calendars and syncs Jira through the commands', async () => {
    const first = await orgpulse(
      'ingest',
      'calendar',
      '--config',
      join(work, 'first.yaml'),
      '--from',
      '2026-03-02',
      '--to',
      '2026-03-16',
    )
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('p1.ics (p1@x.io): 3 occurrence(s)')
    const later = await orgpulse(
      'ingest',
      'calendar',
      '--config',
      join(work, 'later.yaml'),
      '--from',
      '2026-03-09',
      '--to',
      '2026-03-16',
    )
    expect(later.code, later.stderr).toBe(0)
    const jira = await orgpulse('ingest', 'jira', '--config', join(work, 'later.yaml'))
    expect(jira.code, jira.stderr).toBe(0)
  })

  it('9 of 10 calendars synced: the means are over those 9 only', async () => {
    const m = await metrics('2026-03-09', '2026-03-16')
    expect(m.coverage.calendar).toEqual({ covered: 9, people: 10, share: 0.9 })
    expect(m.metrics.meeting_hours_per_person_week).toBeCloseTo(19 / 9, 6)
    expect(m.metrics.focus_hours_per_person_week).toBeCloseTo(332 / 9, 6)
    expect(m.withheld.meeting_hours_per_person_week).toBeUndefined()
    // the director's own calendar is synced: a true 0 (no escalation meetings)
    expect(m.metrics.director_escalation_meeting_hours_week).toBe(0)
    const team = m.teams.find((t) => t.id === 'u:m1@x.io')!
    expect(team.coverage.calendar).toEqual({ covered: 8, people: 9, share: 0.888889 })
    // issue 17 item 5: the team's 17 / 8 and 295 / 8 would give the director's own week by
    // subtraction (19 − 17 = 2 meeting hours, 332 − 295 = 37 focus hours): the only team is
    // withheld as the complement of the director's residual
    for (const id of ['meeting_hours_per_person_week', 'focus_hours_per_person_week']) {
      expect(team.metrics[id]).toBeNull()
      expect(team.withheld[id]).toMatch(/^withheld: complementary suppression/)
    }
  })

  it('6 of 10 calendars synced, calendar.minCoverage 0.8: partial_coverage with the share', async () => {
    const m = await metrics('2026-03-02', '2026-03-16', '--grain', 'week')
    expect(m.coverage.calendar).toEqual({ covered: 6, people: 10, share: 0.6 })
    expect(m.metrics.meeting_hours_per_person_week).toBeNull()
    expect(m.metrics.focus_hours_per_person_week).toBeNull()
    expect(m.withheld.meeting_hours_per_person_week).toMatch(
      /^partial_coverage: 6 of 10 people \(60%, share 0.6\)/,
    )
    const [w1, w2] = m.series!
    expect(w1!.coverage.calendar).toEqual({ covered: 6, people: 10, share: 0.6 })
    expect(w1!.metrics.meeting_hours_per_person_week).toBeNull()
    expect(w1!.withheld.focus_hours_per_person_week).toMatch(/^partial_coverage: /)
    expect(w2!.coverage.calendar).toEqual({ covered: 9, people: 10, share: 0.9 })
    expect(w2!.metrics.meeting_hours_per_person_week).toBeCloseTo(19 / 9, 6)
  })

  it('a synced tracker with no links: blockers_open is a true 0; no cycles is still no data', async () => {
    const m = await metrics('2026-03-09', '2026-03-16')
    expect(m.coverage.trackers).toEqual({ synced: 1 })
    expect(m.metrics.blockers_open).toBe(0)
    expect(m.metrics.blocked_item_days).toBe(0)
    expect(m.withheld.blockers_open).toBeUndefined()
    expect(m.metrics.cycle_completion_rate).toBeNull()
    expect(m.withheld.cycle_completion_rate).toBe('no_data: no data in the window')
    const team = m.teams.find((t) => t.id === 'u:m1@x.io')!
    expect(team.metrics.blockers_open).toBe(0)
  })

  it('the table output shows the coverage', async () => {
    const res = await orgpulse(
      'metrics',
      '--org',
      'dir@x.io',
      '--from',
      '2026-03-02',
      '--to',
      '2026-03-16',
      '--config',
      join(work, 'later.yaml'),
    )
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/calendar coverage: 6 of 10 people \(60%\)/)
    expect(res.stdout).toMatch(/Meeting hours per person per week: partial_coverage/)
    // the value's cell says what the null is, never a number
    expect(res.stdout).toMatch(
      /^Meeting hours per person per week +no data +6 +people with calendars synced/m,
    )
  })
})
