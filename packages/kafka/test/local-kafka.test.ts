/** The local broker runner (infra/kafka-local): restart keeps data, stop cleans up, failures explain. */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createTestBus, startLocalKafka, testTopics, uniqueTopicPrefix } from '../../../test/setup/kafka.ts'

const hasJava = spawnSync('java', ['-version']).status === 0

const isAlive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(!hasJava)('local Kafka runner', () => {
  it('restarts on the same port with topics and records intact (after SIGTERM and SIGKILL), and stop() cleans up', async () => {
    const kafka = await startLocalKafka()
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
      const pid = kafka.pid()
      await kafka.stop()
      expect(isAlive(pid)).toBe(false)
      expect(existsSync(kafka.dataDir)).toBe(false)
    }
  }, 120_000)

  it('fails fast with the tail of the broker log when the broker cannot start', async () => {
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
})
