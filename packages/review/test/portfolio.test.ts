import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, writeFacts } from '@orgpulse/clickhouse'
import {
  type CanonicalEventInput,
  canonicalEventSchema,
  configSchema,
  eventId,
  type OrgpulseConfigInput,
} from '@orgpulse/contracts'
import { ADMIN_VIEWER, computeOrgMetrics } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReviewContext } from '../src/context.ts'
import { type ReviewSection, reviewSectionSchema } from '../src/model.ts'
import { portfolioSection, quantileInclusive } from '../src/sections/portfolio.ts'

/*
 * Hand-computed portfolio, Q3 2026 [07-01, 10-01). Org: dir leads m1 (Jira ENG) and m2 (Linear
 * GRO). Mapping: Jira project ENG → core, epic ENG-100 → growth, Linear team GRO → growth.
 *
 * Decisions (raised by a1 in m1 unless said):
 *   D1 ENG-1  core        raised 07-01, decided 07-02  24 h
 *   D2 ENG-2  core        raised 07-10, decided 07-13  72 h
 *   D3 ENG-3  core        raised 07-20, decided 07-21 12:00  36 h
 *   D7 ENG-7  core        raised 06-01 (Q2), decided 07-05  816 h (decided in Q3, raised before)
 *   D4 ENG-4  growth      epic ENG-100, raised 08-01, decided 08-03  48 h
 *   D5 linear growth      no project, Linear team GRO (m2, raised by b1), raised 08-10, open
 *   D6 decision log       unmapped, raised 08-15, decided 08-16  24 h
 * core: raised 3, decided 4, p50 of [24, 36, 72, 816] = 54; growth: raised 2, decided 1 (too few
 * for a median); unmapped: 1 / 1; total: raised 6, decided 6, p50 of [24, 24, 36, 48, 72, 816] = 42.
 *
 * Cross-team blockers (blocked item's bucket):
 *   L1 blocks ENG-10 (core), m2 → m1, linked 09-01, open: 30 item-days
 *   L2 blocks ENG-11 (epic ENG-100: growth), m2 → m1, 07-01 → 07-11: 10 item-days; the blocker's
 *      side recorded it too, without the epic (the portfolio takes the side that knows it)
 *   L3 blocks linear i-9 (no project; team m2 = GRO: growth), m1 → m2, linked 09-21, open: 10
 * core: open 1, 30 d; growth: open 1, 20 d; total open 2, 50 d.
 *
 * Cycles ending in Q3: C1 Jira sprint of m1 (ENG → core) 10/8/2; C2 Linear cycle of m2 (GRO →
 * growth) 20/10/6; C3 ends 10-05 (outside). Totals 30/18/8.
 */
const ORG = `email,name,manager_email,title
dir@x.io,Dana,,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
a1@x.io,Ann,m1@x.io,Eng
b1@x.io,Bea,m2@x.io,Eng
`

const configInput: OrgpulseConfigInput = {
  jira: { projects: ['ENG'], teams: [{ team: 'u:m1@x.io', projects: ['ENG'] }] },
  linear: { teams: { GRO: 'u:m2@x.io' } },
  portfolio: {
    jira: { projects: { ENG: 'core' }, epics: { 'ENG-100': 'growth' } },
    linear: { teams: { GRO: 'growth' } },
  },
}
const config = configSchema.parse(configInput)

const at = (d: string) => `2026-${d}:00.000Z`
function decision(
  id: string,
  opts: {
    source?: 'jira' | 'linear' | 'decisions'
    raisedBy?: string
    project?: string
    epic?: string
    team?: string
    raised: string
    decided?: string
  },
): CanonicalEventInput[] {
  const source = opts.source ?? 'jira'
  const common = {
    source,
    sourceId: id,
    decisionId: `${source}:${id}`,
    raisedBy: opts.raisedBy ?? 'a1@x.io',
    team: opts.team ?? (source === 'jira' ? 'u:m1@x.io' : ''),
    project: opts.project ?? (source === 'jira' ? 'ENG' : ''),
    epic: opts.epic ?? '',
  }
  const out: CanonicalEventInput[] = [
    {
      ...common,
      id: eventId(source, id, 'raised'),
      type: 'decision.raised',
      occurredAt: at(opts.raised),
      version: Date.parse(at(opts.raised)),
    },
  ]
  if (opts.decided)
    out.push({
      ...common,
      id: eventId(source, id, 'decided'),
      type: 'decision.decided',
      actor: 'm1@x.io',
      occurredAt: at(opts.decided),
      version: Date.parse(at(opts.decided)),
    })
  return out
}

