import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type FakeEvent,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '@orgpulse/fakes/google-calendar'
import {
  type FakeGraphEvent,
  type FakeMsGraph,
  type GraphResponse,
  startFakeMsGraph,
} from '@orgpulse/fakes/msgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/**
 * `orgpulse ingest calendar` reading Microsoft 365 through the fake Graph, against the same
 * meetings read from Google Calendar into another data directory: the metrics must be the same,
 * and the hand-computed ones, across the end of summer time in Europe (Sunday 25 October 2026,
 * 03:00 CEST → 02:00 CET). Outlook keeps the meetings as wall times in "W. Europe Standard Time"
 * (Europe/Berlin); the HR export names the people's zone the same Windows way.
 *
 * Lena (EM) organises, the director attends:
 * - a weekly series, Mondays 10:00–11:00 Berlin: 19 Oct (08:00Z, CEST), 26 Oct (09:00Z, CET);
 * - Fri 23 Oct 16:00–17:30 "Decision review" (decision_review);
 * - Tue 27 Oct 08:30–09:30 (one hour, half of it before the working day);
 * - Wed 28 Oct 13:00–14:00, declined by the director;
 * - and, Thursday 29 Oct, the director is out of office (all day, showAs oof).
 * Working hours 09:00–17:00 Mon–Fri in each person's zone; focus = free blocks of at least 2 h.
 *
 * Week of 19 Oct (all CEST): meetings Lena 1 + 1.5 = 2.5 h, director 2.5 h → 2.5 h per person.
 *   Focus each: Mon 6 (11–17; 09–10 is under 2 h), Tue 8, Wed 8, Thu 8, Fri 7 (09–16) = 37 h.
 *   Director in escalation/decision meetings: 1.5 h.
 * Week of 26 Oct (all CET): Lena 1 + 1 + 1 = 3 h, director 1 + 1 = 2 h (declined Wednesday) → 2.5 h.
 *   Focus Lena: Mon 6, Tue 7.5 (09:30–17), Wed 7 (09–13, 14–17), Thu 8, Fri 8 = 36.5 h;
 *   director: Mon 6, Tue 7.5, Wed 8 (declined), Thu 0 (away), Fri 8 = 29.5 h → 33 h per person.
 * Were the Monday meeting of 26 Oct placed an hour early (read as CEST), it would sit at 09–10 and
 * Monday's focus would be 7 h, not 6.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-calendar-m365-'))
const m365Cli = orgpulseIn({ dataDir: join(work, 'm365'), cwd: work, config: join(work, 'm365.yaml') })
const googleCli = orgpulseIn({ dataDir: join(work, 'google'), cwd: work, config: join(work, 'google.yaml') })

const DIR = 'dir@contoso.com'
const LENA = 'lena@contoso.com'
const TZ = 'W. Europe Standard Time'

const attendees = (dirAnswer: GraphResponse): NonNullable<FakeGraphEvent['attendees']> => [
  { type: 'required' as const, status: { response: 'none' }, emailAddress: { name: 'Lena', address: LENA } },
  { type: 'required' as const, status: { response: dirAnswer }, emailAddress: { name: 'Dir', address: DIR } },
  {
    type: 'resource' as const,
    status: { response: 'accepted' },
    emailAddress: { name: 'Room', address: 'room@contoso.com' },
  },
]

const graph = (
  id: string,
  day: string,
  from: string,
  to: string,
  subject: string,
  extra: Partial<FakeGraphEvent> = {},
): FakeGraphEvent => ({
  id,
  iCalUId: `uid-${id}`,
  type: 'singleInstance',
  subject,
  start: { dateTime: `${day}T${from}:00.0000000`, timeZone: TZ },
  end: { dateTime: `${day}T${to}:00.0000000`, timeZone: TZ },
  organizer: { emailAddress: { name: 'Lena', address: LENA } },
  attendees: attendees('accepted'),
  isOnlineMeeting: true,
  onlineMeetingProvider: 'teamsForBusiness',
  ...extra,
})

const weekly = (day: string, utcStart: string) =>
  graph(`wk-${day}`, day, '10:00', '11:00', 'Team sync', {
    type: 'occurrence',
    seriesMasterId: 'wk',
    originalStart: `${day}T${utcStart}Z`,
    iCalUId: `uid-wk-${day}`,
  })

