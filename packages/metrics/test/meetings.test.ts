import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { configSchema, eventId, toClickHouseTime } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from '../src/compute.ts'
import { meetingMetrics } from '../src/families/meetings.ts'

/**
 * A hand-computed scenario (times UTC unless said otherwise). Org (snapshot 2026-01-01):
 * dir@acme.com leads u:dir (time zone Europe/Berlin); mgr@acme.com leads u:mgr under it (time
 * zone unset → workingHours.timeZone UTC); ana@acme.com reports to mgr (UTC).
 * Window [2026-03-23, 2026-04-06): two weeks, Europe switches to summer time on 2026-03-29, so
 * dir's 09:00–17:00 is 08:00–16:00Z in week 1 and 07:00–15:00Z in week 2.
 *
 * Meetings:
 *  M1 team sync (mgr organises; ana accepted; dir DECLINED)  Tue 24 and Tue 31, 10:00–11:00
 *  M2 escalation (mgr organises; dir accepted)               Wed 25, 13:00–14:30
 *  M3 decision review (dir organises; ana tentative)         Thu Apr 2, 08:00–09:00
 *  M4 all-day offsite (dir, ana)                             Thu 26            → excluded
 *  M5 (mgr, ana) stored confirmed, then CANCELLED            Fri 27, 10:00–12:00 → excluded
 *  M6 ritual "weekly director sync" (dir organises; mgr)     Mon 23 14:00–15:00 held; Mon 30 cancelled
 *  M7 ana with an external guest, double-booked with M1     Tue 24, 10:30–11:30
 *  M8 ritual "team retro" (mgr organises; ana)               Thu 26 and Thu Apr 2, 15:00–15:30
 *  M10 ana out of office all day                            Fri Apr 3          → not a meeting
 *  M11 mgr out of office                                    Mon 30, 13:00–17:00 → not a meeting
 *
 * Meeting hours (union per person): dir M2 1.5 + M3 1 + M6 1 = 3.5; mgr M1 2 + M2 1.5 + M6 1
 * + M8 1 = 5.5; ana Tue 24 10:00–11:30 1.5 + Tue 31 1 + M3 1 + M8 1 = 4.5.
 * Focus hours (gaps ≥ 2 h in working hours; absences are not free): ana 63.5, mgr 65.5, dir 73
 * (see the per-day sums in the tests below).
 */
const DIR = 'dir@acme.com'
const MGR = 'mgr@acme.com'
const ANA = 'ana@acme.com'
const U_DIR = `u:${DIR}`
const U_MGR = `u:${MGR}`

let dir: string
let client: ClickHouseClient

interface MeetingRow {
  key: string
  start: string
  end: string
  cls: string
  ritual?: string
  organizer: string
  attendees: [string, string][]
  allDay?: boolean
  cancelled?: boolean
  external?: number
  version?: number
}

function row(m: MeetingRow) {
  const version = m.version ?? 1
  return {
    id: eventId('calendar', m.key, String(version)),
    source: 'calendar',
    source_id: m.key,
    meeting_id: m.key,
    start: toClickHouseTime(m.start),
    end: toClickHouseTime(m.end),
    all_day: m.allDay ? 1 : 0,
    cancelled: m.cancelled ? 1 : 0,
    class: m.cls,
    ritual: m.ritual ?? '',
    organizer: m.organizer,
    attendees: m.attendees.map((a) => a[0]),
    responses: m.attendees.map((a) => a[1]),
    external_attendees: m.external ?? 0,
    occurred_at: toClickHouseTime(m.start),
    version,
  }
}

