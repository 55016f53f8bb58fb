import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { rawTopic, TOPIC_SPECS, TOPICS } from '@orgpulse/contracts'
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from '@orgpulse/fakes/google-calendar'
import { type Bus, namespacedBus, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, createTestBus, uniqueName, uniqueTopicPrefix } from '../../../test/setup/kafka.ts'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import { allTablesText, config, GOOGLE_SEED, ingestFixtures } from './fixtures.ts'

/**
 * The calendar connector through a real Kafka broker: ICS + Google (fake) → raw topic →
 * transformer → canonical topic → ClickHouse. The secret title is searched for in the bytes of
 * every message on the raw and canonical topics, and in every ClickHouse table.
 */
let dir: string
let client: ClickHouseClient
let bus: Bus
let fake: FakeGoogleCalendar
const subs: Subscription[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-calendar-kafka-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  bus = namespacedBus(createTestBus(), uniqueTopicPrefix('calendar'))
  await bus.ensureTopics(TOPIC_SPECS)
  subs.push(
    await startTransformer(bus, config),
    await startSink(bus, client),
    await startDlqSink(bus, client),
  )
  fake = await startFakeGoogleCalendar(GOOGLE_SEED)
  await ingestFixtures({ bus, client, fake, workDir: dir })
  await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 120_000)
})

afterAll(async () => {
  for (const s of subs) await s.stop()
  await fake?.close()
  await bus?.close()
  await client?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('calendar privacy through Kafka', () => {
  it('no raw or canonical message carries the title', async () => {
    const seen = await collect(bus, uniqueName('calendar-check'), [rawTopic('calendar'), TOPICS.events])
    // ICS: 3 weekly occurrences + 1 all-day; Google: the same meeting on 2 calendars; then one
    // coverage record per calendar synced (the ICS owner's, ana's and mgr's)
    const raw = (m: { topic: string }) => m.topic.endsWith(rawTopic('calendar'))
    const coverage = (m: { value: Buffer }) =>
      (JSON.parse(m.value.toString()) as { entity: string }).entity === 'synced'
    const messages = await seen.until(
      (ms) => ms.filter(raw).length >= 6 + 3 && ms.filter((m) => !raw(m)).length >= 6 + 3,
    )
    await seen.subscription.stop()
    expect(messages.filter((m) => raw(m) && !coverage(m))).toHaveLength(6)
    expect(messages.filter((m) => raw(m) && coverage(m))).toHaveLength(3)
    for (const m of messages) expect(m.value.toString('utf8')).not.toMatch(/zeppelin/i)
  })

  it('no ClickHouse table carries the title, and the meetings arrived', async () => {
    const [count] = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM meetings FINAL')
    expect(Number(count?.n)).toBe(5)
    for (const [name, text] of await allTablesText(client))
      expect(text, `table ${name}`).not.toMatch(/zeppelin/i)
  })
})