function link(
  id: string,
  opts: {
    source?: 'jira' | 'linear'
    blocked: string
    blockerTeam: string
    blockedTeam: string
    project: string
    epic?: string
    linked: string
    resolved?: string
  },
): CanonicalEventInput[] {
  const source = opts.source ?? 'jira'
  const common = {
    source,
    sourceId: id,
    linkId: `${source}:${id}`,
    blockerItem: `${source}:X-${id}`,
    blockedItem: opts.blocked,
    blockerTeam: opts.blockerTeam,
    blockedTeam: opts.blockedTeam,
    project: opts.project,
    epic: opts.epic ?? '',
  }
  const out: CanonicalEventInput[] = [
    {
      ...common,
      id: eventId(source, id, 'linked'),
      type: 'dependency.linked',
      occurredAt: at(opts.linked),
      version: Date.parse(at(opts.linked)),
    },
  ]
  if (opts.resolved)
    out.push({
      ...common,
      id: eventId(source, id, 'resolved'),
      type: 'dependency.resolved',
      reason: 'blocker_done',
      occurredAt: at(opts.resolved),
      version: Date.parse(at(opts.resolved)),
    })
  return out
}

const cycle = (
  id: string,
  source: 'jira' | 'linear',
  team: string,
  endsAt: string,
  scope: [number, number, number],
): CanonicalEventInput => ({
  id: eventId(source, id, 'snapshot'),
  source,
  sourceId: id,
  type: 'cycle.snapshot',
  cycleId: `${source}:${id}`,
  team,
  startsAt: new Date(Date.parse(at(endsAt)) - 14 * 86_400_000).toISOString(),
  endsAt: at(endsAt),
  committedScope: scope[0],
  completedScope: scope[1],
  addedScope: scope[2],
  occurredAt: at(endsAt),
  version: Date.parse(at(endsAt)),
})

const synced = (
  source: 'jira' | 'linear',
  scope: string,
  teams: string[],
  when: string,
): CanonicalEventInput => ({
  id: eventId(source, `synced:${scope}`, when),
  source,
  sourceId: scope,
  type: 'source.synced',
  scopeKind: source === 'jira' ? 'project' : 'team',
  scope,
  mode: 'full',
  coveredFrom: null,
  coveredTo: at(when),
  teams,
  occurredAt: at(when),
  version: Date.parse(at(when)),
})

let client: ClickHouseClient
let section: ReviewSection

const ctxFor = (c = config): ReviewContext => ({
  client,
  config: c,
  director: 'dir@x.io',
  quarter: '2026-Q3',
  window: { from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' },
  base: { quarter: '2026-Q2', from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
  viewer: ADMIN_VIEWER,
  partial: { partial: false, through: '2026-10-01T00:00:00.000Z', daysElapsed: 92, days: 92 },
  now: new Date('2026-10-05T00:00:00.000Z'),
})

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-portfolio-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  const file = join(dir, 'org.csv')
  writeFileSync(file, ORG)
  await importOrg({ client, file, effective: '2026-01-01' })
  const events: CanonicalEventInput[] = [
    ...decision('ENG-1', { raised: '07-01T00:00', decided: '07-02T00:00' }),
    ...decision('ENG-2', { raised: '07-10T00:00', decided: '07-13T00:00' }),
    ...decision('ENG-3', { raised: '07-20T00:00', decided: '07-21T12:00' }),
    ...decision('ENG-7', { raised: '06-01T00:00', decided: '07-05T00:00' }),
    ...decision('ENG-4', { epic: 'ENG-100', raised: '08-01T00:00', decided: '08-03T00:00' }),
    ...decision('i-5', { source: 'linear', raisedBy: 'b1@x.io', team: 'u:m2@x.io', raised: '08-10T00:00' }),
    ...decision('adr-6', { source: 'decisions', raised: '08-15T00:00', decided: '08-16T00:00' }),
    ...link('L1', {
      blocked: 'jira:ENG-10',
      blockerTeam: 'u:m2@x.io',
      blockedTeam: 'u:m1@x.io',
      project: 'ENG',
      linked: '09-01T00:00',
    }),
    ...link('L2', {
      blocked: 'jira:ENG-11',
      blockerTeam: 'u:m2@x.io',
      blockedTeam: 'u:m1@x.io',
      project: 'ENG',
      epic: 'ENG-100',
      linked: '07-01T00:00',
      resolved: '07-11T00:00',
    }),
    // the blocker's side of L2 (the blocker's own record of being done, its newest row): the
    // blocked issue's project from its key, no epic
    {
      source: 'jira',
      sourceId: 'OPS-1',
      linkId: 'jira:L2',
      blockerItem: 'jira:X-L2',
      blockedItem: 'jira:ENG-11',
      blockerTeam: 'u:m2@x.io',
      blockedTeam: 'u:m1@x.io',
      project: 'ENG',
      epic: '',
      id: eventId('jira', 'L2', 'resolved:blocker-side'),
      type: 'dependency.resolved',
      reason: 'blocker_done',
      occurredAt: at('07-11T00:00'),
      version: Date.parse(at('07-11T00:00')) + 1,
    },
    ...link('L3', {
      source: 'linear',
      blocked: 'linear:i-9',
      blockerTeam: 'u:m1@x.io',
      blockedTeam: 'u:m2@x.io',
      project: '',
      linked: '09-21T00:00',
    }),
    cycle('C1', 'jira', 'u:m1@x.io', '07-15T00:00', [10, 8, 2]),
    cycle('C2', 'linear', 'u:m2@x.io', '08-01T00:00', [20, 10, 6]),
    cycle('C3', 'jira', 'u:m1@x.io', '10-05T00:00', [50, 50, 0]),
    synced('jira', 'ENG', ['u:m1@x.io'], '10-02T00:00'),
    synced('linear', 'GRO', ['u:m2@x.io'], '10-02T00:00'),
  ]
  await writeFacts(
    client,
    events.map((e) => canonicalEventSchema.parse(e)),
  )
  section = await portfolioSection(ctxFor())
}, 180_000)

