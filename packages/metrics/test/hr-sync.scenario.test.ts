import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { configSchema } from '@orgpulse/contracts'
import { type FakeBambooEmployee, type FakeBambooHr, startFakeBambooHr } from '@orgpulse/fakes/bamboohr'
import { hrSource, syncOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from '../src/index.ts'
import { config, freshClickHouse, ingestDecisions } from './helpers.ts'

/*
 * A re-org picked up by `org sync` (issue 22), hand-computed. BambooHR, synced 2026-07-01:
 *   ceo ── dir ─┬─ m1 ── a1, a2
 *               └─ m2 ── b1
 * HR moves a2 to m2; the sync of 2026-08-15 picks it up (1 of 6 moved: 16.7 %, under the guard).
 * Decisions in [2026-07-01, 2026-10-01):
 *   D1 a2 07-10 → m1 07-11   a2 is m1's then          → team m1
 *   D2 a2 09-01 → m2 09-02   after the sync: m2's     → team m2
 *   D3 b1 07-20 → m2 07-21                            → team m2
 * decisions_decided: m1 1 (D1), m2 2 (D2, D3). Without the second sync a2's D2 would stay m1's
 * (m1 2, m2 1).
 */
const person = (id: number, name: string, boss: number | null): FakeBambooEmployee => ({
  id,
  firstName: name,
  lastName: 'X',
  workEmail: `${name}@x.io`,
  supervisorEId: boss,
})
const BEFORE = [
  person(1, 'ceo', null),
  person(2, 'dir', 1),
  person(3, 'm1', 2),
  person(4, 'm2', 2),
  person(5, 'a1', 3),
  person(6, 'a2', 3),
  person(7, 'b1', 4),
]
const AFTER = BEFORE.map((p) => (p.id === 6 ? person(6, 'a2', 4) : p))

let client: ClickHouseClient
let bamboo: FakeBambooHr

beforeAll(async () => {
  ;({ client } = await freshClickHouse())
  bamboo = await startFakeBambooHr({ employees: BEFORE })
})
afterAll(async () => {
  await bamboo?.close()
  await client?.close()
})

describe('decision metrics after a re-org picked up by org sync', () => {
  it('attributes later decisions to the new team, earlier ones to the old', async () => {
    const hr = configSchema.parse({
      hr: { source: 'bamboohr', bamboohr: { company: bamboo.company, apiUrl: bamboo.apiUrl } },
    }).hr!
    const source = await hrSource(hr, {
      client,
      env: { named: (n) => (n === 'BAMBOOHR_API_KEY' ? bamboo.apiKey : undefined) },
    })
    expect((await syncOrg({ client, source, now: () => new Date('2026-07-01T03:00:00Z') })).status).toBe(
      'applied',
    )
    bamboo.setEmployees(AFTER)
    const reorg = await syncOrg({ client, source, now: () => new Date('2026-08-15T03:00:00Z') })
    expect(reorg.status).toBe('applied')

    const decided = (id: string, by: string, at: string, decider: string, on: string) => ({
      id,
      title: `decision ${id}`,
      raisedBy: by,
      raisedAt: at,
      status: 'decided' as const,
      decidedBy: decider,
      decidedAt: on,
    })
    await ingestDecisions(client, [
      decided('D1', 'a2@x.io', '2026-07-10T00:00:00Z', 'm1@x.io', '2026-07-11T00:00:00Z'),
      decided('D2', 'a2@x.io', '2026-09-01T00:00:00Z', 'm2@x.io', '2026-09-02T00:00:00Z'),
      decided('D3', 'b1@x.io', '2026-07-20T00:00:00Z', 'm2@x.io', '2026-07-21T00:00:00Z'),
    ])
    const window = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-10-01T00:00:00Z') }
    const values = await evaluate(client, config, ['u:m1@x.io', 'u:m2@x.io'], [window])
    const at = (scope: string) => values.get(scope)?.get('2026-07-01 00:00:00.000')?.decisions_decided
    expect([at('u:m1@x.io'), at('u:m2@x.io')]).toEqual([1, 2])
  })
})
