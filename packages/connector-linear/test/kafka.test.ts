import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  CursorStore,
  createClickHouse,
  migrate,
  queryRows,
} from '@orgpulse/clickhouse'
import { configSchema, TOPIC_SPECS } from '@orgpulse/contracts'
import { type FakeLinear, linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { ackIsDurable, type Bus, namespacedBus, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestBus, uniqueTopicPrefix } from '../../../test/setup/kafka.ts'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import { LinearClient, syncLinear } from '../src/index.ts'

/** The Linear connector through a real Kafka broker, the transformer and the sink into ClickHouse. */
const config = configSchema.parse({
  linear: { teams: { ENG: 'u:eng-lead@example.com', PLAT: 'u:plat-lead@example.com' } },
})
let fake: FakeLinear
let bus: Bus
let client: ClickHouseClient
let subs: Subscription[] = []

beforeAll(async () => {
  fake = await startFakeLinear(linearTestSeed())
  bus = namespacedBus(createTestBus(), uniqueTopicPrefix('linear'))
  await bus.ensureTopics(TOPIC_SPECS)
  client = createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-linear-kafka-')) })
  await migrate(client)
  subs = [await startTransformer(bus, config), await startSink(bus, client), await startDlqSink(bus, client)]
}, 180_000)

afterAll(async () => {
  for (const s of subs) await s.stop()
  await bus?.close()
  await client?.close()
  await fake?.close()
})

describe('Linear connector through Kafka', () => {
  it('syncs the fake workspace into ClickHouse with the same cycle figures as embedded mode', async () => {
    const result = await syncLinear({
      client: new LinearClient({
        url: fake.url,
        credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
      }),
      bus,
      cursors: new CursorStore(client),
      durable: ackIsDurable,
      config: config.linear!,
      full: true,
    })
    expect(result.teams.length).toBeGreaterThan(0)
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 90_000)
    const cycles = await queryRows<{ cycle_id: string; committed: number; completed: number; added: number }>(
      client,
      "SELECT cycle_id, committed, completed, added FROM cycles FINAL WHERE team = 'u:eng-lead@example.com' ORDER BY cycle_id",
    )
    expect(cycles).toEqual([
      { cycle_id: 'linear:c-eng-1', committed: 20, completed: 16, added: 4 },
      { cycle_id: 'linear:c-eng-2', committed: 8, completed: 7, added: 2 },
    ])
    const [dlq] = await queryRows<{ n: number }>(client, 'SELECT count() AS n FROM dlq')
    expect(Number(dlq!.n)).toBe(0)
  }, 180_000)
})