afterAll(async () => {
  await client?.close()
})

const row = (s: ReviewSection, group: string) => {
  const r = s.tables[0]!.rows.find((x) => x.group?.value === group)
  if (!r) throw new Error(`no row ${group}`)
  return Object.fromEntries(Object.entries(r).map(([k, c]) => [k, c.value]))
}

describe('portfolio section: two buckets, hand-computed', () => {
  it('lists the four buckets, unmapped and the total', () => {
    expect(section.key).toBe('portfolio')
    // the contract every renderer and export reads
    expect(reviewSectionSchema.parse(section)).toEqual(section)
    expect(section.question).toBe(
      'Which portfolio bet is consuming attention without enough strategic return?',
    )
    expect(section.tables[0]!.rows.map((r) => r.group?.value)).toEqual([
      'core',
      'growth',
      'strategic_enablers',
      'experimental',
      'unmapped',
      'total',
    ])
  })

  it('core: its decisions (one raised in Q2, decided in Q3), a blocker and its sprint', () => {
    expect(row(section, 'core')).toEqual({
      group: 'core',
      decisions_raised: 3,
      decisions_decided: 4,
      decision_latency_p50_hours: 54,
      blockers_open: 1,
      blocked_item_days: 30,
      scope_committed: 10,
      scope_completed: 8,
      scope_added: 2,
    })
  })

  it('growth: an epic of a core project, a Linear team fallback; one decision is too few for a median', () => {
    expect(row(section, 'growth')).toEqual({
      group: 'growth',
      decisions_raised: 2,
      decisions_decided: 1,
      decision_latency_p50_hours: null,
      blockers_open: 1,
      blocked_item_days: 20,
      scope_committed: 20,
      scope_completed: 10,
      scope_added: 6,
    })
    const cell = section.tables[0]!.rows.find((r) => r.group?.value === 'growth')!.decision_latency_p50_hours!
    expect(cell.reason).toBe('too_few: n = 1 decisions decided (minimum 3)')
    expect(cell.status).toBe('too_few')
  })

  it('unmapped holds the decision-log record; empty buckets are zeros', () => {
    expect(row(section, 'unmapped')).toMatchObject({
      decisions_raised: 1,
      decisions_decided: 1,
      blockers_open: 0,
    })
    expect(row(section, 'experimental')).toMatchObject({
      decisions_raised: 0,
      blocked_item_days: 0,
      scope_committed: 0,
    })
  })

  it("the total is the org's own figures (computeOrgMetrics over the same window)", async () => {
    const org = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-07-01',
      to: '2026-10-01',
    })
    const total = row(section, 'total')
    expect(total).toEqual({
      group: 'total',
      decisions_raised: 6,
      decisions_decided: 6,
      decision_latency_p50_hours: 42,
      blockers_open: 2,
      blocked_item_days: 50,
      scope_committed: 30,
      scope_completed: 18,
      scope_added: 8,
    })
    expect(org.metrics.decisions_decided).toBe(total.decisions_decided)
    expect(org.metrics.decision_latency_p50_hours).toBe(total.decision_latency_p50_hours)
    expect(org.metrics.blockers_open).toBe(total.blockers_open)
    expect(org.metrics.blocked_item_days).toBe(total.blocked_item_days)
    expect(org.metrics.cycle_completion_rate).toBeCloseTo(18 / 30, 6)
  })

  it('compares with the previous quarter: its value and the relative change', () => {
    const core = section.tables[0]!.rows.find((r) => r.group?.value === 'core')!
    // Q2: D7 raised (06-01), nothing decided, no blocker open at 07-01, no cycle
    expect(core.decisions_raised).toMatchObject({ value: 3, previous: 1, change: 2 })
    expect(core.decisions_decided).toMatchObject({ value: 4, previous: 0, change: null })
    expect(core.blocked_item_days).toMatchObject({ value: 30, previous: 0, change: null })
    expect(section.refused).toBeNull()
    expect(section.tables[0]!.comparison).toBe('2026-Q3 vs 2026-Q2')
  })

  it('a running quarter keeps the totals’ previous value but no change', async () => {
    const s = await portfolioSection({
      ...ctxFor(),
      window: { from: '2026-07-01T00:00:00.000Z', to: '2026-09-07T00:00:00.000Z' },
      partial: { partial: true, through: '2026-09-07T00:00:00.000Z', daysElapsed: 68, days: 92 },
    })
    const core = s.tables[0]!.rows.find((r) => r.group?.value === 'core')!
    // through 09-07: D1, D2, D3 raised; L1 open since 09-01 (6 days)
    expect(core.decisions_raised).toMatchObject({ value: 3, previous: 1, change: null })
    expect(core.blocked_item_days).toMatchObject({ value: 6, previous: 0, change: null })
    expect(core.blockers_open).toMatchObject({ value: 1, previous: 0, change: null })
    expect(s.tables[0]!.comparison).toBe('2026-Q3 through 2026-09-07 vs 2026-Q2')
    expect(s.notes.join('\n')).toMatch(/2026-Q3 is running \(68 of 92 days\)/)
  })

  it('refuses the comparison when a tracker covered under 90 % of the base quarter, naming it', async () => {
    // 2027-Q1 against 2026-Q4: the trackers were last synced on 10-02, one day into Q4
    const s = await portfolioSection({
      ...ctxFor(),
      quarter: '2027-Q1',
      window: { from: '2027-01-01T00:00:00.000Z', to: '2027-04-01T00:00:00.000Z' },
      base: { quarter: '2026-Q4', from: '2026-10-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' },
    })
    expect(s.refused).toBe(
      'No comparison with 2026-Q4: Jira covered 1 of its 92 days, Linear covered 1 of its 92 days (a comparison needs 90 %).',
    )
    const core = s.tables[0]!.rows.find((r) => r.group?.value === 'core')!
    expect(core.decisions_raised).not.toHaveProperty('previous')
    // nothing synced in 2027-Q1: the tracker figures are no data, not zero
    expect(core.blockers_open).toMatchObject({ value: null, status: 'no_data' })
  })

  it("takes the report's coverage gate when given one", async () => {
    const period = (from: string, to: string) => ({ from, to })
    const gate = {
      coverage: [
        {
          source: 'decisions' as const,
          period: period(ctxFor().window.from, ctxFor().window.to),
          daysCovered: 92,
          days: 92,
          share: 1,
          enough: true,
        },
        {
          source: 'jira' as const,
          period: period(ctxFor().window.from, ctxFor().window.to),
          daysCovered: 92,
          days: 92,
          share: 1,
          enough: true,
        },
        {
          source: 'jira' as const,
          period: period(ctxFor().base.from, ctxFor().base.to),
          daysCovered: 40,
          days: 91,
          share: 0.43956,
          enough: false,
        },
      ],
      refused: 'Jira covered 40 of 91 days of 2026-Q2 (44 %): no comparison',
    }
    const s = await portfolioSection(ctxFor(), gate)
    expect(s.coverage).toEqual(gate.coverage)
    expect(s.refused).toBe(gate.refused)
    const core = s.tables[0]!.rows.find((r) => r.group?.value === 'core')!
    expect(core.decisions_raised).toEqual({ value: 3, sample: 3, status: 'none' })
    expect(core.blockers_open).toMatchObject({ value: 1 })
  })

  it('states Jira and Linear coverage of the quarter and of the base quarter', () => {
    expect(
      section.coverage.map((c) => [c.source, c.period.from.slice(0, 10), c.daysCovered, c.days, c.enough]),
    ).toEqual([
      ['jira', '2026-07-01', 92, 92, true],
      ['linear', '2026-07-01', 92, 92, true],
      ['jira', '2026-04-01', 91, 91, true],
      ['linear', '2026-04-01', 91, 91, true],
    ])
    expect(section.notes.join('\n')).toMatch(/Cycles and sprints are attributed by their team/)
    expect(section.notes.join('\n')).toMatch(/Meeting hours .* not attributed/)
  })

  it('a changed mapping applies without re-ingest', async () => {
    const moved = configSchema.parse({
      ...configInput,
      portfolio: {
        jira: { projects: { ENG: 'core' }, epics: { 'ENG-100': 'experimental' } },
        linear: { teams: { GRO: 'growth' } },
      },
    })
    const s = await portfolioSection(ctxFor(moved))
    expect(row(s, 'experimental')).toMatchObject({
      decisions_raised: 1,
      decisions_decided: 1,
      blocked_item_days: 10,
    })
    expect(row(s, 'growth')).toMatchObject({
      decisions_raised: 1,
      decisions_decided: 0,
      blocked_item_days: 10,
    })
  })

  it('groups by initiative when configured', async () => {
    const byInitiative = configSchema.parse({
      ...configInput,
      portfolio: {
        groupBy: 'initiative',
        jira: { epics: { 'ENG-100': { bucket: 'growth', initiative: 'Self-serve' } } },
      },
    })
    const s = await portfolioSection(ctxFor(byInitiative))
    expect(s.tables[0]!.rows.map((r) => r.group?.value)).toEqual(['Self-serve', 'unmapped', 'total'])
    expect(row(s, 'Self-serve')).toMatchObject({ decisions_raised: 1, blocked_item_days: 10 })
    expect(row(s, 'unmapped')).toMatchObject({ decisions_raised: 5, blocked_item_days: 40 })
  })
})

