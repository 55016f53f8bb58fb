import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, writeFacts } from '@orgpulse/clickhouse'
import { configSchema, type DecisionRecordInput } from '@orgpulse/contracts'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { transformBytes } from '../../../test/setup/pipeline.ts'
import {
  buildReview,
  type ReviewCell,
  type ReviewReport,
  type ReviewSection,
  type ReviewTable,
} from '../src/index.ts'

/*
 * A small org re-organised in 2026-Q3 (hand-computed before the code):
 *   ceo ── dir ─┬─ m1 "Alpha": a1…a6        (a5 moves to m2 on 2026-08-12)
 *               ├─ m2 "Beta":  b1…b5
 *               └─ m3 "Gamma": c1           (2 people with m3: under privacy.minGroupSize 5)
 * The decision log begins 2026-05-01: it covers 61 of 91 days of 2026-Q2 (67 %), so the Q3
 * review refuses comparisons with Q2; Q3 is covered whole, so the Q4 review compares.
 * Decisions (raiser → decider, latency hours; dir above the raiser's manager = escalated):
 *   Q2: a1→m1 48 (05-01), b1→dir 72
 *   Q3 before the re-org [07-01, 08-12): a1→m1 10, a2→m1 20, a3→dir 100 | b1→m2 30, b2→dir 200
 *   Q3 after [08-12, 09-23): a1→m1 8, a2→m1 12, a3→m1 16 | b1→m2 40, a5→m2 50
 *   Q4 through 11-30: a1→m1 4, a2→m1 6, a3→m1 8 | b1→dir 96, b2→m2 24, a5→m2 12
 *   raised 11-30 10:00, decided 12-01: after the last complete week of the running Q4, not counted
 * Re-org: 6 weeks each side (07-01 → 08-12 → 09-23). Alpha p50 20 → 12 (-40 %), escalation 1/3 → 0;
 * org p50 of 10 20 100 30 200 = 30 → of 8 12 16 40 50 = 16 (-46.67 %); Beta n = 2: too_few.
 * Q4 (now 2026-12-01T12:00Z): through Monday 2026-11-30, 60 of 92 days.
 *   Alpha p50 6 (Q3: 8 10 12 16 20 100 → 14; -57.14 %), p90 too_few (n = 3), escalation 0 (Q3 1/6)
 *   Beta p50 24 (Q3: 30 40 50 200 → 45; -46.67 %), escalation 1/3 (Q3 1/4: +33.3 %)
 *   org p50 of 4 6 8 12 24 96 = 10 (Q3: 25); Alpha vs org -40 %, Beta vs org +140 %
 *   who decides: managers 5/6, director 1/6 (Q3: 8/10, 2/10)
 * 2026-09-15 Gamma's manager changes (m3 → m4): a second re-org, 16 days each side (the quarter
 * ends 10-01), one manager change.
 * Stability Q3: 2 re-orgs (Q2: 0), 1 manager change; Q4: 0 re-orgs (-100 %). Alpha 7 → 6 people (left 1, moved 1, span 6 → 5),
 * Beta 6 → 7 (joined 1, moved 1, span 5 → 6); Gamma withheld, so no org total.
 */
