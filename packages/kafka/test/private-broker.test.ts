/**
 * Tests that stop and restart a broker run on a private one (infra/kafka-local), never on the
 * shared broker other test files use: the local runner itself (restart keeps data, stop cleans
 * up, a failed start explains itself) and the bus across a broker crash (SIGKILL while records
 * are published and consumed: nothing acknowledged is lost; duplicates are allowed, dedup lives
 * downstream). One JVM for the whole file keeps the parallel test run light.
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
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

const isAlive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// no skip without Java: a run that cannot start a broker must fail, not pass quietly
describe('private local broker', () => {
  let kafka: LocalKafka
  beforeAll(async () => {
    kafka = await startLocalKafka()
  })
  afterAll(async () => {
    await kafka?.stop()
  })

  it('restarts on the same port with topics and records intact (after SIGTERM and SIGKILL)', async () => {
    const bus = createTestBus({ brokers: [kafka.brokers] })
    try {
      const topic = `${uniqueTopicPrefix('local')}kept`
      await bus.ensureTopics(testTopics([topic]))
      await bus.publish(topic, [{ key: 'a', value: Buffer.from('1') }])
      const firstPid = kafka.pid()

      await kafka.restart()
      expect(kafka.pid()).not.toBe(firstPid)
      expect(isAlive(firstPid)).toBe(false)
      expect(kafka.brokers).toBe(`127.0.0.1:${kafka.port}`)
      // the same data dir: the record published before the restart is still there
      expect(await bus.lag('never-committed', [topic])).toBe(1)

      await kafka.halt({ signal: 'SIGKILL' })
      expect(kafka.isRunning()).toBe(false)
      await kafka.resume()
      expect(await bus.lag('never-committed', [topic])).toBe(1)
    } finally {
      await bus.close()
    }
  }, 120_000)

  it.each<KafkaClientName>(['kafkajs', 'platformatic'])(
    '%s bus: every acknowledged record arrives across a broker crash, consumption resumes',
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

  it('fails fast with the tail of the broker log when a broker cannot start', async () => {
    // hold the port the broker wants: it exits at startup with a bind error
    const blocker: Server = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const address = blocker.address()
    const port = typeof address === 'object' && address ? address.port : 0
    try {
      const started = Date.now()
      await expect(startLocalKafka({ port, startTimeoutMs: 60_000 })).rejects.toThrow(
        /Tail of .*broker\.log/s,
      )
      expect(Date.now() - started).toBeLessThan(45_000)
    } finally {
      blocker.close()
    }
  }, 90_000)

  // last: the other tests use this broker
  it('stop() ends the broker and removes its temp data dir', async () => {
    const pid = kafka.pid()
    expect(isAlive(pid)).toBe(true)
    await kafka.stop()
    expect(isAlive(pid)).toBe(false)
    expect(existsSync(kafka.dataDir)).toBe(false)
    await kafka.stop() // idempotent
  })
})
