import { rmSync } from 'node:fs'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type CanonicalEventInput, configSchema, eventId, toClickHouseTime } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALERT_RULES, alertRuleById, judgeAlertRows } from '../src/alerts.ts'
import { evaluate } from '../src/compute.ts'
import { meetingMetrics } from '../src/families/meetings.ts'
import { ritualHistory } from '../src/rituals.ts'
import { freshClickHouse, importCsv, insertEvents } from './helpers.ts'

/**
 * Per-ritual history and `rituals_stopped`, by hand, over one small org: dir leads mgr, who
 * leads ana and bob. Rituals:
 *  - "director sync", weekly, owned by dir (expected in u:dir only): held Tue Mar 3, Tue Mar 10,
 *    missed the week of Mar 16, held Tue Mar 24 (and Tue Mar 17 cancelled);
 *  - "team retro", weekly, no owner (expected everywhere): last held Feb 24, then never;
 *  - "monthly review", monthly, owned by dir: held Wed Mar 11.
 * Weeks start on Mondays (2026-03-02 is one).
 */
const DIR = 'dir@acme.com'
const MGR = 'mgr@acme.com'
const U_DIR = `u:${DIR}`
const U_MGR = `u:${MGR}`

const config = configSchema.parse({
  calendar: {
    rituals: [
      { name: 'director sync', cadence: 'weekly', owner: DIR },
      { name: 'team retro', cadence: 'weekly' },
      { name: 'monthly review', cadence: 'monthly', owner: DIR },
    ],
  },
})

const meeting = (key: string, start: string, ritual: string, cancelled = false): CanonicalEventInput => ({
  type: 'meeting.held',
  id: eventId('calendar', key, '1'),
  source: 'calendar',
  sourceId: key,
  occurredAt: start,
  version: 1,
  meetingId: key,
  start,
  end: new Date(Date.parse(start) + 3_600_000).toISOString(),
  allDay: false,
  cancelled,
  class: 'ritual',
  ritual,
  organizer: DIR,
  attendees: [
    { person: DIR, response: 'accepted' },
    { person: MGR, response: 'accepted' },
  ],
  externalAttendees: 0,
})

let client: ClickHouseClient
let dir: string

beforeAll(async () => {
  ;({ client, dir } = await freshClickHouse())
  await importCsv(
    client,
    dir,
    'org.csv',
    `email,name,manager_email,title\n${DIR},Dir,,Director\n${MGR},Mgr,${DIR},EM\nana@acme.com,Ana,${MGR},Eng\nbob@acme.com,Bob,${MGR},Eng\n`,
    '2026-01-01',
  )
  await insertEvents(client, [
    meeting('ds-03', '2026-03-03T10:00:00Z', 'director sync'),
    meeting('ds-10', '2026-03-10T10:00:00Z', 'director sync'),
    meeting('ds-17', '2026-03-17T10:00:00Z', 'director sync', true),
    meeting('ds-24', '2026-03-24T10:00:00Z', 'director sync'),
    meeting('tr-feb', '2026-02-24T15:00:00Z', 'team retro'),
    meeting('mr-11', '2026-03-11T09:00:00Z', 'monthly review'),
  ])
})

afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

const window = (from: string, to: string) => ({
  from: new Date(`${from}T00:00:00Z`),
  to: new Date(`${to}T00:00:00Z`),
})

async function metricValues(scope: string, from: string, to: string) {
  const w = window(from, to)
  const res = await evaluate(client, config, [scope], [w], meetingMetrics)
  return res.get(scope)?.get(toClickHouseTime(w.from)) ?? {}
}

const brief = (h: Awaited<ReturnType<typeof ritualHistory>>) =>
  h.map((r) => ({
    name: r.name,
    held: r.held,
    expected: r.expected,
    periods: r.periods.map(
      (p) => `${p.start}${p.expected ? (p.held ? ' held' : ' missed') : ' not expected'}`,
    ),
  }))

