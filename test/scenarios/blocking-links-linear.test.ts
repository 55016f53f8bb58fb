import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CursorStore, queryRows } from '@orgpulse/clickhouse'
import { LinearClient, syncLinear } from '@orgpulse/connector-linear'
import { configSchema } from '@orgpulse/contracts'
import { type FakeLinear, type LinearSeed, type SeedState, startFakeLinear } from '@orgpulse/fakes/linear'
import { computeOrgMetrics } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'
import { expectFigures } from './dependency-figures.ts'

/**
 * Blocking relations through the real Linear connector (packages/connector-linear) against the fake
 * Linear GraphQL API, into an embedded pipeline, hand-computed (DESIGN "A blocking link").
 *
 * What Linear lets orgpulse observe: a relation `A blocks B` is one IssueRelation {issue: A,
 * relatedIssue: B, type: blocks, createdAt} (its inverse is the same node), and Linear sends no
 * webhook when one is added or removed. So the connector pulls the relations at every sync and
 * compares them with the last pull: a relation's creation is dated by its `createdAt`, the
 * blocker done by the blocker's `completedAt`/`canceledAt` (and its state history), but a removal
 * only by the pull that no longer finds it — later than it happened — and a relation added and
 * removed between two pulls is never seen. The clock (Date only) is set to each pull's time.
 *
 * Org: dana (director) ─┬─ eng (Linear team ENG → u:eng@x.io)
 *                       └─ plat (Linear team PLAT → u:plat@x.io)
 * Pulls: P1 07-03 00:00 (full), P2 07-07 00:00, P3 07-12 00:00, P4 07-21 00:00.
 * - R1 PLAT-1 blocks ENG-1, created 07-02 09:00; PLAT-1 Done 07-06 09:00 (P2 sees it done);
 *   removed 07-20, noticed at P4: first resolved at done, 4 d.
 * - R2 ENG-2 blocks PLAT-2, created 07-04 00:00 (seen at P2); removed 07-10 12:00 while ENG-2 is
 *   open, noticed at P3: resolved 07-12 00:00, 8 d (it happened after 6.5 d: the pull dates it).
 * - R3 PLAT-3 blocks ENG-3, created 07-15 00:00 (seen at P4): open, 17 d at 08-01 00:00.
 * - R4 ENG-4 blocks PLAT-4, created 06-01 00:00; removed 07-18 while ENG-4 is open, noticed at
 *   P4: resolved 07-21 00:00 after 50 d (> 14).
 * - R5 ENG-5 blocks PLAT-5, created 07-05 00:00 (seen at P2); ENG-5 Done 07-08 00:00 (P3 sees it
 *   done); reopened (In Progress) 07-16 00:00 while linked (P4 reads it from ENG-5's history):
 *   open again, 16 d; first resolved at 3 d.
 * - R6 PLAT-6 blocks ENG-6, created 07-09 00:00 (seen at P3) while PLAT-6 is Done (since 06-25):
 *   never open, so it counts nowhere.
 * Window [2026-07-01, 2026-08-01), the director (every relation is cross-team):
 *   blockers_open 2 (R3 17, R5 16): p50 16.5, p90 16 + 0.9 × 1 = 16.9;
 *   first resolved in the window: R1 4 ✓, R2 8 ✓, R4 50 ✗, R5 3 ✓ → 0.75;
 *   blocked item-days: ENG-1 4 + PLAT-2 8 + ENG-3 17 + PLAT-4 [07-01, 07-21) 20
 *   + PLAT-5 [07-05, 07-08) 3 + [07-16, 08-01) 16 = 68.
 * Teams: each relation touches both, so each has the director's first four figures; blocked
 *   item-days ENG 4 + 17 = 21, PLAT 8 + 20 + 19 = 47.
 */
