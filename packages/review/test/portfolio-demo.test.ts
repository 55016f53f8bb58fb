import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import { loadDemo } from '@orgpulse/demo'
import { ADMIN_VIEWER, computeOrgMetrics, type OrgMetricsResult } from '@orgpulse/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime, type Runtime } from '../../../services/cli/src/runtime.ts'
import type { ReviewSection } from '../src/model.ts'
import { portfolioSection } from '../src/sections/portfolio.ts'

/*
 * The demo through its connectors (fake Jira and Linear → mappers → sink), with the demo's
 * portfolio mapping (each team's Jira project and Linear team in a bucket): the centralising
 * director's 2026-Q3. The buckets must partition the org's own figures.
 */
let rt: Runtime
let section: ReviewSection
let q3: OrgMetricsResult

beforeAll(async () => {
  rt = await openRuntime({
    env: parseEnv(process.env),
    dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-portfolio-demo-')),
  })
  const { company } = await loadDemo(rt, {
    people: 60,
    weeks: 26,
    seed: 1,
    end: new Date('2026-10-05T00:00:00Z'),
    edges: 'connectors',
  })
  const director = company.stories.centralisingDirector
  section = await portfolioSection({
    client: rt.client,
    config: rt.config,
    director,
    quarter: '2026-Q3',
    window: { from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' },
    base: { quarter: '2026-Q2', from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
    viewer: ADMIN_VIEWER,
    partial: { partial: false, through: '2026-10-01T00:00:00.000Z', daysElapsed: 92, days: 92 },
    now: new Date('2026-11-02T00:00:00Z'),
  })
  q3 = await computeOrgMetrics(rt.client, rt.config, { director, from: '2026-07-01', to: '2026-10-01' })
}, 300_000)

afterAll(async () => {
  await rt?.close()
})

const sum = (key: string) =>
  section.tables[0]!.rows.filter((r) => r.group?.value !== 'total').reduce(
    (n, r) => n + Number(r[key]?.value ?? 0),
    0,
  )
const total = (key: string) => section.tables[0]!.rows.find((r) => r.group?.value === 'total')![key]!.value

describe('the demo portfolio', () => {
  it('the total is the org figures, and the rows add up to it', () => {
    expect(total('decisions_decided')).toBe(q3.metrics.decisions_decided)
    expect(total('blockers_open')).toBe(q3.metrics.blockers_open)
    expect(total('blocked_item_days')).toBeCloseTo(q3.metrics.blocked_item_days!, 6)
    for (const k of [
      'decisions_raised',
      'decisions_decided',
      'blockers_open',
      'scope_committed',
      'scope_added',
    ])
      expect(sum(k)).toBe(total(k))
    expect(sum('blocked_item_days')).toBeCloseTo(Number(total('blocked_item_days')), 6)
  })

  it('the Jira links and Linear cycles land in buckets (their project and team came through the connectors)', () => {
    const mapped = section.tables[0]!.rows.filter(
      (r) => !['unmapped', 'total'].includes(String(r.group?.value)),
    )
    const blocked = mapped.reduce((n, r) => n + Number(r.blocked_item_days?.value ?? 0), 0)
    const scope = mapped.reduce((n, r) => n + Number(r.scope_committed?.value ?? 0), 0)
    expect(Number(total('blocked_item_days'))).toBeGreaterThan(0)
    // every demo blocker is a Jira link between the teams' projects, all of them mapped
    expect(blocked).toBeCloseTo(Number(total('blocked_item_days')), 6)
    expect(scope).toBe(total('scope_committed'))
    // the demo's decisions come from the decision log: unmapped
    const unmapped = section.tables[0]!.rows.find((r) => r.group?.value === 'unmapped')!
    expect(unmapped.decisions_raised!.value).toBe(total('decisions_raised'))
  })
})
