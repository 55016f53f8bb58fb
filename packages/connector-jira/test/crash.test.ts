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
import { configSchema, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { MemoryBus, type Subscription, waitUntilCaughtUp, waitUntilWritten } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STAGE_GROUPS, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import { cursorScope, syncJira } from '../src/index.ts'
import { clientFor, jiraConfig, seed, USERS } from './fixtures.ts'

/**
 * A connector that dies after Kafka acknowledged a page but before it committed the cursor: the
 * next run starts from the old cursor, publishes the same changes again, and the deterministic
 * event ids make the second copy collapse: ClickHouse ends up with each change exactly once.
 */
let client: ClickHouseClient
let bus: MemoryBus
let subs: Subscription[] = []
let fake: FakeJira
const jira = jiraConfig()
const config = configSchema.parse({ jira })

class CrashAfterPublish extends Error {}
/** as the embedded runtime does: a cursor waits until the pipeline wrote what it covers */
const durable = () => waitUntilWritten(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink])

beforeAll(async () => {
  client = createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-jira-crash-')) })
  await migrate(client)
  bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs = [await startTransformer(bus, config), await startSink(bus, client)]
  fake = await startFakeJira(seed())
}, 120_000)

afterAll(async () => {
  for (const s of subs) await s.stop()
  await bus?.close()
  await fake?.close()
  await client?.close()
})

const facts = async () => {
  const [row] = await queryRows<{ work: number; decisions: string[] }>(
    client,
    `SELECT (SELECT count() FROM workitem_events FINAL) AS work,
       (SELECT arraySort(groupArray(type)) FROM decision_events FINAL WHERE decision_id = 'jira:ENG-3') AS decisions`,
  )
  return { work: Number(row!.work), decisions: row!.decisions }
}

describe('connector crash between publishing and committing its cursor', () => {
  it('re-publishes from the old cursor and ClickHouse still holds every change exactly once', async () => {
    const real = new CursorStore(client)
    // first run: the process "dies" on its first cursor commit, after the page was acknowledged
    const dying = {
      get: real.get.bind(real),
      set: async () => Promise.reject(new CrashAfterPublish('killed before the cursor commit')),
    }
    await expect(
      syncJira({
        client: clientFor(fake.url),
        bus,
        cursors: dying as unknown as CursorStore,
        durable,
        config: jira,
        instance: fake.url,
      }),
    ).rejects.toThrow(CrashAfterPublish)
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink])
    const afterCrash = await facts()
    // the ENG page was acknowledged before the crash: its 4 issues are in
    expect(afterCrash.work).toBe(4)
    expect(await real.get('jira', cursorScope(fake.url, 'ENG'))).toBeNull()

    // restart: no cursor, so the same issues are published again, plus one new change
    fake.transition('ENG-3', 'Decided', { by: USERS.dana.accountId, at: Date.UTC(2026, 2, 9, 9) })
    const result = await syncJira({
      client: clientFor(fake.url),
      bus,
      cursors: real,
      durable,
      config: jira,
      instance: fake.url,
    })
    expect(result.projects.every((p) => p.mode === 'full')).toBe(true)
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink])
    const after = await facts()
    // 6 issues' creation states + the one new transition, each once, although the ENG page was
    // delivered twice
    expect(after.work).toBe(7)
    // the ENG issues really were published twice: 4 before the crash, then all 6, each project
    // closed by its coverage record (the crashed run got no further than its first cursor: none)
    expect(bus.messages(rawTopic('jira'))).toHaveLength(4 + 6 + 2)
    expect(after.decisions).toEqual(['decision.decided', 'decision.raised'])
  })
})