const config = configSchema.parse({
  workingHours: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5], timeZone: 'UTC' },
  calendar: {
    internalDomains: ['acme.com'],
    rituals: [
      { name: 'weekly director sync', cadence: 'weekly', owner: DIR },
      { name: 'team retro', cadence: 'weekly' },
      // no whole month lies inside the window: expected 0 times, so it does not count
      { name: 'monthly portfolio review', cadence: 'monthly', owner: DIR },
    ],
  },
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-meetings-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  const effective = '2026-01-01'
  const insert = (table: string, values: Record<string, unknown>[]) =>
    client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
  await insert('org_snapshots', [
    { effective, imported_at: '2026-01-01 00:00:00.000', people: 3, units: 2, source: 'test' },
  ])
  const person = (email: string, manager: string, level: number, home: string, timezone: string) => ({
    effective,
    person_id: email,
    email,
    name: email,
    title: '',
    manager_id: manager,
    employee_id: '',
    level,
    home_unit: home,
    timezone,
  })
  await insert('org_people', [
    person(DIR, '', 2, U_DIR, 'Europe/Berlin'),
    person(MGR, DIR, 1, U_MGR, ''),
    person(ANA, MGR, 0, U_MGR, 'UTC'),
  ])
  await insert('org_units', [
    { effective, unit_id: U_DIR, name: 'Product Engineering', kind: 'org', manager_id: DIR, parent_id: '' },
    { effective, unit_id: U_MGR, name: 'Platform', kind: 'team', manager_id: MGR, parent_id: U_DIR },
  ])
  await insert('org_closure', [
    { effective, unit_id: U_DIR, ancestor_id: U_DIR, depth: 0 },
    { effective, unit_id: U_MGR, ancestor_id: U_MGR, depth: 0 },
    { effective, unit_id: U_MGR, ancestor_id: U_DIR, depth: 1 },
  ])
  const meetings: MeetingRow[] = [
    {
      key: 'm1|24',
      start: '2026-03-24T10:00:00Z',
      end: '2026-03-24T11:00:00Z',
      cls: 'team',
      organizer: MGR,
      attendees: [
        [MGR, 'accepted'],
        [ANA, 'accepted'],
        [DIR, 'declined'],
      ],
    },
    {
      key: 'm1|31',
      start: '2026-03-31T10:00:00Z',
      end: '2026-03-31T11:00:00Z',
      cls: 'team',
      organizer: MGR,
      attendees: [
        [MGR, 'accepted'],
        [ANA, 'accepted'],
        [DIR, 'declined'],
      ],
    },
    {
      key: 'm2',
      start: '2026-03-25T13:00:00Z',
      end: '2026-03-25T14:30:00Z',
      cls: 'escalation',
      organizer: MGR,
      attendees: [
        [MGR, 'accepted'],
        [DIR, 'accepted'],
      ],
    },
    {
      key: 'm3',
      start: '2026-04-02T08:00:00Z',
      end: '2026-04-02T09:00:00Z',
      cls: 'decision_review',
      organizer: DIR,
      attendees: [[ANA, 'tentative']],
    },
    {
      key: 'm4',
      start: '2026-03-26T00:00:00Z',
      end: '2026-03-27T00:00:00Z',
      cls: 'other',
      organizer: DIR,
      attendees: [
        [DIR, 'accepted'],
        [ANA, 'accepted'],
      ],
      allDay: true,
    },
    {
      key: 'm5',
      start: '2026-03-27T10:00:00Z',
      end: '2026-03-27T12:00:00Z',
      cls: 'one_on_one',
      organizer: MGR,
      attendees: [[ANA, 'accepted']],
      version: 1,
    },
    {
      key: 'm5',
      start: '2026-03-27T10:00:00Z',
      end: '2026-03-27T12:00:00Z',
      cls: 'one_on_one',
      organizer: MGR,
      attendees: [[ANA, 'accepted']],
      version: 2,
      cancelled: true,
    },
    {
      key: 'm6|23',
      start: '2026-03-23T14:00:00Z',
      end: '2026-03-23T15:00:00Z',
      cls: 'ritual',
      ritual: 'weekly director sync',
      organizer: DIR,
      attendees: [
        [DIR, 'accepted'],
        [MGR, 'accepted'],
      ],
    },
    {
      key: 'm6|30',
      start: '2026-03-30T14:00:00Z',
      end: '2026-03-30T15:00:00Z',
      cls: 'ritual',
      ritual: 'weekly director sync',
      organizer: DIR,
      attendees: [
        [DIR, 'accepted'],
        [MGR, 'accepted'],
      ],
      cancelled: true,
    },
    {
      key: 'm7',
      start: '2026-03-24T10:30:00Z',
      end: '2026-03-24T11:30:00Z',
      cls: 'other',
      organizer: ANA,
      attendees: [[ANA, 'accepted']],
      external: 1,
    },
    {
      key: 'm8|26',
      start: '2026-03-26T15:00:00Z',
      end: '2026-03-26T15:30:00Z',
      cls: 'ritual',
      ritual: 'team retro',
      organizer: MGR,
      attendees: [
        [MGR, 'accepted'],
        [ANA, 'accepted'],
      ],
    },
    {
      key: 'm8|02',
      start: '2026-04-02T15:00:00Z',
      end: '2026-04-02T15:30:00Z',
      cls: 'ritual',
      ritual: 'team retro',
      organizer: MGR,
      attendees: [
        [MGR, 'accepted'],
        [ANA, 'accepted'],
      ],
    },
    // absences: busy for focus, never meeting time
    {
      key: 'm10',
      start: '2026-04-03T00:00:00Z',
      end: '2026-04-04T00:00:00Z',
      cls: 'out_of_office',
      organizer: ANA,
      attendees: [],
      allDay: true,
    },
    {
      key: 'm11',
      start: '2026-03-30T13:00:00Z',
      end: '2026-03-30T17:00:00Z',
      cls: 'out_of_office',
      organizer: MGR,
      attendees: [],
    },
    // outside the window (the week before): must not count
    {
      key: 'm9',
      start: '2026-03-20T10:00:00Z',
      end: '2026-03-20T12:00:00Z',
      cls: 'escalation',
      organizer: DIR,
      attendees: [[ANA, 'accepted']],
    },
  ]
  // separate inserts: the second m5 row must replace the first through ReplacingMergeTree
  for (const m of meetings) await insert('meetings', [row(m)])
  // everyone's own calendar was read (a Google full sync) over the whole period the tests ask about
  await insert(
    'source_coverage',
    [DIR, MGR, ANA].map((p) => ({
      id: eventId('calendar', `synced:calendar:${p}`, 'full'),
      source: 'calendar',
      source_id: `calendar:${p}`,
      scope_kind: 'calendar',
      scope_id: p,
      mode: 'full',
      covered_from: '2026-01-01 00:00:00.000',
      covered_to: '2026-06-01 00:00:00.000',
      teams: [],
      occurred_at: '2026-06-01 00:00:00.000',
      version: 1,
    })),
  )
})

afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function values(from: string, to: string, cfg = config) {
  const res = await evaluate(
    client,
    cfg,
    [U_DIR, U_MGR],
    [{ from: new Date(from), to: new Date(to) }],
    meetingMetrics,
  )
  const key = toClickHouseTime(from)
  return { org: res.get(U_DIR)?.get(key) ?? {}, team: res.get(U_MGR)?.get(key) ?? {} }
}

describe('meeting metrics against hand computations', () => {
  it('meeting_hours_per_person_week: declined, all-day and cancelled excluded, double-booking counted once', async () => {
    const { org, team } = await values('2026-03-23T00:00:00Z', '2026-04-06T00:00:00Z')
    // (3.5 + 5.5 + 4.5) h / (3 people × 14 days / 7) = 13.5 / 6
    expect(org.meeting_hours_per_person_week).toBeCloseTo(2.25, 6)
    // (5.5 + 4.5) / (2 × 2)
    expect(team.meeting_hours_per_person_week).toBeCloseTo(2.5, 6)
  })

  it("director_escalation_meeting_hours_week: the scope leader's escalation + decision-review hours", async () => {
    const { org, team } = await values('2026-03-23T00:00:00Z', '2026-04-06T00:00:00Z')
    // dir: M2 1.5 h + M3 1 h over 2 weeks (M9 lies before the window)
    expect(org.director_escalation_meeting_hours_week).toBeCloseTo(1.25, 6)
    // mgr leads the team: M2 1.5 h over 2 weeks
    expect(team.director_escalation_meeting_hours_week).toBeCloseTo(0.75, 6)
  })

  it('focus_hours_per_person_week: free blocks ≥ 2 h in working hours, per-person time zone across the DST change, absences not free', async () => {
    const { org, team } = await values('2026-03-23T00:00:00Z', '2026-04-06T00:00:00Z')
    // ana (UTC): 8 + 5.5 + 8 + 6 + 8 | 8 + 6 + 8 + 6 + 0 (M10, out all Friday) = 63.5
    // mgr (default UTC): 7 + 6 + 6.5 + 6 + 8 | 4 (M11 from 13:00) + 6 + 8 + 6 + 8 = 65.5
    // dir (Berlin, 08–16Z then 07–15Z): 6 + 8 + 5 + 8 + 8 | 8 + 8 + 8 + 6 + 8 = 73
    // (with a fixed UTC+1 offset, Thu Apr 2 would give 7 h instead of 6: 74)
    expect(org.focus_hours_per_person_week).toBeCloseTo((63.5 + 65.5 + 73) / 6, 6)
    expect(team.focus_hours_per_person_week).toBeCloseTo((63.5 + 65.5) / 4, 6)
  })

  it('ritual_adherence: held / expected cadence periods of the rituals expected in each scope', async () => {
    const { org, team } = await values('2026-03-23T00:00:00Z', '2026-04-06T00:00:00Z')
    // org: director sync 1 of 2 weeks (the second was cancelled) + team retro 2 of 2; the
    // monthly review has no whole month in the window
    expect(org.ritual_adherence).toBeCloseTo(3 / 4, 6)
    // the director sync is owned by dir, whose home unit is not inside u:mgr
    expect(team.ritual_adherence).toBeCloseTo(1, 6)
  })

  it('a single week gives the plain weekly figures', async () => {
    const { org } = await values('2026-03-23T00:00:00Z', '2026-03-30T00:00:00Z')
    // week 1 meetings: dir M2 1.5 + M6 1 = 2.5; mgr M1 1 + M2 1.5 + M6 1 + M8 0.5 = 4; ana 1.5 + 0.5 = 2
    expect(org.meeting_hours_per_person_week).toBeCloseTo((2.5 + 4 + 2) / 3, 6)
    expect(org.director_escalation_meeting_hours_week).toBeCloseTo(1.5, 6)
    // focus week 1: ana 8 + 5.5 + 8 + 6 + 8 = 35.5; mgr 7 + 6 + 6.5 + 6 + 8 = 33.5; dir 6 + 8 + 5 + 8 + 8 = 35
    expect(org.focus_hours_per_person_week).toBeCloseTo((35.5 + 33.5 + 35) / 3, 6)
    expect(org.ritual_adherence).toBeCloseTo(1, 6)
  })

  it('without a calendar section: no rituals expected (null), the rest unchanged', async () => {
    const { org } = await values('2026-03-23T00:00:00Z', '2026-04-06T00:00:00Z', configSchema.parse({}))
    expect(org.ritual_adherence).toBeNull()
    expect(org.meeting_hours_per_person_week).toBeCloseTo(2.25, 6)
  })

  it('a window with no people in the scope gives no figures', async () => {
    const res = await evaluate(
      client,
      config,
      ['u:nobody@acme.com'],
      [{ from: new Date('2026-03-23T00:00:00Z'), to: new Date('2026-03-30T00:00:00Z') }],
      meetingMetrics,
    )
    expect(res.size).toBe(0)
  })
})

