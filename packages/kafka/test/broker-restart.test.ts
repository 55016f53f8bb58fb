/**
 * The bus across a broker crash: a private broker (not the shared one, other test files keep
 * using that) is SIGKILLed and restarted while records are published and consumed. Nothing
 * acknowledged may be lost; duplicates are allowed (at-least-once, dedup lives downstream).
 */
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  collect,
  createTestBus,
  type LocalKafka,
  startLocalKafka,
  testTopics,
  uniqueName,
  uniqueTopicPrefix,
  waitFor,
} from '../../../test/setup/kafka.ts'
import type { KafkaClientName } from '../src/index.ts'

const hasJava = spawnSync('java', ['-version']).status === 0

describe.skipIf(!hasJava)('bus across a broker crash and restart', () => {
  let kafka: LocalKafka
  beforeAll(async () => {
    kafka = await startLocalKafka()
  })
  afterAll(async () => {
    await kafka?.stop()
  })

  it.each<KafkaClientName>(['kafkajs', 'platformatic'])(
    '%s: every acknowledged record arrives, consumption resumes',
    async (client) => {
      const bus = createTestBus({ client, brokers: [kafka.brokers] })
      try {
        const topic = `${uniqueTopicPrefix(client)}crash`
        const groupId = uniqueName('g')
        await bus.ensureTopics(testTopics([topic], 3))
        const c = await collect(bus, groupId, [topic])

        const acked: string[] = []
        /** publishes like an ingest service: a failed publish is retried, never skipped */
        const publishRange = async (from: number, to: number) => {
          for (let i = from; i < to; i += 10) {
            const values = Array.from({ length: Math.min(10, to - i) }, (_, j) => String(i + j))
            for (;;) {
              try {
                await bus.publish(
                  topic,
                  values.map((v) => ({ key: `k${Number(v) % 13}`, value: Buffer.from(v) })),
                )
                acked.push(...values)
                break
              } catch {
                await new Promise((r) => setTimeout(r, 500))
              }
            }
          }
        }

        await publishRange(0, 100)
        await c.until((m) => m.length >= 100)

        const publishing = publishRange(100, 200)
        await kafka.restart({ signal: 'SIGKILL' })
        await publishing
        await publishRange(200, 250)

        const want = Array.from({ length: 250 }, (_, i) => String(i))
        expect([...acked].sort()).toEqual([...want].sort())
        const received = () => new Set(c.messages.map((m) => m.value.toString()))
        await waitFor(
          () => want.every((v) => received().has(v)),
          90_000,
          () => `${received().size}/250 distinct received`,
        )
        await waitFor(async () => (await bus.lag(groupId, [topic])) === 0, 30_000)
        await c.subscription.stop()
      } finally {
        await bus.close()
      }
    },
    180_000,
  )
})
