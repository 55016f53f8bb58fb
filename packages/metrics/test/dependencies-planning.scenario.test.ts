import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type CanonicalEventInput, eventId } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeOrgMetrics, evaluate, type OrgMetricsResult } from '../src/index.ts'
import { config, freshClickHouse, importCsv, insertEvents } from './helpers.ts'

/*
 * Hand-computed. Org: dir leads m1 and m2 (teams in the org); dir2's team is outside.
 * Window [2026-07-01, 2026-10-01). Blocking links (blocker team → blocked team, blocked item):
 *   L1 m1→m2 B1  linked 09-01, open            age 30 d at the end
 *   L2 dir2→m1 A1 linked 09-21, open           age 10 d (only the blocked side is in the org)
 *   L3 m2→m2 B2  same team: not a cross-team blocker, ignored everywhere
 *   L4 m1→m2 B1  07-01 → 07-11 resolved (10 d, within 14)
 *   L5 m2→m1 A2  06-01 → 07-16 resolved (45 d, not within 14)
 *   L8 m2→m1 A2  07-10 → 07-20 resolved (10 d, within 14), overlapping L5
 *   L9 dir2→dir2-other: both outside the org, ignored
 * blockers_open 2; ages 10, 30 → p50 20, p90 28; resolved in window L4 L5 L8 → 2/3 within 14 d.
 * blocked item-days: B1 = 30 (L1) + 10 (L4) = 40; A1 = 10; A2 = union [07-01, 07-20) = 19 → 69.
 * Cycles ending in the window: C1 (m1) committed 10 completed 8 added 2 (an older snapshot said
 * completed 5), C2 (m2) 20/10/6; C3 ends after the window, C4 belongs to dir2.
 * cycle_completion_rate 18/30 = 0.6; scope_added_rate 8/30 = 0.266667.
 */
const ORG = `email,name,manager_email,title
ceo@x.io,Cleo,,CEO
dir@x.io,Dana,ceo@x.io,Director
dir2@x.io,Dev,ceo@x.io,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
a1@x.io,Ann,m1@x.io,Eng
b1@x.io,Bea,m2@x.io,Eng
c1@x.io,Cy,dir2@x.io,PM
`

let client: ClickHouseClient
let org: OrgMetricsResult

const link = (
  id: string,
  blocker: string,
  blocked: string,
  item: string,
  linked: string,
  resolved?: string,
): CanonicalEventInput[] => {
  const common = {
    source: 'jira' as const,
    sourceId: id,
    linkId: `jira:${id}`,
    blockerItem: `X-${id}`,
    blockedItem: item,
    blockerTeam: blocker,
    blockedTeam: blocked,
  }
  const out: CanonicalEventInput[] = [
    {
      ...common,
      id: eventId('jira', id, 'linked'),
      type: 'dependency.linked',
      occurredAt: linked,
      version: Date.parse(linked),
    },
  ]
  if (resolved) {
    out.push({
      ...common,
      id: eventId('jira', id, 'resolved'),
      type: 'dependency.resolved',
      reason: 'blocker_done',
      occurredAt: resolved,
      version: Date.parse(resolved),
    })
  }
  return out
}

const cycle = (
  id: string,
  team: string,
  endsAt: string,
  committed: number,
  completed: number,
  added: number,
  at: string,
): CanonicalEventInput => ({
  id: eventId('linear', id, 'snapshot'),
  source: 'linear',
  sourceId: id,
  type: 'cycle.snapshot',
  cycleId: `linear:${id}`,
  team,
  startsAt: new Date(Date.parse(endsAt) - 14 * 86400000).toISOString(),
  endsAt,
  committedScope: committed,
  completedScope: completed,
  addedScope: added,
  occurredAt: at,
  version: Date.parse(at),
})