const config = configSchema.parse({
  linear: { teams: { ENG: 'u:eng@x.io', PLAT: 'u:plat@x.io' } },
})
const ORG = `email,name,manager_email,title
dana@x.io,Dana,,Director
eng@x.io,Eve,dana@x.io,EM
plat@x.io,Pat,dana@x.io,EM
e1@x.io,Ed,eng@x.io,Engineer
p1@x.io,Pia,plat@x.io,Engineer
`
const iso = (month: number, day: number, hour = 0) =>
  new Date(Date.UTC(2026, month - 1, day, hour)).toISOString()

const TEAMS = { ENG: 't-eng', PLAT: 't-plat' } as const
const state = (team: keyof typeof TEAMS, name: string) => `s-${team}-${name.toLowerCase().replace(/ /g, '-')}`
const STATES: SeedState[] = (['ENG', 'PLAT'] as const).flatMap((team) =>
  (
    [
      ['Todo', 'unstarted'],
      ['In Progress', 'started'],
      ['Done', 'completed'],
    ] as const
  ).map(([name, type]) => ({ id: state(team, name), teamId: TEAMS[team], name, type })),
)
const issue = (team: keyof typeof TEAMS, n: number) => `i-${team.toLowerCase()}-${n}`
const SEED: LinearSeed = {
  users: [
    { id: 'u-ed', name: 'Ed', email: 'e1@x.io' },
    { id: 'u-pia', name: 'Pia', email: 'p1@x.io' },
  ],
  teams: [
    { id: TEAMS.ENG, key: 'ENG', name: 'Engineering' },
    { id: TEAMS.PLAT, key: 'PLAT', name: 'Platform' },
  ],
  states: STATES,
  issues: (['ENG', 'PLAT'] as const).flatMap((team) =>
    [1, 2, 3, 4, 5, 6].map((n) => ({
      id: issue(team, n),
      teamId: TEAMS[team],
      number: n,
      title: `${team}-${n}`,
      createdAt: iso(5, 20),
      stateId: state(team, 'Todo'),
      creatorId: team === 'ENG' ? 'u-ed' : 'u-pia',
    })),
  ),
  relations: [
    {
      id: 'R4',
      type: 'blocks',
      issueId: issue('ENG', 4),
      relatedIssueId: issue('PLAT', 4),
      createdAt: iso(6, 1),
    },
  ],
}

const work = mkdtempSync(join(tmpdir(), 'orgpulse-linear-links-'))
let p: EmbeddedPipeline
let fake: FakeLinear
let cursors: CursorStore
const results: { blocking: number; removed: number }[] = []

/** one `ingest linear` run at the given time (the connector dates what it publishes by the clock) */
async function pullAt(time: string, full = false): Promise<void> {
  vi.setSystemTime(new Date(time))
  const r = await syncLinear({
    client: new LinearClient({
      url: fake.url,
      credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
    }),
    bus: p.bus,
    cursors,
    durable: () => p.durable(),
    config: config.linear!,
    full,
  })
  await p.flush()
  results.push(r.relations!)
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(iso(6, 1)))
  p = await startEmbeddedPipeline(config, 'linear-links', { dataDir: join(work, 'data') })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  cursors = new CursorStore(p.client)
  fake = await startFakeLinear(SEED)
  const m = fake.model
  const rel = (id: string, blocker: string, blocked: string, createdAt: string) =>
    m.addRelation({ id, type: 'blocks', issueId: blocker, relatedIssueId: blocked, createdAt })

  m.moveIssue(issue('PLAT', 6), state('PLAT', 'Done'), { at: iso(6, 25), actorId: 'u-pia' })
  rel('R1', issue('PLAT', 1), issue('ENG', 1), iso(7, 2, 9))
  await pullAt(iso(7, 3), true) // P1: R1, R4
  rel('R2', issue('ENG', 2), issue('PLAT', 2), iso(7, 4))
  rel('R5', issue('ENG', 5), issue('PLAT', 5), iso(7, 5))
  m.moveIssue(issue('PLAT', 1), state('PLAT', 'Done'), { at: iso(7, 6, 9), actorId: 'u-pia' })
  await pullAt(iso(7, 7)) // P2: R1 with its blocker done, R2, R4, R5
  m.moveIssue(issue('ENG', 5), state('ENG', 'Done'), { at: iso(7, 8), actorId: 'u-ed' })
  rel('R6', issue('PLAT', 6), issue('ENG', 6), iso(7, 9))
  vi.setSystemTime(new Date(iso(7, 10, 12)))
  m.removeRelation('R2')
  await pullAt(iso(7, 12)) // P3: R2 gone; R5's blocker done; R6 made to a done blocker
  rel('R3', issue('PLAT', 3), issue('ENG', 3), iso(7, 15))
  m.moveIssue(issue('ENG', 5), state('ENG', 'In Progress'), { at: iso(7, 16), actorId: 'u-ed' })
  m.removeRelation('R4')
  m.removeRelation('R1')
  await pullAt(iso(7, 21)) // P4: R1 and R4 gone, R3 new, R5's blocker reopened
  vi.useRealTimers()
}, 180_000)