const lenaEvents: FakeGraphEvent[] = [
  weekly('2026-10-19', '08:00:00'),
  weekly('2026-10-26', '09:00:00'),
  graph('dr', '2026-10-23', '16:00', '17:30', 'Decision review: pricing'),
  graph('early', '2026-10-27', '08:30', '09:30', 'Vendor call prep'),
  graph('wed', '2026-10-28', '13:00', '14:00', 'Roadmap chat', { attendees: attendees('declined') }),
]
/** the director's copies: his own answer in responseStatus, Graph's way */
const dirCopy = (e: FakeGraphEvent, answer: GraphResponse): FakeGraphEvent => ({
  ...e,
  id: `dir-${e.id}`,
  isOrganizer: false,
  responseStatus: { response: answer },
})
const dirEvents: FakeGraphEvent[] = [
  ...lenaEvents.slice(0, 4).map((e) => dirCopy(e, 'accepted')),
  {
    id: 'dir-oof',
    iCalUId: 'uid-oof',
    type: 'singleInstance',
    subject: 'Out of office',
    start: { dateTime: '2026-10-29T00:00:00.0000000', timeZone: TZ },
    end: { dateTime: '2026-10-30T00:00:00.0000000', timeZone: TZ },
    isAllDay: true,
    showAs: 'oof',
    organizer: { emailAddress: { address: DIR } },
    attendees: [],
  },
]

/** the same meetings as Google Calendar lists them (`singleEvents=true`, offsets in the times) */
const g = (
  id: string,
  start: string,
  end: string,
  summary: string,
  extra: Partial<FakeEvent> = {},
): FakeEvent => ({
  id,
  status: 'confirmed',
  iCalUID: `uid-${id}`,
  start: { dateTime: start, timeZone: 'Europe/Berlin' },
  end: { dateTime: end, timeZone: 'Europe/Berlin' },
  eventType: 'default',
  summary,
  organizer: { email: LENA },
  attendees: [
    { email: LENA, responseStatus: 'accepted', organizer: true },
    { email: DIR, responseStatus: 'accepted' },
    { email: 'room@contoso.com', responseStatus: 'accepted', resource: true },
  ],
  ...extra,
})
const gWeekly = (day: string, offset: string) =>
  g(`wk-${day}`, `${day}T10:00:00${offset}`, `${day}T11:00:00${offset}`, 'Team sync', {
    recurringEventId: 'wk',
    originalStartTime: { dateTime: `${day}T10:00:00${offset}`, timeZone: 'Europe/Berlin' },
  })
const googleLena: FakeEvent[] = [
  gWeekly('2026-10-19', '+02:00'),
  gWeekly('2026-10-26', '+01:00'),
  g('dr', '2026-10-23T16:00:00+02:00', '2026-10-23T17:30:00+02:00', 'Decision review: pricing'),
  g('early', '2026-10-27T08:30:00+01:00', '2026-10-27T09:30:00+01:00', 'Vendor call prep'),
  g('wed', '2026-10-28T13:00:00+01:00', '2026-10-28T14:00:00+01:00', 'Roadmap chat', {
    attendees: [
      { email: LENA, responseStatus: 'accepted', organizer: true },
      { email: DIR, responseStatus: 'declined' },
    ],
  }),
]
const googleDir: FakeEvent[] = [
  ...googleLena.slice(0, 4),
  {
    id: 'oof',
    status: 'confirmed',
    iCalUID: 'uid-oof',
    start: { date: '2026-10-29' },
    end: { date: '2026-10-30' },
    eventType: 'outOfOffice',
    summary: 'Out of office',
    organizer: { email: DIR },
  },
]

let graphFake: FakeMsGraph
let googleFake: FakeGoogleCalendar

const common = [
  'privacy: { minGroupSize: 1 }',
  'workingHours: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5], timeZone: UTC }',
  'calendar:',
  '  internalDomains: [contoso.com]',
  '  minCoverage: 0.5',
]