/** a tracker scope synced at `at` (coverage: dependency and planning figures need one per scope) */
const synced = (
  source: 'jira' | 'linear',
  scope: string,
  teams: string[],
  at: string,
): CanonicalEventInput => ({
  id: eventId(source, `synced:${scope}`, at),
  source,
  sourceId: scope,
  type: 'source.synced',
  scopeKind: source === 'jira' ? 'project' : 'team',
  scope,
  mode: 'full',
  coveredFrom: null,
  coveredTo: at,
  teams,
  occurredAt: at,
  version: Date.parse(at),
})

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importCsv(client, ch.dir, 'org.csv', ORG, '2026-01-01')
  await insertEvents(client, [
    ...link('L1', 'u:m1@x.io', 'm2@x.io', 'B1', '2026-09-01T00:00:00.000Z'),
    ...link('L2', 'dir2@x.io', 'u:m1@x.io', 'A1', '2026-09-21T00:00:00.000Z'),
    ...link('L3', 'm2@x.io', 'm2@x.io', 'B2', '2026-08-01T00:00:00.000Z'),
    ...link('L4', 'm1@x.io', 'm2@x.io', 'B1', '2026-07-01T00:00:00.000Z', '2026-07-11T00:00:00.000Z'),
    ...link('L5', 'm2@x.io', 'm1@x.io', 'A2', '2026-06-01T00:00:00.000Z', '2026-07-16T00:00:00.000Z'),
    ...link('L8', 'm2@x.io', 'm1@x.io', 'A2', '2026-07-10T00:00:00.000Z', '2026-07-20T00:00:00.000Z'),
    ...link('L9', 'dir2@x.io', 'ceo@x.io', 'Z1', '2026-07-10T00:00:00.000Z'),
    cycle('C1', 'u:m1@x.io', '2026-07-15T00:00:00.000Z', 10, 5, 2, '2026-07-10T00:00:00.000Z'),
    cycle('C1', 'u:m1@x.io', '2026-07-15T00:00:00.000Z', 10, 8, 2, '2026-07-15T00:00:00.000Z'),
    cycle('C2', 'm2@x.io', '2026-08-01T00:00:00.000Z', 20, 10, 6, '2026-08-01T00:00:00.000Z'),
    cycle('C3', 'm1@x.io', '2026-10-05T00:00:00.000Z', 50, 50, 0, '2026-10-05T00:00:00.000Z'),
    cycle('C4', 'dir2@x.io', '2026-07-20T00:00:00.000Z', 7, 1, 1, '2026-07-20T00:00:00.000Z'),
    // the Jira project behind the links and the Linear teams behind the cycles, last synced 10-02
    synced('jira', 'ENG', ['u:m1@x.io', 'm2@x.io', 'dir2@x.io', 'ceo@x.io'], '2026-10-02T00:00:00.000Z'),
    synced('linear', 'M1', ['u:m1@x.io'], '2026-10-02T00:00:00.000Z'),
    synced('linear', 'M2', ['m2@x.io'], '2026-10-02T00:00:00.000Z'),
  ])
  org = await computeOrgMetrics(client, config, {
    director: 'dir@x.io',
    from: '2026-07-01',
    to: '2026-10-01',
  })
})

afterAll(async () => {
  await client?.close()
})

describe('dependency health', () => {
  it('counts open cross-team blockers touching the org, and their ages', async () => {
    expect(org.metrics.blockers_open).toBe(2)
    // the SQL's quantiles over the two open blockers (10 and 30 days old)…
    const window = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-10-01T00:00:00Z') }
    const raw = (await evaluate(client, config, ['u:dir@x.io'], [window]))
      .get('u:dir@x.io')!
      .get('2026-07-01 00:00:00.000')!
    expect(raw.blocker_age_p50_days).toBe(20)
    expect(raw.blocker_age_p90_days).toBe(28)
    // …rest on two blockers: under the minimum sample (3 for a median, 5 for a p90), too few
    expect(org.metrics.blocker_age_p50_days).toBeNull()
    expect(org.withheld.blocker_age_p50_days).toBe('too_few: n = 2 open blockers (minimum 3)')
    expect(org.withheld.blocker_age_p90_days).toBe('too_few: n = 2 open blockers (minimum 5)')
    expect(org.samples.blocker_age_p90_days).toBe(2)
  })
  it('measures the share of blockers resolved within 14 days', () => {
    expect(org.metrics.blockers_resolved_14d_rate).toBeCloseTo(2 / 3, 6)
    expect(org.samples.blockers_resolved_14d_rate).toBe(3)
  })
  it('sums blocked item-days with overlapping blockers counted once', () => {
    expect(org.metrics.blocked_item_days).toBe(69)
  })
  it('gives a team only the blockers that touch it', () => {
    const m1 = org.teams.find((t) => t.id === 'u:m1@x.io')!
    // L1 (m1 blocks m2) and L2 (dir2 blocks m1) are open and both touch m1
    expect(m1.metrics.blockers_open).toBe(2)
    // blocked items of m1: A1 10 d + A2 19 d
    expect(m1.metrics.blocked_item_days).toBe(29)
  })
})

describe('tracker coverage', () => {
  it('counts the tracker scopes mapped into each scope and synced over the window', () => {
    // ENG (m1, m2) and the Linear teams M1, M2
    expect(org.coverage.trackers).toEqual({ synced: 3 })
    expect(org.teams.find((t) => t.id === 'u:m1@x.io')!.coverage.trackers).toEqual({ synced: 2 })
  })
  it('a window after the last sync is no data, not the stale figures', async () => {
    // before: L1 and L2 were still "open" at the end of a window nobody had synced
    const later = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-11-01',
      to: '2026-12-01',
    })
    expect(later.coverage.trackers).toEqual({ synced: 0 })
    for (const id of ['blockers_open', 'blocked_item_days', 'cycle_completion_rate']) {
      expect(later.metrics[id], id).toBeNull()
      expect(later.withheld[id], id).toMatch(/^no_data: no Jira project or Linear team/)
    }
  })
})

describe('planning', () => {
  it('rolls up completion and added scope over cycles ending in the window (latest snapshot wins)', () => {
    expect(org.metrics.cycle_completion_rate).toBe(0.6)
    expect(org.metrics.scope_added_rate).toBe(0.266667)
    // C1 and C2 (C3 ends after the window, C4 is dir2's)
    expect(org.samples.cycle_completion_rate).toBe(2)
  })
  it('gives each team the cycles of its own subtree', () => {
    const dir = org.teams.find((t) => t.id === 'u:m2@x.io')!
    expect(dir.metrics.cycle_completion_rate).toBe(0.5)
    const none = org.teams.find((t) => t.id === 'u:m1@x.io')!
    expect(none.metrics.cycle_completion_rate).toBe(0.8)
  })
})
