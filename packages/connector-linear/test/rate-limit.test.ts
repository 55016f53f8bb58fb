import { configSchema, rawTopic } from '@orgpulse/contracts'
import { linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { MemoryBus } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { LinearClient, syncLinear } from '../src/index.ts'

describe('Linear backfill within the budgets', () => {
  it('the fake reports both budgets on every answer and refuses, as RATELIMITED, a query they cannot pay', async () => {
    let clock = Date.UTC(2026, 2, 10, 9, 0)
    const fake = await startFakeLinear(linearTestSeed(), {
      now: () => clock,
      limits: { requestsLimit: 3, complexityLimit: 10, windowMs: 60_000 },
    })
    try {
      // 1 + 2 × (1 + 2 × 0.1) = 3.4 → 4 points
      const ask = () =>
        fetch(fake.url, {
          method: 'POST',
          headers: { authorization: fake.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'query T { teams(first: 2) { nodes { key name } } }' }),
        })
      const first = await ask()
      expect(first.status).toBe(200)
      expect(first.headers.get('x-complexity')).toBe('4')
      expect(first.headers.get('x-ratelimit-complexity-remaining')).toBe('6')
      expect(first.headers.get('x-ratelimit-requests-remaining')).toBe('2')
      expect(first.headers.get('x-ratelimit-complexity-reset')).toBe(String(clock + 60_000))
      expect((await ask()).headers.get('x-ratelimit-complexity-remaining')).toBe('2')
      const refused = await ask()
      expect(refused.status).toBe(400)
      expect(
        ((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe('RATELIMITED')
      expect(refused.headers.get('x-ratelimit-complexity-remaining')).toBe('2')
      expect(fake.budget.overBudget).toBe(1)
      // the window's end fills both buckets again
      clock += 60_000
      expect((await ask()).status).toBe(200)
      expect(fake.budget.windows.map((w) => [w.requests, w.complexity])).toEqual([
        [2, 8],
        [1, 4],
      ])
    } finally {
      await fake.close()
    }
  })

  it('a sync against small budgets waits for each reset, is never refused, and stores every issue', async () => {
    // one clock for the workspace and the client: the client's waits move it
    let clock = Date.UTC(2026, 2, 10, 9, 0)
    // 6 named issues + 120 filler ones
    const fake = await startFakeLinear(linearTestSeed({ fillerIssues: 120 }), {
      now: () => clock,
      // a page of issues costs several thousand points: a few queries per window
      limits: { requestsLimit: 1_500, complexityLimit: 20_000, windowMs: 3_600_000 },
    })
    try {
      const waits: number[] = []
      const client = new LinearClient({
        url: fake.url,
        credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
        now: () => clock,
        sleep: async (ms) => {
          clock += ms
        },
        onWait: (w) => void waits.push(w.ms),
      })
      const bus = new MemoryBus()
      const config = configSchema.parse({ linear: { teams: { ENG: 'u:eng-lead@example.com' } } }).linear!
      const cursors = { get: async () => null, set: async () => {} }
      await syncLinear({
        client,
        bus,
        cursors,
        durable: async () => {},
        config,
        teams: ['ENG'],
        now: () => clock,
      })
      // the workspace would have refused nothing: every wait came before the budget ran out
      expect(fake.budget.overBudget).toBe(0)
      expect(fake.log.filter((l) => l.refused)).toEqual([])
      // several windows were needed, and each one's complexity stayed within its 20,000 points
      expect(fake.budget.windows.length).toBeGreaterThan(2)
      expect(waits.length).toBe(fake.budget.windows.length - 1)
      for (const w of fake.budget.windows) expect(w.complexity).toBeLessThanOrEqual(20_000)
      // each window but the last was spent to within one query's cost
      const costliest = Math.max(...fake.log.map((l) => l.complexity))
      for (const w of fake.budget.windows.slice(0, -1))
        expect(w.complexity).toBeGreaterThan(20_000 - costliest)
      const ids = new Set(
        bus
          .messages(rawTopic('linear'))
          .map((m) => JSON.parse(m.value.toString()) as { entity: string; sourceId: string })
          .filter((e) => e.entity === 'issue')
          .map((e) => e.sourceId),
      )
      // ENG's 4 named issues and its 120 fillers
      expect(ids.size).toBe(4 + 120)
    } finally {
      await fake.close()
    }
  })
})
