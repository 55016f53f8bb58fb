import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  CursorStore,
  createClickHouse,
  FACT_TABLE,
  migrate,
  queryRows,
} from '@orgpulse/clickhouse'
import { configSchema, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { MemoryBus, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startSink, startTransformer, transformBytes } from '@orgpulse/transformer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeLinear, linearTestSeed, startFakeLinear } from '../../../test/fakes/linear/index.ts'
import { LinearClient, syncLinear } from '../src/index.ts'

/**
 * A Linear connector that dies after the bus acknowledged what it published but before it
 * committed the cursor: the next run starts over, publishes the same records again, and the
 * deterministic event ids collapse the copies: ClickHouse holds each fact exactly once.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-linear-crash-'))
const config = configSchema.parse({
  linear: { teams: { ENG: 'u:eng-lead@example.com', PLAT: 'u:plat-lead@example.com' } },
})
const linear = config.linear!
let client: ClickHouseClient
let bus: MemoryBus
let subs: Subscription[] = []
let fake: FakeLinear

class CrashAfterPublish extends Error {}

beforeAll(async () => {
  client = createClickHouse({ dataDir })
  await migrate(client)
  bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs = [await startTransformer(bus, config), await startSink(bus, client)]
  fake = await startFakeLinear(linearTestSeed())
}, 120_000)

afterAll(async () => {
  for (const s of subs) await s.stop()
  await bus?.close()
  await fake?.close()
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const apiClient = () =>
  new LinearClient({
    url: fake.url,
    credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
  })
const TABLES = ['decision_events', 'workitem_events', 'dependency_events', 'cycles'] as const
const stored = async (): Promise<Record<string, { rows: number; ids: string[] }>> => {
  const out: Record<string, { rows: number; ids: string[] }> = {}
  for (const t of TABLES) {
    const [r] = await queryRows<{ rows: number; ids: string[] }>(
      client,
      `SELECT toInt32(count()) AS rows, groupUniqArray(id) AS ids FROM ${t} FINAL`,
    )
    out[t] = r!
  }
  return out
}

describe('Linear connector crash between publishing and committing its cursor', () => {
  it('re-publishes from scratch and ClickHouse still holds every fact exactly once', async () => {
    const real = new CursorStore(client)
    const dying = {
      get: real.get.bind(real),
      set: async () => Promise.reject(new CrashAfterPublish('killed before the cursor commit')),
    }
    await expect(
      syncLinear({ client: apiClient(), bus, cursors: dying as unknown as CursorStore, config: linear }),
    ).rejects.toThrow(CrashAfterPublish)
    const published = bus.messages(rawTopic('linear')).length
    expect(published).toBeGreaterThan(0)
    expect(await real.get('linear', 'ENG')).toBeNull()

    // restart with working cursors: everything is read and published again
    const result = await syncLinear({ client: apiClient(), bus, cursors: real, config: linear })
    expect(result.teams.every((t) => t.mode === 'full')).toBe(true)
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink])
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
