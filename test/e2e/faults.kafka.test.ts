/**
 * Fault tests (bounded in time, loopback only): after each fault the ClickHouse contents equal
 * the expected set exactly, and the DLQ holds exactly the bad records.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { configSchema, type RawEnvelope, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type Bus, namespacedBus, publishRaw, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'
import { afterAll, describe, expect, it } from 'vitest'
import { startCpuBurner } from '../setup/cpu-burner.ts'
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
    // inserts fail for 4 s from the first one: on a busy machine the three groups took longer
    // than 4 s to join, and a window counted from here had closed before the first insert
    let failUntil: number | undefined
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'insert') {
          return (...args: Parameters<ClickHouseClient['insert']>) => {
            failUntil ??= Date.now() + 4000
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

  it('recovers within 60 s of a killed broker coming back, at start-up and mid-stream, on a busy machine, keeping every acknowledged record', async () => {
    // a busy machine is where the pipeline stalled after a broker restart: keep one core spinning
    const burner = startCpuBurner()
    cleanups.push(async () => burner.stop())
    const kafka: LocalKafka = await startLocalKafka()
    cleanups.push(() => kafka.stop())
    const bus = createTestBus({ brokers: [kafka.brokers] })
    cleanups.push(() => bus.close())
    await bus.ensureTopics(TOPIC_SPECS)
    const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-brokerfault-'))
    // the worker's whole log, for a failure's post-mortem (the reporter shows the tail of stderr only)
    const logFile = join(mkdtempSync(join(tmpdir(), 'orgpulse-brokerfault-log-')), 'worker.log')
    let workerExit: { code: number | null; signal: NodeJS.Signals | null } | undefined
    const alive = (): void => {
      if (workerExit)
        throw new Error(`the worker exited (${JSON.stringify(workerExit)}); its log: ${logFile}`)
    }

    // a connector-like publisher: a batch counts as ingested once acknowledged; unacknowledged
    // batches are retried, exactly as connectors keep their cursor until the ack
    const ingest = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 150) {
        const items = envelopes(150, i)
        for (;;) {
          try {
            await publishRaw(bus, items)
            break
          } catch {
            alive()
            await sleep(500)
          }
        }
      }
    }
    /** recovered = every record through transformer, sink and DLQ sink; ms since the broker came back */
    const recovered = async (backAt: number, fault: string): Promise<number> => {
      for (;;) {
        alive()
        let lag: number | string = 0
        try {
          for (const g of Object.values(STAGE_GROUPS)) lag += await bus.lag(g.groupId, g.topics)
          if (lag === 0) return Date.now() - backAt
        } catch (err) {
          lag = `unknown (${(err as Error).message})`
        }
        // a consumer that never recovers fails here, with its records still unprocessed
        if (Date.now() - backAt > 60_000) {
          throw new Error(
            `${fault}: not recovered 60 s after the broker came back; lag ${lag}; worker log: ${logFile}`,
          )
        }
        await sleep(100)
      }
    }
    const figures: Record<string, number> = {}

    await ingest(0, 600)
    // fault 1: the broker is down while the worker starts, for longer than the clients' own
    // connect retries (kafkajs gives up after about 40 s): the worker must wait, not exit
    await kafka.halt({ signal: 'SIGKILL' })
    const worker = startWorker(
      { KAFKA_BROKERS: kafka.brokers, ORGPULSE_DATA_DIR: dataDir },
      () => {},
      logFile,
    )
    void exited(worker).then((e) => {
      workerExit = e
    })
    await sleep(50_000)
    await kafka.resume()
    let backAt = Date.now()
    await ingest(600, 1500)
    figures.startup = await recovered(backAt, 'broker down at start-up')

    // fault 2: killed mid-stream while ingestion goes on (publishes retried until acked), down
    // longer than kafkajs' consumer retry budget (5 retries, about 10 s), so its consumers crash
    await kafka.halt({ signal: 'SIGKILL' })
    const ingesting = ingest(1500, 3000)
    await sleep(15_000)
    await kafka.resume()
    backAt = Date.now()
    await ingesting
    figures.midStream = await recovered(backAt, 'broker killed mid-stream')
    if (process.env.ORGPULSE_TEST_VERBOSE) console.info('recovered (ms after the broker came back)', figures)

    const done = exited(worker)
    worker.kill('SIGTERM')
    expect((await done).code).toBe(0)
    const client = createClickHouse({ dataDir })
    const result = await contents(client)
    await client.close()
    expect(result).toEqual({ events: 6000, decisions: 3000, decided_by_new: 0, dlq: [] })
  }, 420_000)
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

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