const HEAD = 'email,name,manager_email,title,team\n'
const people = (prefix: string, n: number, manager: string, team: string) =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}${i + 1}@x.io,${prefix.toUpperCase()}${i + 1},${manager},Engineer,${team}\n`,
  ).join('')
const BEFORE = `${HEAD}ceo@x.io,Cleo,,CEO,
dir@x.io,Dana,ceo@x.io,Director,
m1@x.io,Mia,dir@x.io,EM,
m2@x.io,Max,dir@x.io,EM,
m3@x.io,Moe,dir@x.io,EM,
${people('a', 6, 'm1@x.io', 'Alpha')}${people('b', 5, 'm2@x.io', 'Beta')}${people('c', 1, 'm3@x.io', 'Gamma')}`
const AFTER = BEFORE.replace('a5@x.io,A5,m1@x.io,Engineer,Alpha', 'a5@x.io,A5,m2@x.io,Engineer,Beta')
/** 2026-09-15: Gamma's manager changes (m3 leaves, m4 takes c1) */
const LATER = AFTER.replace('m3@x.io,Moe,dir@x.io,EM,', 'm4@x.io,Meg,dir@x.io,EM,').replace(
  'c1@x.io,C1,m3@x.io',
  'c1@x.io,C1,m4@x.io',
)

const config = configSchema.parse({})
let client: ClickHouseClient
let q3: ReviewReport
let q4: ReviewReport

const H = 3_600_000
function decision(
  id: string,
  raiser: string,
  raised: string,
  decider: string,
  hours: number,
): DecisionRecordInput {
  const raisedAt = new Date(raised)
  return {
    id,
    title: `decision ${id}`,
    raisedBy: raiser,
    raisedAt: raisedAt.toISOString(),
    status: 'decided',
    decidedBy: decider,
    decidedAt: new Date(raisedAt.getTime() + hours * H).toISOString(),
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-review-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  for (const [name, csv, effective] of [
    ['before.csv', BEFORE, '2026-04-01'],
    ['after.csv', AFTER, '2026-08-12'],
    ['later.csv', LATER, '2026-09-15'],
  ] as const) {
    writeFileSync(join(dir, name), csv)
    await importOrg({ client, file: join(dir, name), effective })
  }
  const records = [
    decision('Q2a', 'a1@x.io', '2026-05-01T00:00:00Z', 'm1@x.io', 48),
    decision('Q2b', 'b1@x.io', '2026-05-06T09:00:00Z', 'dir@x.io', 72),
    decision('B1', 'a1@x.io', '2026-07-06T09:00:00Z', 'm1@x.io', 10),
    decision('B2', 'a2@x.io', '2026-07-08T09:00:00Z', 'm1@x.io', 20),
    decision('B3', 'a3@x.io', '2026-07-10T09:00:00Z', 'dir@x.io', 100),
    decision('B4', 'b1@x.io', '2026-07-07T09:00:00Z', 'm2@x.io', 30),
    decision('B5', 'b2@x.io', '2026-07-09T09:00:00Z', 'dir@x.io', 200),
    decision('A1', 'a1@x.io', '2026-08-17T09:00:00Z', 'm1@x.io', 8),
    decision('A2', 'a2@x.io', '2026-08-19T09:00:00Z', 'm1@x.io', 12),
    decision('A3', 'a3@x.io', '2026-08-20T09:00:00Z', 'm1@x.io', 16),
    decision('A4', 'b1@x.io', '2026-08-18T09:00:00Z', 'm2@x.io', 40),
    decision('A5', 'a5@x.io', '2026-08-24T09:00:00Z', 'm2@x.io', 50),
    decision('C1', 'a1@x.io', '2026-10-05T09:00:00Z', 'm1@x.io', 4),
    decision('C2', 'a2@x.io', '2026-10-06T09:00:00Z', 'm1@x.io', 6),
    decision('C3', 'a3@x.io', '2026-10-07T09:00:00Z', 'm1@x.io', 8),
    decision('C4', 'b1@x.io', '2026-10-05T09:00:00Z', 'dir@x.io', 96),
    decision('C5', 'b2@x.io', '2026-10-06T09:00:00Z', 'm2@x.io', 24),
    decision('C6', 'a5@x.io', '2026-10-12T09:00:00Z', 'm2@x.io', 12),
    decision('LATE', 'b3@x.io', '2026-11-30T10:00:00Z', 'm2@x.io', 22),
  ]
  const events = records.flatMap((r) =>
    transformBytes(
      Buffer.from(
        JSON.stringify({
          source: 'decisions',
          entity: 'decision',
          sourceId: r.id,
          fetchedAt: '2026-12-01T00:00:00Z',
          payload: r,
        }),
      ),
      { config },
    ),
  )
  await writeFacts(client, events)
  const now = new Date('2026-12-01T12:00:00Z')
  q3 = await buildReview(client, config, { director: 'dir@x.io', quarter: '2026-Q3', now })
  q4 = await buildReview(client, config, { director: 'dir@x.io', quarter: '2026-Q4', now })
}, 120_000)

afterAll(async () => {
  await client?.close()
})

const section = (r: ReviewReport, key: ReviewSection['key']): ReviewSection => {
  const s = r.sections.find((x) => x.key === key)
  if (!s) throw new Error(`no section ${key}`)
  return s
}
const table = (s: ReviewSection, key: string): ReviewTable => {
  const t = s.tables.find((x) => x.key === key)
  if (!t) throw new Error(`no table ${key} in ${s.key}: ${s.tables.map((x) => x.key).join(', ')}`)
  return t
}
const row = (t: ReviewTable, team: string): Record<string, ReviewCell> => {
  const r = t.rows.find((x) => x.team?.value === team || x.level?.value === team)
  if (!r)
    throw new Error(
      `no row ${team} in ${t.key}: ${t.rows.map((x) => x.team?.value ?? x.level?.value).join(', ')}`,
    )
  return r
}

describe('quarter windows', () => {
  it('measures a finished quarter whole and a running one through the last complete week', () => {
    expect(q3.window).toEqual({ from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' })
    expect(q3.partial).toEqual({
      partial: false,
      through: '2026-10-01T00:00:00.000Z',
      daysElapsed: 92,
      days: 92,
    })
    expect(q3.base).toEqual({
      quarter: '2026-Q2',
      from: '2026-04-01T00:00:00.000Z',
      to: '2026-07-01T00:00:00.000Z',
    })
    expect(q4.window.to).toBe('2026-11-30T00:00:00.000Z')
    expect(q4.partial).toEqual({
      partial: true,
      through: '2026-11-30T00:00:00.000Z',
      daysElapsed: 60,
      days: 92,
    })
    expect(q4.orgName).toBe("Dana's org")
    expect(q4.people).toBe(16)
    expect(q4.sections.map((s) => s.key)).toEqual([
      'structure_changes',
      'teams',
      'centralisation',
      'shape',
      'portfolio',
      'stability',
    ])
  })
})

describe('coverage gate', () => {
  it('refuses comparing Q3 with a Q2 the decision log covers 61 of 91 days of', () => {
    const teams = section(q3, 'teams')
    expect(teams.refused).toBe('The decision log covered 61 of 91 days of 2026-Q2 (67 %): no comparison')
    const base = teams.coverage.find((c) => c.source === 'decisions' && c.period.from === q3.base.from)!
    expect(base).toMatchObject({ daysCovered: 61, days: 91, enough: false })
    expect(base.share).toBeCloseTo(61 / 91, 5)
    // only the quarter's own figures
    const alpha = row(table(teams, 'teams'), 'Alpha')
    expect(alpha.decision_latency_p50_hours!.value).toBe(14)
    expect(alpha.decision_latency_p50_hours!.previous).toBeUndefined()
    expect(alpha.decision_latency_p50_hours!.change).toBeUndefined()
    // the org chart covers Q2 whole: stability still compares
    expect(section(q3, 'stability').refused).toBeNull()
  })

  it('compares Q4 with a Q3 covered whole', () => {
    const teams = section(q4, 'teams')
    expect(teams.refused).toBeNull()
    expect(
      teams.coverage.find((c) => c.source === 'decisions' && c.period.from === q4.window.from),
    ).toMatchObject({
      daysCovered: 60,
      days: 60,
      enough: true,
    })
    // no tracker, no calendar connected: not listed
    expect(new Set(teams.coverage.map((c) => c.source))).toEqual(new Set(['decisions', 'org']))
  })
})

describe('teams', () => {
  it('per-team change against the previous quarter and the org baseline', () => {
    const t = table(section(q4, 'teams'), 'teams')
    const alpha = row(t, 'Alpha')
    expect(alpha.decision_latency_p50_hours).toMatchObject({
      value: 6,
      previous: 14,
      sample: 3,
      status: 'ok',
    })
    expect(alpha.decision_latency_p50_hours!.change).toBeCloseTo(-8 / 14, 5)
    expect(alpha.decision_latency_p50_hours_vs_org!.value).toBeCloseTo(-0.4, 5)
    expect(alpha.decision_latency_p90_hours).toMatchObject({ value: null, status: 'too_few', sample: 3 })
    expect(alpha.decision_latency_p90_hours!.reason).toMatch(/^too_few: n = 3/)
    expect(alpha.escalation_rate).toMatchObject({ value: 0, status: 'ok' })
    expect(alpha.escalation_rate!.previous).toBeCloseTo(1 / 6, 5)
    expect(alpha.escalation_rate!.change).toBeCloseTo(-1, 5)
    expect(alpha.blockers_open).toMatchObject({ value: null, status: 'no_data' })
    const beta = row(t, 'Beta')
    expect(beta.decision_latency_p50_hours).toMatchObject({ value: 24, previous: 45 })
    expect(beta.decision_latency_p50_hours!.change).toBeCloseTo(-21 / 45, 5)
    expect(beta.decision_latency_p50_hours_vs_org!.value).toBeCloseTo(1.4, 5)
    expect(beta.escalation_rate!.value).toBeCloseTo(1 / 3, 5)
    expect(beta.escalation_rate!.change).toBeCloseTo(1 / 3, 4)
    expect(beta.escalation_rate!.status).toBe('warn')
    const org = row(t, 'dir@x.io (org)')
    expect(org.decision_latency_p50_hours).toMatchObject({ value: 10, previous: 25 })
    expect(org.decision_latency_p50_hours!.change).toBeCloseTo(-0.6, 5)
  })
})

describe('structure changes', () => {
  it('the re-org of 2026-08-12 over 6 weeks each side', () => {
    const s = section(q3, 'structure_changes')
    const reorgs = table(s, 'reorgs')
    expect(reorgs.rows).toHaveLength(2)
    expect(reorgs.rows[1]).toMatchObject({
      effective: { value: '2026-09-15' },
      teams: { value: 'Gamma' },
      moved: { value: 1 },
      joined: { value: 1 },
      left: { value: 1 },
      window_days: { value: 16 },
    })
    // the team whose manager changed is one row, the new manager's unit after vs the old one's before
    const gamma = table(s, 'reorg_2026_09_15')
    expect(gamma.rows.map((r) => r.team!.value)).toEqual(['dir@x.io (org)', 'Gamma'])
    expect(row(gamma, 'Gamma').decisions_decided).toMatchObject({ value: 0, previous: 0 })
    expect(row(gamma, 'Gamma').people).toMatchObject({ value: 2 })
    expect(table(s, 'reorg_2026_09_15').comparison).toBe(
      '16 days before (2026-08-30 → 2026-09-15) vs after (2026-09-15 → 2026-10-01)',
    )
    expect(reorgs.rows[0]).toMatchObject({
      effective: { value: '2026-08-12' },
      moved: { value: 1 },
      joined: { value: 0 },
      left: { value: 0 },
      window_days: { value: 42 },
    })
    const t = table(s, 'reorg_2026_08_12')
    expect(t.comparison).toBe('6 weeks before (2026-07-01 → 2026-08-12) vs after (2026-08-12 → 2026-09-23)')
    const alpha = row(t, 'Alpha')
    expect(alpha.decision_latency_p50_hours).toMatchObject({ value: 12, previous: 20 })
    expect(alpha.decision_latency_p50_hours!.change).toBeCloseTo(-0.4, 5)
    expect(alpha.escalation_rate!.value).toBe(0)
    expect(alpha.escalation_rate!.previous).toBeCloseTo(1 / 3, 5)
    expect(alpha.decisions_decided).toMatchObject({ value: 3, previous: 3, change: 0 })
    const beta = row(t, 'Beta')
    expect(beta.decision_latency_p50_hours).toMatchObject({ value: null, status: 'too_few' })
    expect(beta.decisions_decided).toMatchObject({ value: 2, previous: 2 })
    const org = row(t, 'dir@x.io (org)')
    expect(org.decision_latency_p50_hours).toMatchObject({ value: 16, previous: 30 })
    expect(org.decision_latency_p50_hours!.change).toBeCloseTo(-14 / 30, 5)
    // Gamma had no one move: not an affected team
    expect(t.rows.map((r) => r.team!.value)).toEqual(['dir@x.io (org)', 'Alpha', 'Beta'])
    // the Q4 review still lists it (a re-org in the base quarter)
    expect(table(section(q4, 'structure_changes'), 'reorgs').rows).toHaveLength(2)
  })
})

describe('centralisation', () => {
  it('who decides, centralisation and the decisions escalated most', () => {
    const s = section(q4, 'centralisation')
    const who = table(s, 'who_decides')
    // a running quarter's counts are not compared with a whole quarter's; shares are
    expect(row(who, 'Managers').decisions).toMatchObject({ value: 5, previous: 8, change: null, sample: 6 })
    expect(row(table(s, 'centralisation'), 'Alpha').decisions_decided).toMatchObject({
      value: 3,
      previous: 6,
      change: null,
    })
    expect(row(who, 'Managers').share!.value).toBeCloseTo(5 / 6, 5)
    expect(row(who, 'Managers').share!.change).toBeCloseTo((5 / 6 - 0.8) / 0.8, 4)
    expect(row(who, 'Directors').share!.value).toBeCloseTo(1 / 6, 5)
    expect(row(who, 'Individual contributors').decisions!.value).toBe(0)
    const org = row(table(s, 'centralisation'), 'dir@x.io (org)')
    expect(org.centralization!.value).toBeCloseTo(1 / 6, 5)
    expect(org.centralization!.previous).toBeCloseTo(2 / 10, 5)
    const top = table(section(q3, 'centralisation'), 'most_escalated').rows
    expect(top.map((r) => [r.title!.value, r.team!.value, r.latency!.value])).toEqual([
      ['decision B5', 'Beta', 200],
      ['decision B3', 'Alpha', 100],
    ])
  })
})

describe('shape', () => {
  it('span of control, depth and load per team', () => {
    const s = section(q4, 'shape')
    const span = table(s, 'span')
    expect(row(span, 'dir@x.io (org)')).toMatchObject({
      people: { value: 16 },
      direct_reports: { value: 3 },
      levels: { value: 2 },
    })
    expect(row(span, 'Alpha')).toMatchObject({
      people: { value: 6 },
      direct_reports: { value: 5 },
      levels: { value: 1 },
    })
    expect(row(span, 'Beta')).toMatchObject({ people: { value: 7 }, direct_reports: { value: 6 } })
    const load = table(s, 'load')
    expect(row(load, 'Alpha').decisions_decided!.value).toBe(3)
    expect(row(load, 'Alpha').decisions_per_person!.value).toBeCloseTo(0.5, 5)
    expect(row(load, 'Gamma').meeting_hours_per_person_week!.status).toBe('withheld')
    expect(table(s, 'blocking_pairs').rows).toEqual([])
  })
})

describe('stability', () => {
  it('re-orgs, churn and span changes; a team under the privacy minimum is withheld with its reason', () => {
    const s = section(q3, 'stability')
    expect(row(table(s, 'summary'), 'dir@x.io')).toMatchObject({
      reorgs: { value: 2, previous: 0, change: null },
      manager_changes: { value: 1, previous: 0, change: null },
    })
    expect(row(table(section(q4, 'stability'), 'summary'), 'dir@x.io')).toMatchObject({
      reorgs: { value: 0, previous: 2, change: -1 },
      manager_changes: { value: 0, previous: 1, change: -1 },
    })
    const t = table(s, 'teams')
    expect(row(t, 'Alpha')).toMatchObject({
      people: { value: 6 },
      joined: { value: 0 },
      left: { value: 1 },
      moved: { value: 1 },
      span_start: { value: 6 },
      span_end: { value: 5 },
      span_change: { value: -1 },
      manager_changes: { value: 0 },
    })
    expect(row(t, 'Beta')).toMatchObject({
      people: { value: 7 },
      joined: { value: 1 },
      left: { value: 0 },
      moved: { value: 1 },
    })
    const small = row(t, '1 smaller team combined')
    expect(small.joined).toMatchObject({ value: null, status: 'withheld' })
    expect(small.joined!.reason).toBe('withheld: group of 2 people is below privacy.minGroupSize 5')
    // the org total would reveal the withheld team
    expect(t.rows.some((r) => r.team!.value === 'dir@x.io (org)')).toBe(false)
    expect(t.rows.map((r) => r.team!.value)).not.toContain('Gamma')
  })
})

describe('portfolio', () => {
  it('is refused until a portfolio is configured', () => {
    expect(section(q4, 'portfolio').refused).toBe('no portfolio configured')
  })
})
