import { CursorStore, FACT_TABLE, queryRows } from '@orgpulse/clickhouse'
import { configSchema, rawTopic } from '@orgpulse/contracts'
import { type FakeLinear, linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../../../test/setup/embedded-pipeline.ts'
import { transformBytes } from '../../../test/setup/pipeline.ts'
import { LinearClient, syncLinear } from '../src/index.ts'

/**
 * A Linear connector that dies after the bus acknowledged what it published but before it
 * committed the cursor: the next run starts over, publishes the same records again, and the
 * deterministic event ids collapse the copies: ClickHouse holds each fact exactly once.
 */
const config = configSchema.parse({
  linear: { teams: { ENG: 'u:eng-lead@example.com', PLAT: 'u:plat-lead@example.com' } },
})
const linear = config.linear!
let pipeline: EmbeddedPipeline
let fake: FakeLinear

class CrashAfterPublish extends Error {}

beforeAll(async () => {
  pipeline = await startEmbeddedPipeline(config, 'linear-crash')
  fake = await startFakeLinear(linearTestSeed())
}, 120_000)

afterAll(async () => {
  await fake?.close()
  await pipeline?.stop()
})

const apiClient = () =>
  new LinearClient({
    url: fake.url,
    credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
  })
const TABLES = [
  'decision_events',
  'workitem_events',
  'dependency_events',
  'cycles',
  'source_coverage',
] as const
const stored = async (): Promise<Record<string, { rows: number; ids: string[] }>> => {
  const out: Record<string, { rows: number; ids: string[] }> = {}
  for (const t of TABLES) {
    const [r] = await queryRows<{ rows: number; ids: string[] }>(
      pipeline.client,
      `SELECT toInt32(count()) AS rows, groupUniqArray(id) AS ids FROM ${t} FINAL`,
    )
    out[t] = r!
  }
  return out
}

describe('Linear connector crash between publishing and committing its cursor', () => {
  it('re-publishes from scratch and ClickHouse still holds every fact exactly once', async () => {
    const { bus } = pipeline
    const real = new CursorStore(pipeline.client)
    const dying = {
      get: real.get.bind(real),
      set: async () => Promise.reject(new CrashAfterPublish('killed before the cursor commit')),
    }
    await expect(
      syncLinear({
        client: apiClient(),
        bus,
        cursors: dying as unknown as CursorStore,
        durable: pipeline.durable,
        config: linear,
      }),
    ).rejects.toThrow(CrashAfterPublish)
    const published = bus.messages(rawTopic('linear')).length
    expect(published).toBeGreaterThan(0)
    expect(await real.get('linear', 'ENG')).toBeNull()

    // restart with working cursors: everything is read and published again
    const result = await syncLinear({
      client: apiClient(),
      bus,
      cursors: real,
      durable: pipeline.durable,
      config: linear,
    })
    expect(result.teams.every((t) => t.mode === 'full')).toBe(true)
    await pipeline.flush()
    const raw = bus.messages(rawTopic('linear'))
    // the first run's records really went out twice
    expect(raw.length).toBe(published + result.envelopes)
    const keys = raw.map((m) => m.key)
    expect(keys.filter((k, i) => keys.indexOf(k) !== i).length).toBeGreaterThanOrEqual(published)

    // the expected set: every canonical event the published records imply, once
    // (MemoryBus lists a topic partition by partition, so the two runs interleave here)
    const expected = new Map<string, Set<string>>(TABLES.map((t) => [t, new Set<string>()]))
    for (const m of raw)
      for (const e of transformBytes(m.value, { config })) expected.get(FACT_TABLE[e.type])!.add(e.id)
    const facts = await stored()
    for (const t of TABLES) {
      // nothing lost, nothing twice: the stored ids are exactly the expected ones, each in one row
      expect({ table: t, rows: facts[t]!.rows, ids: facts[t]!.ids.sort() }).toEqual({
        table: t,
        rows: expected.get(t)!.size,
        ids: [...expected.get(t)!].sort(),
      })
    }
    expect(facts.workitem_events!.rows).toBeGreaterThan(0)
    expect(facts.decision_events!.rows).toBeGreaterThan(0)
  })
})
