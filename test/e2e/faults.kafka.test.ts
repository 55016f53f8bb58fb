/**
 * Fault tests (bounded in time, loopback only): after each fault the ClickHouse contents equal
 * the expected set exactly, and the DLQ holds exactly the bad records.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { configSchema, type RawEnvelope, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { decisionEnvelope } from '@orgpulse/ingest-decisions'
import { type Bus, namespacedBus, publishRaw, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createTestBus,
  kafkaBrokers,
  type LocalKafka,
  startLocalKafka,
  uniqueTopicPrefix,
} from '../setup/kafka.ts'
import { decision, exited, startWorker } from './worker.ts'

const config = configSchema.parse({})
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

async function pipeline(bus: Bus, client: ClickHouseClient): Promise<Subscription[]> {
  const subs = [
    await startTransformer(bus, config),
    await startSink(bus, client),
    await startDlqSink(bus, client),
  ]
  cleanups.push(async () => {
    for (const s of subs) await s.stop()
  })
  return subs
}

async function freshClickHouse(label: string): Promise<{ client: ClickHouseClient; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `orgpulse-fault-${label}-`))
  const client = createClickHouse({ dataDir })
  await migrate(client)
  return { client, dataDir }
}

async function contents(client: ClickHouseClient) {
  const [row] = await queryRows<{ events: number; decisions: number; decided_by_new: number }>(
    client,
    `SELECT count() AS events, uniqExact(decision_id) AS decisions,
       countIf(type = 'decision.decided' AND actor = 'new@x.io') AS decided_by_new
     FROM decision_events FINAL`,
  )
  const dlq = await queryRows<{ key: string }>(client, 'SELECT key FROM dlq FINAL ORDER BY key')
  return { ...row!, dlq: dlq.map((d) => d.key) }
}

const envelopes = (n: number, from = 0): RawEnvelope[] =>
  Array.from({ length: n }, (_, i) => decisionEnvelope(decision(from + i)))

describe('fault tolerance', () => {
  it('holds batches while ClickHouse fails inserts, then writes each exactly once', async () => {
    // shared embedded engine for this file: chDB allows one data directory per process
    const { client } = await freshClickHouse('ch')
    let failures = 0
    const failUntil = Date.now() + 4000
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'insert') {
          return (...args: Parameters<ClickHouseClient['insert']>) => {
            if (Date.now() < failUntil) {
              failures++
              return Promise.reject(new Error('simulated: ClickHouse is unavailable'))
            }
            return target.insert(...args)
          }
        }
        return Reflect.get(target, prop, receiver)
      },
    })
    const bus = namespacedBus(createTestBus(), uniqueTopicPrefix('chfail'))
    cleanups.push(() => bus.close())
    await bus.ensureTopics(TOPIC_SPECS)
    await pipeline(bus, flaky)
    await publishRaw(bus, envelopes(2000))
    // a poison message and a duplicate delivery of the first 300 records, in the same stream
    await bus.publish(rawTopic('decisions'), [{ key: 'poison', value: Buffer.from('\u0000\u0001 not json') }])
    await publishRaw(bus, envelopes(300))
    // updates of 100 records: a newer version replaces the old one
    await publishRaw(
      bus,
      // no updatedAt on either version: the latest arrival wins
      Array.from({ length: 100 }, (_, i) => decisionEnvelope(decision(i, { decidedBy: 'new@x.io' }))),
    )
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 90_000)
    expect(failures).toBeGreaterThan(0)
    expect(await contents(client)).toEqual({
      events: 4000,
      decisions: 2000,
      decided_by_new: 100,
      dlq: ['poison'],
    })
    await client.close()
  }, 120_000)

  it('loses and duplicates nothing when the transformer and then the sink are SIGKILLed under load', async () => {
    const prefix = uniqueTopicPrefix('stagekill')
    const bus = namespacedBus(createTestBus(), prefix)
    cleanups.push(() => bus.close())
    await bus.ensureTopics(TOPIC_SPECS)
    const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-stagekill-'))
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      ORGPULSE_TOPIC_PREFIX: prefix,
      ORGPULSE_DATA_DIR: dataDir,
    }
    for (let i = 0; i < 12_000; i += 3000) await publishRaw(bus, envelopes(3000, i))

    // transformer alone, killed while it is publishing canonical events
    const transformer = startWorker({ ...env, ORGPULSE_STAGES: 'transformer' })
    await waitForLag(bus, STAGE_GROUPS.transformer, (lag) => lag < 9000)
    transformer.kill('SIGKILL')
    expect((await exited(transformer)).signal).toBe('SIGKILL')
    // sink (with a fresh transformer), the sink killed once it has written some batches
    const transformer2 = startWorker({ ...env, ORGPULSE_STAGES: 'transformer' })
    let written = 0
    const sink = startWorker({ ...env, ORGPULSE_STAGES: 'sink,dlq' }, (n) => {
      written += n
      if (written >= 3000 && !sink.killed) sink.kill('SIGKILL')
    })
    expect((await exited(sink)).signal).toBe('SIGKILL')
    const sink2 = startWorker({ ...env, ORGPULSE_STAGES: 'sink,dlq' })
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 180_000)
    for (const child of [transformer2, sink2]) {
      const done = exited(child)
      child.kill('SIGTERM')
      expect((await done).code).toBe(0)
    }
    const client = createClickHouse({ dataDir })
    const result = await contents(client)
    await client.close()
    expect(result).toEqual({ events: 24_000, decisions: 12_000, decided_by_new: 0, dlq: [] })
  }, 300_000)

  it('keeps every acknowledged record when the Kafka broker is stopped and restarted while ingesting', async () => {
    const kafka: LocalKafka = await startLocalKafka()
    cleanups.push(() => kafka.stop())
    const bus = createTestBus({ brokers: [kafka.brokers] })
    cleanups.push(() => bus.close())
    await bus.ensureTopics(TOPIC_SPECS)
    const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-brokerfault-'))
    const env = { KAFKA_BROKERS: kafka.brokers, ORGPULSE_DATA_DIR: dataDir }
    const worker = startWorker(env)

    // a connector-like publisher: a batch counts as ingested once acknowledged; unacknowledged
    // batches are retried, exactly as connectors keep their cursor until the ack
    let restarted = false
    for (let batch = 0; batch < 20; batch++) {
      const items = envelopes(150, batch * 150)
      for (let attempt = 1; ; attempt++) {
        try {
          await publishRaw(bus, items)
          break
        } catch (err) {
          if (attempt > 20) throw err
          await new Promise((r) => setTimeout(r, 500))
        }
      }
      if (batch === 8 && !restarted) {
        restarted = true
        await kafka.restart({ signal: 'SIGKILL', downMs: 2000 })
      }
    }
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 180_000)
    const done = exited(worker)
    worker.kill('SIGTERM')
    await done
    const client = createClickHouse({ dataDir })
    const result = await contents(client)
    await client.close()
    expect(result).toEqual({ events: 6000, decisions: 3000, decided_by_new: 0, dlq: [] })
  }, 300_000)
})

async function waitForLag(
  bus: Bus,
  group: { groupId: string; topics: string[] },
  ok: (lag: number) => boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (ok(await bus.lag(group.groupId, group.topics))) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`lag condition not reached for ${group.groupId}`)
}
