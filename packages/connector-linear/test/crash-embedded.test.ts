import { CursorStore } from '@orgpulse/clickhouse'
import { configSchema, rawTopic } from '@orgpulse/contracts'
import { type FakeLinear, linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  diesOnFirstCursor,
  type EmbeddedPipeline,
  impliedAndStored,
  ProcessDied,
  startEmbeddedPipeline,
} from '../../../test/setup/embedded-pipeline.ts'
import { LinearClient, syncLinear } from '../src/index.ts'

/**
 * Embedded mode: the bus "ack" is in memory. A Linear sync whose process dies right after it
 * stored a team's cursor must not have stored it before the pipeline wrote that team's issues
 * and cycles, or the next (incremental) run never asks for them again.
 */
const config = configSchema.parse({
  linear: { teams: { ENG: 'u:eng-lead@example.com', PLAT: 'u:plat-lead@example.com' } },
})
const linear = config.linear!
let pipeline: EmbeddedPipeline
let fake: FakeLinear

beforeAll(async () => {
  pipeline = await startEmbeddedPipeline(config, 'linear-crash-embedded')
  fake = await startFakeLinear(linearTestSeed())
}, 120_000)

afterAll(async () => {
  await fake?.close()
  await pipeline?.stop()
})

const TABLES = ['decision_events', 'workitem_events', 'dependency_events', 'cycles']
const apiClient = () =>
  new LinearClient({
    url: fake.url,
    credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
  })

describe('Linear connector killed between storing a cursor and the sink writing', () => {
  it('the rerun starts from a cursor whose records are all in ClickHouse: nothing is lost', async () => {
    const real = new CursorStore(pipeline.client)
    const sync = (cursors: CursorStore) =>
      syncLinear({
        client: apiClient(),
        bus: pipeline.bus,
        cursors,
        durable: () => pipeline.durable(),
        config: linear,
      })
    await expect(sync(diesOnFirstCursor(real, pipeline))).rejects.toThrow(ProcessDied)
    const firstRun = pipeline.bus.messages(rawTopic('linear'))
    expect(firstRun.length).toBeGreaterThan(0)
    expect(await real.get('linear', 'team:ENG')).not.toBeNull()

    await pipeline.restart()
    const rerun = await sync(real)
    expect(rerun.teams.map((t) => [t.team, t.mode])).toEqual([
      ['ENG', 'incremental'],
      ['PLAT', 'full'],
    ])
    await pipeline.flush()

    // every fact any published record implies is stored, once
    const { implied, stored } = await impliedAndStored(
      pipeline.client,
      [...firstRun, ...pipeline.bus.messages(rawTopic('linear'))],
      config,
      TABLES,
    )
    expect(implied.workitem_events?.length).toBeGreaterThan(0)
    expect(stored).toEqual(implied)
  })
})