beforeAll(async () => {
  graphFake = await startFakeMsGraph({ mailboxes: { [LENA]: lenaEvents, [DIR]: dirEvents } })
  googleFake = await startFakeGoogleCalendar({ calendars: { [LENA]: googleLena, [DIR]: googleDir } })
  // the child processes inherit the test's environment
  process.env.MSGRAPH_TENANT_ID = graphFake.tenantId
  process.env.MSGRAPH_CLIENT_ID = graphFake.clientId
  process.env.MSGRAPH_CLIENT_CERTIFICATE = graphFake.certificatePem
  process.env.ORGPULSE_TEST_GOOGLE_KEY = googleFake.serviceAccountKey
  writeFileSync(
    join(work, 'org.csv'),
    `email,name,manager_email,title,timezone\n${DIR},Dir,,Director,${TZ}\n${LENA},Lena,${DIR},EM,${TZ}\n`,
  )
  // the window reaches far back so the test keeps reading October 2026 in later years
  writeFileSync(
    join(work, 'm365.yaml'),
    [
      ...common,
      '  microsoft365:',
      `    graphUrl: ${graphFake.graphUrl}`,
      `    authorityUrl: ${graphFake.authorityUrl}`,
      '    initialDaysBack: 3650',
      '    pageSize: 3',
      '    maxRetries: 2',
      '',
    ].join('\n'),
  )
  writeFileSync(
    join(work, 'google.yaml'),
    [
      ...common,
      '  google:',
      `    rootUrl: ${googleFake.rootUrl}`,
      '    serviceAccountKeyEnv: ORGPULSE_TEST_GOOGLE_KEY',
      '    initialDaysBack: 3650',
      '    maxRetries: 0',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  for (const k of [
    'MSGRAPH_TENANT_ID',
    'MSGRAPH_CLIENT_ID',
    'MSGRAPH_CLIENT_CERTIFICATE',
    'ORGPULSE_TEST_GOOGLE_KEY',
  ])
    delete process.env[k]
  await graphFake?.close()
  await googleFake?.close()
})

const IDS = [
  'meeting_hours_per_person_week',
  'focus_hours_per_person_week',
  'director_escalation_meeting_hours_week',
] as const

async function week(cli: typeof m365Cli, from: string, to: string): Promise<(number | null)[]> {
  const r = await cli('metrics', '--org', DIR, '--from', from, '--to', to, '--format', 'json')
  expect(r.code).toBe(0)
  const m = JSON.parse(r.stdout) as { metrics: Record<string, number | null> }
  return IDS.map((id) => m.metrics[id] ?? null)
}

describe('ingest calendar from Microsoft 365 (fake Graph)', () => {
  it('gives the hand-computed meeting load across the DST change, the same as the Google payload', async () => {
    for (const cli of [m365Cli, googleCli])
      expect((await cli('org', 'import', 'org.csv', '--effective', '2026-01-01')).code).toBe(0)

    const m = await m365Cli('ingest', 'calendar')
    expect(m.stderr).not.toMatch(/error/i)
    expect(m.code).toBe(0)
    expect(m.stdout).toContain(`microsoft365 ${LENA}: full, 5 event(s) in 2 page(s)`)
    expect(m.stdout).toContain(`microsoft365 ${DIR}: full, 5 event(s) in 2 page(s)`)
    expect((await googleCli('ingest', 'calendar')).code).toBe(0)

    const expected = {
      a: [2.5, 37, 1.5],
      b: [2.5, 33, 0],
    }
    expect(await week(m365Cli, '2026-10-19', '2026-10-26')).toEqual(expected.a)
    expect(await week(m365Cli, '2026-10-26', '2026-11-02')).toEqual(expected.b)
    expect(await week(googleCli, '2026-10-19', '2026-10-26')).toEqual(expected.a)
    expect(await week(googleCli, '2026-10-26', '2026-11-02')).toEqual(expected.b)

    // Lena cancels Tuesday's call: deleted from her mailbox, the next round says @removed with its id
    graphFake.removeEvent(LENA, 'early')
    const inc = await m365Cli('ingest', 'calendar')
    expect(inc.code).toBe(0)
    expect(inc.stdout).toContain(`microsoft365 ${LENA}: incremental, 1 event(s) in 1 page(s), 1 cancelled`)
    // the director's copy still lists it (his mailbox was not told yet) but the organiser's
    // cancellation is the newest version: Lena 2 h, director 1 h → 1.5 h; focus Tue 8 h each:
    // Lena 37, director 30 → 33.5 h
    expect(await week(m365Cli, '2026-10-26', '2026-11-02')).toEqual([1.5, 33.5, 0])
    const dlq = await m365Cli('dlq', 'list', '--format', 'json')
    expect(JSON.parse(dlq.stdout)).toEqual([])
  }, 300_000)
})
