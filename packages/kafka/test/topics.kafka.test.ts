/** Topic bootstrap on a real broker: partitions, retention and compaction as TOPIC_SPECS say. */
import { TOPIC_SPECS, TOPICS, type TopicSpec } from '@orgpulse/contracts'
import kafkajs from 'kafkajs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createTestBus, kafkaBrokers, uniqueName, uniqueTopicPrefix } from '../../../test/setup/kafka.ts'
import type { KafkaClientName } from '../src/index.ts'

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs

/** reads topic configs straight from the broker, independently of the bus under test */
async function describeTopics(
  names: string[],
): Promise<Map<string, { partitions: number; configs: Record<string, string> }>> {
  const admin = new Kafka({
    clientId: uniqueName('inspect'),
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
  }).admin()
  await admin.connect()
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: names })
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    })
    const out = new Map<string, { partitions: number; configs: Record<string, string> }>()
    for (const t of topics) {
      const r = resources.find((x) => x.resourceName === t.name)
      out.set(t.name, {
        partitions: t.partitions.length,
        configs: Object.fromEntries((r?.configEntries ?? []).map((e) => [e.configName, e.configValue])),
      })
    }
    return out
  } finally {
    await admin.disconnect()
  }
}

describe.each<KafkaClientName>(['kafkajs', 'platformatic'])('ensureTopics on %s', (client) => {
  const bus = createTestBus({ client })
  afterAll(() => bus.close())

  it('creates the orgpulse topics with their partitions, retention and compaction, idempotently', async () => {
    // the real specs under a unique prefix, so tests never fight over orgpulse's own topic names
    const prefix = uniqueTopicPrefix(client)
    const specs: TopicSpec[] = TOPIC_SPECS.map((s) => ({ ...s, name: prefix + s.name }))
    await bus.ensureTopics(specs)
    await bus.ensureTopics(specs) // existing topics are fine

    const described = await describeTopics(specs.map((s) => s.name))
    for (const s of specs) {
      const d = described.get(s.name)
      expect(d, s.name).toBeDefined()
      expect(d?.partitions, s.name).toBe(s.partitions)
      expect(d?.configs['cleanup.policy'], s.name).toBe(s.compacted ? 'compact' : 'delete')
      expect(d?.configs['retention.ms'], s.name).toBe(String(s.retentionMs))
    }
    expect(described.get(prefix + TOPICS.org)?.configs['cleanup.policy']).toBe('compact')
  })

  // only on the brokers this repo configures (auto.create.topics.enable=false); not on KAFKA_BROKERS
  it.runIf(inject('kafkaSource') !== 'env')(
    'publish to a topic nobody created fails instead of auto-creating it',
    async () => {
      const strict = createTestBus({ client, publishRetries: 2 })
      try {
        await expect(
          strict.publish(`${uniqueTopicPrefix(client)}missing`, [{ key: 'k', value: Buffer.from('v') }]),
        ).rejects.toThrow()
      } finally {
        await strict.close()
      }
    },
  )
})