describe('without a portfolio configuration', () => {
  it('is refused, with the coverage still stated', async () => {
    const { portfolio: _none, ...rest } = configInput
    const s = await portfolioSection(ctxFor(configSchema.parse(rest)))
    expect(s.refused).toBe('no portfolio configured')
    expect(s.tables).toEqual([])
    expect(s.coverage.map((c) => c.source)).toEqual(['jira', 'linear', 'jira', 'linear'])
  })
})

describe('quantileInclusive', () => {
  it("interpolates like ClickHouse's quantileExactInclusive", () => {
    expect(quantileInclusive([24, 816, 36, 72], 0.5)).toBe(54)
    expect(quantileInclusive([10, 30], 0.9)).toBe(28)
    expect(quantileInclusive([], 0.5)).toBeNull()
  })
})

describe('portfolio config validation', () => {
  const parse = (portfolio: unknown) => configSchema.safeParse({ portfolio })
  it('accepts bucket shorthand, bucket + initiative, and the defaults', () => {
    const ok = parse({
      jira: {
        projects: { ENG: 'core' },
        epics: { 'ENG-1': { initiative: 'Checkout v2' } },
        epicLinkField: 'customfield_10014',
      },
      linear: {
        projects: { 'a1b2c3d4-0000-4000-8000-000000000000': { bucket: 'experimental', initiative: 'AI' } },
      },
    })
    expect(ok.success).toBe(true)
    expect(ok.data!.portfolio).toEqual({
      groupBy: 'bucket',
      jira: {
        projects: { ENG: { bucket: 'core' } },
        epics: { 'ENG-1': { initiative: 'Checkout v2' } },
        epicLinkField: 'customfield_10014',
      },
      linear: {
        projects: { 'a1b2c3d4-0000-4000-8000-000000000000': { bucket: 'experimental', initiative: 'AI' } },
        teams: {},
      },
    })
  })
  it.each([
    ['an unknown key', { jira: { project: { ENG: 'core' } } }],
    ['an unknown bucket', { jira: { projects: { ENG: 'moonshots' } } }],
    ['a target with neither bucket nor initiative', { jira: { projects: { ENG: {} } } }],
    ['an epic that is no issue key', { jira: { epics: { ENG: 'core' } } }],
    ['a lower-case project key', { jira: { projects: { eng: 'core' } } }],
    ['an epic-link field that is no custom field', { jira: { epicLinkField: 'Epic Link' } }],
    ['an unknown groupBy', { groupBy: 'team' }],
    ['an unknown key at the top', { buckets: {} }],
  ])('rejects %s', (_what, portfolio) => {
    expect(parse(portfolio).success).toBe(false)
  })
})
