import { CursorStore } from '@orgpulse/clickhouse'
import { configSchema, rawTopic } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  diesOnFirstCursor,
  type EmbeddedPipeline,
  impliedAndStored,
  ProcessDied,
  startEmbeddedPipeline,
} from '../../../test/setup/embedded-pipeline.ts'
import { cursorScope, syncJira } from '../src/index.ts'
import { clientFor, jiraConfig, seed } from './fixtures.ts'

/**
 * Embedded mode: the bus "ack" is in memory. A Jira sync whose process dies right after it
 * stored a cursor must not have stored it before the pipeline wrote what it covers, or the
 * next run starts past issues that never reached ClickHouse and they are lost for good.
 */
const jira = jiraConfig()
const config = configSchema.parse({ jira })
let pipeline: EmbeddedPipeline
let fake: FakeJira

beforeAll(async () => {
  pipeline = await startEmbeddedPipeline(config, 'jira-crash-embedded')
  fake = await startFakeJira(seed())
}, 120_000)

afterAll(async () => {
  await fake?.close()
  await pipeline?.stop()
})

const TABLES = ['workitem_events', 'decision_events', 'dependency_events']

describe('Jira connector killed between storing a cursor and the sink writing', () => {
  it('the rerun starts from a cursor whose issues are all in ClickHouse: nothing is lost', async () => {
    const real = new CursorStore(pipeline.client)
    const sync = (cursors: CursorStore) =>
      syncJira({
        client: clientFor(fake.url),
        bus: pipeline.bus,
        cursors,
        durable: () => pipeline.durable(),
        config: jira,
        instance: fake.url,
      })
    await expect(sync(diesOnFirstCursor(real, pipeline))).rejects.toThrow(ProcessDied)
    const firstRun = pipeline.bus.messages(rawTopic('jira'))
    expect(firstRun.length).toBeGreaterThan(0)
    // the cursor did land: the next run is incremental for ENG
    expect(await real.get('jira', cursorScope(fake.url, 'ENG'))).not.toBeNull()

    await pipeline.restart()
    const rerun = await sync(real)
    expect(rerun.projects.map((p) => [p.project, p.mode])).toEqual([
      ['ENG', 'incremental'],
      ['OPS', 'full'],
    ])
    await pipeline.flush()

    // every fact any published record implies is stored, once
    const { implied, stored } = await impliedAndStored(
      pipeline.client,
      [...firstRun, ...pipeline.bus.messages(rawTopic('jira'))],
      config,
      TABLES,
    )
    expect(implied.workitem_events?.length).toBeGreaterThan(0)
    expect(stored).toEqual(implied)
  })
})
