import type { CursorStore } from '@orgpulse/clickhouse'
import { configSchema, type RawEnvelope, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { ackIsDurable, type KafkaBus } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, createTestBus, uniqueName } from '../../../test/setup/kafka.ts'
import { transformBytes } from '../../../test/setup/pipeline.ts'
import { syncJira } from '../src/index.ts'
import { clientFor, jiraConfig, seed, USERS } from './fixtures.ts'

/**
 * The connector through a real Kafka broker: what syncJira publishes is acknowledged, keyed by
 * issue key, and maps on the consuming side. The raw topic is shared with other tests, so this
 * run's records are told apart by their instance (the fake's unique URL).
 */

let fake: FakeJira
let bus: KafkaBus

/** in-memory cursors: this test is about the bus, not about ClickHouse */
function memoryCursors(): CursorStore {
  const store = new Map<string, { cursor: string; configHash: string; updatedAt: string }>()
  const port = {
    get: async (c: string, s: string) => store.get(`${c}/${s}`) ?? null,
    set: async (c: string, s: string, cursor: string, configHash = '') => {
      store.set(`${c}/${s}`, { cursor, configHash, updatedAt: new Date().toISOString() })
    },
    clear: async () => store.clear(),
  }
  return port as unknown as CursorStore
}

beforeAll(async () => {
  fake = await startFakeJira(seed())
  bus = createTestBus()
  await bus.ensureTopics(TOPIC_SPECS.filter((t) => t.name === rawTopic('jira')))
}, 180_000)
afterAll(async () => {
  await bus?.close()
  await fake?.close()
})

describe('Jira connector through Kafka', () => {
  it('publishes issues with full changelogs that map to the same events on the consumer side', async () => {
    fake.transition('ENG-3', 'Decided', { by: USERS.dana.accountId, at: Date.UTC(2026, 2, 8, 9) })
    const jira = jiraConfig()
    const result = await syncJira({
      client: clientFor(fake.url),
      bus,
      cursors: memoryCursors(),
      durable: ackIsDurable,
      config: jira,
      instance: fake.url,
    })
    expect(result.projects.map((p) => p.issues)).toEqual([4, 2])

    const collector = await collect(bus, uniqueName('jira-raw'), [rawTopic('jira')])
    const ours = (ms: typeof collector.messages) =>
      ms.filter((m) => (JSON.parse(m.value.toString()) as RawEnvelope).meta?.instance === fake.url)
    const delivered = ours(await collector.until((ms) => ours(ms).length >= 6, 60_000))
    await collector.subscription.stop()
    expect(delivered.map((m) => m.key).sort()).toEqual(['ENG-1', 'ENG-2', 'ENG-3', 'ENG-4', 'OPS-1', 'OPS-2'])

    const config = configSchema.parse({ jira })
    const eng3 = delivered.find((m) => m.key === 'ENG-3')!
    const events = transformBytes(eng3.value, { config })
    expect(events.map((e) => `${e.type} ${e.occurredAt}`).sort()).toEqual([
      'decision.decided 2026-03-08T09:00:00.000Z',
      'decision.raised 2026-03-04T09:00:00.000Z',
      'workitem.status_changed 2026-03-04T09:00:00.000Z',
      'workitem.status_changed 2026-03-08T09:00:00.000Z',
    ])
    expect(events.find((e) => e.type === 'decision.decided')).toMatchObject({
      actor: 'dana@acme.test',
      raisedBy: 'ivan@acme.test',
      team: 'u:erin@acme.test',
    })
  }, 120_000)
})