describe('ritualHistory', () => {
  it('names each ritual with its held and missed periods; its totals are ritual_adherence', async () => {
    const h = await ritualHistory(client, config, { scope: U_DIR, ...window('2026-03-02', '2026-03-23') })
    expect(brief(h)).toEqual([
      {
        name: 'director sync',
        held: 2,
        expected: 3,
        // the cancelled occurrence of Mar 17 does not hold the week
        periods: ['2026-03-02 held', '2026-03-09 held', '2026-03-16 missed'],
      },
      {
        name: 'team retro',
        held: 0,
        expected: 3,
        periods: ['2026-03-02 missed', '2026-03-09 missed', '2026-03-16 missed'],
      },
      // no whole month inside the window
      { name: 'monthly review', held: 0, expected: 0, periods: [] },
    ])
    expect(h[0]!.periods[0]).toEqual({ start: '2026-03-02', end: '2026-03-09', expected: true, held: true })
    expect(h.map((r) => [r.cadence, r.owner])).toEqual([
      ['weekly', DIR],
      ['weekly', null],
      ['monthly', DIR],
    ])
    const m = await metricValues(U_DIR, '2026-03-02', '2026-03-23')
    // 2 held of 6 expected
    expect(m.ritual_adherence).toBeCloseTo(2 / 6, 6)
    const held = h.reduce((n, r) => n + r.held, 0)
    const expected = h.reduce((n, r) => n + r.expected, 0)
    expect(held / expected).toBeCloseTo(m.ritual_adherence as number, 6)
  })

  it('a whole month and five weeks: the totals still equal the metric', async () => {
    const h = await ritualHistory(client, config, { scope: U_DIR, ...window('2026-03-01', '2026-04-06') })
    expect(brief(h).map((r) => [r.name, r.held, r.expected])).toEqual([
      ['director sync', 3, 5],
      ['team retro', 0, 5],
      ['monthly review', 1, 1],
    ])
    const m = await metricValues(U_DIR, '2026-03-01', '2026-04-06')
    expect(m.ritual_adherence).toBeCloseTo(4 / 11, 6)
  })

  it('a ritual owned outside the scope has its periods, none expected', async () => {
    const h = await ritualHistory(client, config, { scope: U_MGR, ...window('2026-03-02', '2026-03-23') })
    expect(brief(h)[0]).toEqual({
      name: 'director sync',
      held: 0,
      expected: 0,
      periods: ['2026-03-02 not expected', '2026-03-09 not expected', '2026-03-16 not expected'],
    })
    expect(h[1]!.expected).toBe(3)
    expect((await metricValues(U_MGR, '2026-03-02', '2026-03-23')).ritual_adherence).toBe(0)
  })

  it('no rituals configured: nothing', async () => {
    expect(
      await ritualHistory(client, configSchema.parse({}), {
        scope: U_DIR,
        ...window('2026-03-02', '2026-03-23'),
      }),
    ).toEqual([])
  })
})

describe('rituals_stopped', () => {
  it('counts the rituals held in none of their periods inside the window', async () => {
    // three weeks: the director sync missed one week (not stopped), the team retro all three
    expect((await metricValues(U_DIR, '2026-03-02', '2026-03-23')).rituals_stopped).toBe(1)
    expect((await metricValues(U_DIR, '2026-03-09', '2026-03-23')).rituals_stopped).toBe(1)
    // the week the director sync was cancelled: both stopped over that week alone
    expect((await metricValues(U_DIR, '2026-03-16', '2026-03-23')).rituals_stopped).toBe(2)
    // the director sync is not expected in mgr's team; its retro is
    expect((await metricValues(U_MGR, '2026-03-02', '2026-03-23')).rituals_stopped).toBe(1)
    // with the month inside, the monthly review was held: still only the retro
    expect((await metricValues(U_DIR, '2026-03-01', '2026-04-06')).rituals_stopped).toBe(1)
  })

  it('no ritual with a whole period inside the window: no value', async () => {
    const only = configSchema.parse({
      calendar: { rituals: [{ name: 'monthly review', cadence: 'monthly' }] },
    })
    const w = window('2026-03-02', '2026-03-23')
    const res = await evaluate(client, only, [U_DIR], [w], meetingMetrics)
    expect(res.get(U_DIR)?.get(toClickHouseTime(w.from))?.rituals_stopped).toBeNull()
  })

  it('the ritual_stopped alert rule reads it over 3 weeks and fires above ritualsStoppedMax (default 0)', () => {
    const rule = alertRuleById('ritual_stopped')
    expect(ALERT_RULES).toContain(rule)
    expect(rule).toMatchObject({ metric: 'rituals_stopped', condition: 'above', windowWeeks: 3 })
    expect(config.alerts.ritualsStoppedMax).toBe(0)
    const fired = judgeAlertRows(rule, config, [
      { director: DIR, value: 1 },
      { director: MGR, value: 0 },
    ])
    expect(fired.map((f) => [f.org, f.value, f.threshold])).toEqual([[DIR, 1, 0]])
  })
})
