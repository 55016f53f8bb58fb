import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import { type DemoCompany, loadDemo } from '@orgpulse/demo'
import { computeOrgMetrics, decisionItems, type OrgMetricsResult } from '@orgpulse/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime, type Runtime } from '../../../services/cli/src/runtime.ts'
import { buildReview, type ReviewReport, type ReviewSection, relativeChange } from '../src/index.ts'

/*
 * The demo's centralising director, 2026-Q3 against 2026-Q2. The demo runs 26 weeks ending
 * Monday 2026-10-05 (from 2026-04-06), with its re-org halfway (2026-07-06, a team of the second
 * director moves to the centralising one). Every figure must be the one computeOrgMetrics gives
 * for the same window, and the comparison the relative change of the two.
 */
let rt: Runtime
let company: DemoCompany
let review: ReviewReport
let q3: OrgMetricsResult
let q2: OrgMetricsResult
let director: string

const section = (key: ReviewSection['key']): ReviewSection => review.sections.find((s) => s.key === key)!

beforeAll(async () => {
  rt = await openRuntime({
    env: parseEnv(process.env),
    dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-review-demo-')),
  })
  ;({ company } = await loadDemo(rt, {
    people: 60,
    weeks: 26,
    seed: 1,
    end: new Date('2026-10-05T00:00:00Z'),
  }))
  director = company.stories.centralisingDirector
  review = await buildReview(rt.client, rt.config, {
    director,
    quarter: '2026-Q3',
    now: new Date('2026-11-02T00:00:00Z'),
  })
  q3 = await computeOrgMetrics(rt.client, rt.config, { director, from: '2026-07-01', to: '2026-10-01' })
  q2 = await computeOrgMetrics(rt.client, rt.config, { director, from: '2026-04-01', to: '2026-07-01' })
}, 300_000)

afterAll(async () => {
  await rt?.close()
})

describe('the demo centralising director', () => {
  it('Q2 is covered from the demo start (84–86 of 91 days of decisions, over 90 %), so Q3 is compared', () => {
    expect(review.partial.partial).toBe(false)
    const teams = section('teams')
    const base = teams.coverage.find((c) => c.source === 'decisions' && c.period.from === review.base.from)!
    // the first decision is raised during Monday 2026-04-06 or later: whole days from 04-07 at most
    expect(base.days).toBe(91)
    expect(base.daysCovered).toBeGreaterThanOrEqual(84)
    expect(base.daysCovered).toBeLessThanOrEqual(86)
    expect(base.enough).toBe(true)
    expect(teams.refused).toBeNull()
  })

  it('centralisation is the metrics figure, flagged against the catalog thresholds', () => {
    const s = section('centralisation')
    const org = s.tables.find((t) => t.key === 'centralisation')!.rows[0]!
    expect(org.centralization!.value).toBe(q3.metrics.centralization)
    expect(org.centralization!.previous).toBe(q2.metrics.centralization)
    expect(org.centralization!.change).toBe(
      relativeChange(q3.metrics.centralization, q2.metrics.centralization),
    )
    expect(q3.metrics.centralization!).toBeGreaterThanOrEqual(0.5)
    expect(org.centralization!.status).toBe('critical')
    expect(org.decision_depth!.value).toBe(q3.metrics.decision_depth)
    const who = s.tables.find((t) => t.key === 'who_decides')!.rows
    const total = who.reduce((a, r) => a + Number(r.decisions!.value), 0)
    expect(total).toBe(q3.metrics.decisions_decided)
    const top = s.tables.find((t) => t.key === 'most_escalated')!.rows
    const escalated = escalatedQ3
    expect(top).toHaveLength(Math.min(10, escalated.length))
    const latencies = top.map((r) => Number(r.latency!.value))
    expect(latencies).toEqual([...latencies].sort((a, b) => b - a))
    expect(latencies[0]).toBe(Math.max(...escalated.map((d) => d.latencyHours ?? 0)))
  })

  it('teams: each figure and change is computeOrgMetrics for Q3 against Q2', () => {
    const t = section('teams').tables[0]!
    expect(t.rows).toHaveLength(q3.teams.length + 1)
    for (const team of q3.teams) {
      const r = t.rows.find((x) => x.team!.value === team.name)!
      const before = q2.teams.find((x) => x.id === team.id)
      for (const id of [
        'decision_latency_p50_hours',
        'escalation_rate',
        'blockers_open',
        'cycle_completion_rate',
      ]) {
        expect(r[id]!.value).toBe(team.metrics[id] ?? null)
        expect(r[id]!.previous).toBe(before?.metrics[id] ?? null)
        expect(r[id]!.change).toBe(relativeChange(team.metrics[id], before?.metrics[id]))
      }
    }
  })

  it("the team pair blocking each other most is the demo's planted pair", () => {
    const pairs = section('shape').tables.find((t) => t.key === 'blocking_pairs')!.rows
    expect(pairs.length).toBeGreaterThan(0)
    expect(pairs.length).toBeLessThanOrEqual(10)
    const [a, b] = company.stories.blockingPair
    expect(new Set([pairs[0]!.blocker!.value, pairs[0]!.blocked!.value])).toEqual(new Set([a, b]))
    const links = pairs.map((p) => Number(p.links!.value))
    expect(links).toEqual([...links].sort((x, y) => y - x))
  })

  it('the re-org moving a team into the org is shown with that team before and after', () => {
    const s = section('structure_changes')
    const reorg = company.stories.reorg
    expect(reorg.effective).toBe('2026-07-06')
    const table = s.tables.find((t) => t.key === 'reorg_2026_07_06')!
    expect(table.comparison).toBe(
      '6 weeks before (2026-05-25 → 2026-07-06) vs after (2026-07-06 → 2026-08-17)',
    )
    const moved = table.rows.find((r) => r.team!.value === reorg.team)!
    expect(moved).toBeDefined()
    // before: the team in its old org, after: in this one; the same figures the metrics give
    const team = q3.teams.find((x) => x.name === reorg.team)!
    const after = reorgAfter.teams.find((x) => x.id === team.id)!
    expect(moved.decisions_decided!.value).toBe(after.metrics.decisions_decided)
    expect(moved.decisions_decided!.previous).toBe(reorgBefore.metrics.decisions_decided)
  })
})

// figures the assertions compare with, computed the ordinary way
let escalatedQ3: Awaited<ReturnType<typeof decisionItems>>
let reorgAfter: OrgMetricsResult
let reorgBefore: OrgMetricsResult
beforeAll(async () => {
  escalatedQ3 = await decisionItems(rt.client, {
    scope: `u:${director}`,
    from: new Date('2026-07-01T00:00:00Z'),
    to: new Date('2026-10-01T00:00:00Z'),
    filter: 'escalated',
  })
  reorgAfter = await computeOrgMetrics(rt.client, rt.config, {
    director,
    from: '2026-07-06',
    to: '2026-08-17',
  })
  const team = q3.teams.find((x) => x.name === company.stories.reorg.team)!
  reorgBefore = await computeOrgMetrics(rt.client, rt.config, {
    director: team.manager,
    from: '2026-05-25',
    to: '2026-07-06',
  })
}, 120_000)