afterAll(async () => {
  vi.useRealTimers()
  await fake?.close()
  await p?.stop()
})

describe('blocking relations through the Linear connector', () => {
  it('each pull reconciles the blocking relations: what it found, what disappeared', () => {
    expect(results).toEqual([
      { blocking: 2, removed: 0 },
      { blocking: 4, removed: 0 },
      { blocking: 4, removed: 1 },
      { blocking: 3, removed: 2 },
    ])
  })

  it('what the connector observed: creations and blocker-done from Linear, removals at the pull that noticed them', async () => {
    const rows = await queryRows<{ link_id: string; type: string; reason: string; at: string }>(
      p.client,
      `SELECT link_id, type, reason, toString(occurred_at) AS at FROM dependency_events FINAL
       ORDER BY link_id, occurred_at, type, reason`,
    )
    expect(
      rows.map((r) => `${r.link_id} ${r.at.slice(0, 16)} ${r.type.slice(11)} ${r.reason}`.trim()),
    ).toEqual([
      'linear:R1 2026-07-02 09:00 linked',
      'linear:R1 2026-07-06 09:00 resolved blocker_done',
      'linear:R1 2026-07-21 00:00 resolved unlinked', // removed 07-20: dated by P4
      'linear:R2 2026-07-04 00:00 linked',
      'linear:R2 2026-07-12 00:00 resolved unlinked', // removed 07-10 12:00: dated by P3
      'linear:R3 2026-07-15 00:00 linked',
      'linear:R4 2026-06-01 00:00 linked',
      'linear:R4 2026-07-21 00:00 resolved unlinked', // removed 07-18: dated by P4
      'linear:R5 2026-07-05 00:00 linked',
      'linear:R5 2026-07-08 00:00 resolved blocker_done', // seen by P3, and in ENG-5's history at P4
      'linear:R5 2026-07-08 00:00 resolved blocker_done',
      'linear:R5 2026-07-16 00:00 linked', // the reopening, from ENG-5's history
      'linear:R6 2026-07-09 00:00 linked', // made while PLAT-6 was done: resolved at once
      'linear:R6 2026-07-09 00:00 resolved blocker_done',
    ])
  })

  it('the hand-computed dependency figures, for the director and each team', async () => {
    const m = await computeOrgMetrics(p.client, config, {
      director: 'dana@x.io',
      from: '2026-07-01',
      to: '2026-08-01',
    })
    expectFigures(m, [2, 16.5, 16.9, 0.75, 68], 9)
    expect(m.coverage.trackers.synced).toBe(2)
    const team = (id: string) => m.teams.find((t) => t.id === id)!
    expectFigures(team('u:eng@x.io'), [2, 16.5, 16.9, 0.75, 21], 9)
    expectFigures(team('u:plat@x.io'), [2, 16.5, 16.9, 0.75, 47], 9)
  })
})
