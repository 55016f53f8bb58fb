/**
 * Consumer groups with more than one member: the work is shared, nothing is lost when a member
 * joins, and (kafkajs, eager rebalancing) a handler stuck retrying learns through isStopping()
 * that its partition is being taken away.
 */
import { describe, expect, it } from 'vitest'
import {
  collect,
  createTestBus,
  testTopics,
  uniqueName,
  uniqueTopicPrefix,
  waitFor,
} from '../../../test/setup/kafka.ts'
import type { KafkaClientName } from '../src/index.ts'

describe.each<KafkaClientName>(['kafkajs', 'platformatic'])('consumer group on %s', (client) => {
  it('two members share the partitions and together see every record', async () => {
    const bus = createTestBus({ client })
    try {
      const topic = `${uniqueTopicPrefix(client)}shared`
      const groupId = uniqueName('g')
      await bus.ensureTopics(testTopics([topic], 4))
      const a = await collect(bus, groupId, [topic])
      const b = await collect(bus, groupId, [topic])
      await bus.publish(
        topic,
        Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(String(i)) })),
      )
      const distinct = () => new Set([...a.messages, ...b.messages].map((m) => m.value.toString()))
      await waitFor(
        () => distinct().size === 200,
        45_000,
        () => `${distinct().size}/200`,
      )
      await waitFor(async () => (await bus.lag(groupId, [topic])) === 0, 30_000)
      await Promise.all([a.subscription.stop(), b.subscription.stop()])
      // a member that left hands its partitions over: nothing committed comes back
      expect(await bus.lag(groupId, [topic])).toBe(0)
    } finally {
      await bus.close()
    }
  }, 120_000)
})

describe('kafkajs eager rebalance', () => {
  it('a handler retrying with heartbeats sees isStopping() when a member joins; its batch is redelivered', async () => {
    const bus = createTestBus({ client: 'kafkajs' })
    try {
      const topic = `${uniqueTopicPrefix('rebalance')}busy`
      const groupId = uniqueName('g')
      await bus.ensureTopics(testTopics([topic], 2))
      await bus.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(String(i)) })),
      )

      let inHandler = false
      let sawStopping = false
      const busy = await bus.consume({
        groupId,
        topics: [topic],
        fromBeginning: true,
        // the sink is "down": retry with heartbeats until told to give up, as runStage does
        handler: async (batch) => {
          inHandler = true
          const deadline = Date.now() + 30_000
          while (!batch.isStopping() && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 100))
            await batch.heartbeat().catch(() => {})
          }
          sawStopping = batch.isStopping()
          throw new Error('gave up: partition revoked')
        },
      })
      await waitFor(() => inHandler, 20_000)
      const other = await collect(bus, groupId, [topic])
      await waitFor(() => sawStopping, 30_000)
      // the busy member still fails everything it gets: all records must reach the other one
      await busy.stop()
      await other.until((m) => new Set(m.map((x) => x.value.toString())).size === 20, 45_000)
      await other.subscription.stop()
      expect(await bus.lag(groupId, [topic])).toBe(0)
    } finally {
      await bus.close()
    }
  }, 120_000)
})
