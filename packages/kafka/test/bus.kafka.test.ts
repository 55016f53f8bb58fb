/**
 * The bus port's contract on a real Kafka broker, for both client libraries: exact round trip,
 * commit only after the handler succeeded, redelivery of a rejected batch, bounded stop, lag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  collect,
  createTestBus,
  testTopics,
  uniqueName,
  uniqueTopicPrefix,
  waitFor,
} from '../../../test/setup/kafka.ts'
import type { KafkaBus, KafkaClientName } from '../src/index.ts'
import type { BusMessage, DeliveredBatch, DeliveredMessage } from '../src/port.ts'

const CLIENTS: KafkaClientName[] = ['kafkajs', 'platformatic']

const byOffset = (a: DeliveredMessage, b: DeliveredMessage) =>
  a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))
const strip = (m: DeliveredMessage): BusMessage => ({
  key: m.key,
  value: m.value,
  ...(m.headers ? { headers: m.headers } : {}),
})

describe.each(CLIENTS)('Kafka bus on %s', (client) => {
  let bus: KafkaBus
  beforeAll(() => {
    bus = createTestBus({ client })
  })
  afterAll(async () => {
    await bus.close()
  })

  it('reports which client it runs on', () => {
    expect(bus.kind).toBe('kafka')
    expect(bus.client).toBe(client)
  })

  it('delivers exactly what was published: keys, bytes, headers, per-key order', async () => {
    const topic = `${uniqueTopicPrefix(client)}roundtrip`
    await bus.ensureTopics(testTopics([topic], 3))
    const sent: BusMessage[] = []
    for (let i = 0; i < 60; i++) {
      sent.push({
        key: `entity-${i % 7}`,
        // binary payload incl. zero bytes and non-UTF-8: must come back byte for byte
        value: Buffer.concat([Buffer.from([0, 255, i]), Buffer.from(`payload ${i} é`)]),
        ...(i % 3 === 0 ? { headers: { 'x-source': 'jira', 'x-seq': String(i) } } : {}),
      })
    }
    sent.push({ key: null, value: Buffer.from('keyless') })
    await bus.publish(topic, sent.slice(0, 30))
    await bus.publish(topic, sent.slice(30))

    const c = await collect(bus, uniqueName('g'), [topic])
    const got = await c.until((m) => m.length >= sent.length)
    await c.subscription.stop()

    expect(got).toHaveLength(sent.length)
    expect(got.every((m) => m.topic === topic)).toBe(true)
    // same multiset of messages
    const canon = (m: BusMessage) => JSON.stringify([m.key, m.value.toString('base64'), m.headers ?? null])
    expect(got.map((m) => canon(strip(m))).sort()).toEqual(sent.map(canon).sort())
    // one partition per key, and per-key order = publish order
    for (let k = 0; k < 7; k++) {
      const key = `entity-${k}`
      const mine = got.filter((m) => m.key === key).sort(byOffset)
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1)
      expect(mine.map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value))
    }
  })

  it('redelivers a rejected batch, commits after success, and a restarted consumer gets only new records', async () => {
    const topic = `${uniqueTopicPrefix(client)}commit`
    const groupId = uniqueName('g')
    await bus.ensureTopics(testTopics([topic], 1))
    await bus.publish(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })),
    )

    const seen: DeliveredBatch[] = []
    let failures = 0
    const sub = await bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handler: async (batch) => {
        seen.push(batch)
        if (failures === 0) {
          failures++
          throw new Error('sink down')
        }
      },
    })
    await waitFor(() => seen.length >= 2 && seen.slice(1).reduce((n, b) => n + b.messages.length, 0) >= 10)
    await waitFor(async () => (await bus.lag(groupId, [topic])) === 0)
    await sub.stop()

    // the batch after the rejection starts where the rejected one started, with the same records
    const [rejected, again] = seen as [DeliveredBatch, DeliveredBatch]
    expect(again.messages[0]!.offset).toBe(rejected.messages[0]!.offset)
    const n = Math.min(rejected.messages.length, again.messages.length)
    expect(again.messages.slice(0, n).map(strip)).toEqual(rejected.messages.slice(0, n).map(strip))
    const accepted = seen.slice(1).flatMap((b) => b.messages.map((m) => m.value.toString()))
    expect(accepted).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`))

    // restart: nothing committed comes back, new records do
    await bus.publish(topic, [{ key: 'k10', value: Buffer.from('v10') }])
    const c = await collect(bus, groupId, [topic])
    await c.until((m) => m.length >= 1)
    await new Promise((r) => setTimeout(r, 1500))
    await c.subscription.stop()
    expect(c.messages.map((m) => m.value.toString())).toEqual(['v10'])
  })

  it('never loses a batch whose handler keeps failing: the next consumer of the group receives it', async () => {
    const topic = `${uniqueTopicPrefix(client)}poison`
    const groupId = uniqueName('g')
    await bus.ensureTopics(testTopics([topic], 1))
    await bus.publish(topic, [
      { key: 'a', value: Buffer.from('1') },
      { key: 'b', value: Buffer.from('2') },
    ])
    let attempts = 0
    const failing = await bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handler: async () => {
        attempts++
        throw new Error('always')
      },
    })
    await waitFor(() => attempts >= 2)
    await failing.stop()
    expect(await bus.lag(groupId, [topic])).toBe(2)

    const c = await collect(bus, groupId, [topic])
    await c.until((m) => m.length >= 2)
    await c.subscription.stop()
    expect(c.messages.map((m) => m.value.toString())).toEqual(['1', '2'])
  })

  it('stop() lets the batch in hand finish and commit; isStopping() tells the handler', async () => {
    const topic = `${uniqueTopicPrefix(client)}stop`
    const groupId = uniqueName('g')
    await bus.ensureTopics(testTopics([topic], 1))
    await bus.publish(topic, [{ key: 'a', value: Buffer.from('1') }])
    let entered!: () => void
    const inHandler = new Promise<void>((r) => {
      entered = r
    })
    let sawStopping = false
    let finished = false
    const sub = await bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handler: async (batch) => {
        entered()
        await waitFor(() => batch.isStopping(), 10_000)
        sawStopping = true
        await batch.heartbeat()
        await new Promise((r) => setTimeout(r, 300))
        finished = true
      },
    })
    await inHandler
    await sub.stop()
    expect(sawStopping).toBe(true)
    expect(finished).toBe(true)
    expect(await bus.lag(groupId, [topic])).toBe(0)
  })

  it('lag counts what the group has not committed yet and goes to 0', async () => {
    const topic = `${uniqueTopicPrefix(client)}lag`
    const groupId = uniqueName('g')
    await bus.ensureTopics(testTopics([topic], 3))
    await bus.publish(
      topic,
      Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(String(i)) })),
    )
    // a group that never committed lags by everything retained
    expect(await bus.lag(groupId, [topic])).toBe(25)
    const c = await collect(bus, groupId, [topic])
    await c.until((m) => m.length >= 25)
    await waitFor(async () => (await bus.lag(groupId, [topic])) === 0, 15_000)
    await c.subscription.stop()
    expect(await bus.lag(groupId, [topic])).toBe(0)
  })

  it('splits a publish above the request size limit and keeps its order', async () => {
    const topic = `${uniqueTopicPrefix(client)}big`
    await bus.ensureTopics(testTopics([topic], 1))
    // ~3 MB in one call: more than the broker's 1 MiB per-batch limit
    const big = Array.from({ length: 300 }, (_, i) => ({ key: 'same', value: Buffer.alloc(10_000, i % 256) }))
    await bus.publish(topic, big)
    const c = await collect(bus, uniqueName('g'), [topic])
    const got = await c.until((m) => m.length >= 300)
    await c.subscription.stop()
    expect(got.map((m) => m.value[0])).toEqual(big.map((_, i) => i % 256))
  })
})

describe('both clients', () => {
  it('put a key on the same partition (Java-compatible murmur2), so they can share topics', async () => {
    const a = createTestBus({ client: 'kafkajs' })
    const b = createTestBus({ client: 'platformatic' })
    try {
      const topic = `${uniqueTopicPrefix('mix')}partitioning`
      await a.ensureTopics(testTopics([topic], 6))
      const keys = Array.from({ length: 40 }, (_, i) => `issue-${i * 7919}`)
      await a.publish(
        topic,
        keys.map((k) => ({ key: k, value: Buffer.from('a') })),
      )
      await b.publish(
        topic,
        keys.map((k) => ({ key: k, value: Buffer.from('b') })),
      )
      const c = await collect(a, uniqueName('g'), [topic])
      const got = await c.until((m) => m.length >= 80)
      await c.subscription.stop()
      for (const k of keys) {
        const parts = got.filter((m) => m.key === k).map((m) => `${m.value.toString()}:${m.partition}`)
        expect(parts).toHaveLength(2)
        expect(new Set(parts.map((p) => p.split(':')[1])).size).toBe(1)
      }
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})