describe('calendar coverage', () => {
  const syncRow = (
    person: string,
    mode: 'full' | 'incremental' | 'range',
    from: string,
    to: string,
    at: string,
  ) => ({
    id: eventId('calendar', `synced:calendar:${person}`, `${mode}:${at}`),
    source: 'calendar',
    source_id: `calendar:${person}`,
    scope_kind: 'calendar',
    scope_id: person,
    mode,
    covered_from: toClickHouseTime(from),
    covered_to: toClickHouseTime(to),
    teams: [],
    occurred_at: toClickHouseTime(at),
    version: 1,
  })

  it('measures only the people whose own calendar covers the window; an incremental sync carries its full sync on', async () => {
    // every full sync above ends on 06-01: nobody is covered in the week of 06-01
    const before = await values('2026-06-01T00:00:00Z', '2026-06-08T00:00:00Z')
    expect([before.org._cal_covered, before.org._cal_people]).toEqual([0, 3])
    expect(before.org.meeting_hours_per_person_week).toBeNull()
    expect(before.org.focus_hours_per_person_week).toBeNull()
    expect(before.org.director_escalation_meeting_hours_week).toBeNull()
    expect(before.org._leader_covered).toBe(0)
    await client.insert({
      table: 'source_coverage',
      values: [
        // ana's calendar: an incremental sync on 06-10 continues the full sync of 06-01
        syncRow(ANA, 'incremental', '2026-06-10T00:00:00Z', '2026-06-10T00:00:00Z', '2026-06-10T00:00:00Z'),
        // dir's: an ICS import of 06-03 → 06-08 leaves 06-01 and 06-02 uncovered
        syncRow(DIR, 'range', '2026-06-03T00:00:00Z', '2026-06-08T00:00:00Z', '2026-06-10T00:00:00Z'),
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    })
    const after = await values('2026-06-01T00:00:00Z', '2026-06-08T00:00:00Z')
    expect([after.org._cal_covered, after.org._cal_people]).toEqual([1, 3])
    // ana alone, an empty week: a true 0 meeting hours and 5 × 8 h of focus
    expect(after.org.meeting_hours_per_person_week).toBe(0)
    expect(after.org.focus_hours_per_person_week).toBe(40)
    // the leader's own calendar is not covered for the whole window
    expect(after.org.director_escalation_meeting_hours_week).toBeNull()
    // 06-03 → 06-08 is covered for dir by the import
    const late = await values('2026-06-03T00:00:00Z', '2026-06-08T00:00:00Z')
    expect([late.org._cal_covered, late.org._leader_covered]).toEqual([2, 1])
  })
})
