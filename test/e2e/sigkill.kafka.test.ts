import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClickHouse, queryRows } from '@orgpulse/clickhouse'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { TOPIC_SPECS } from '@orgpulse/contracts'
import { namespacedBus, publishRaw, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS } from '@orgpulse/transformer'
import { describe, expect, it } from 'vitest'
import { createTestBus, kafkaBrokers, uniqueTopicPrefix } from '../setup/kafka.ts'
import { decision, exited, startWorker } from './worker.ts'

const DECISIONS = 20_000

describe('crash safety', () => {
  it('loses and duplicates nothing when the consumer is SIGKILLed mid-batch and restarted', async () => {
    const prefix = uniqueTopicPrefix('sigkill')
    const bus = namespacedBus(createTestBus(), prefix)
    await bus.ensureTopics(TOPIC_SPECS)
    const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-sigkill-'))
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      ORGPULSE_TOPIC_PREFIX: prefix,
      ORGPULSE_DATA_DIR: dataDir,
    }
    const envelopes = Array.from({ length: DECISIONS }, (_, i) => decisionEnvelope(decision(i)))
    for (let i = 0; i < envelopes.length; i += 5000) await publishRaw(bus, envelopes.slice(i, i + 5000))

    // first run: killed without warning once a few batches are in
    let written = 0
    const first = startWorker(env, (n) => {
      written += n
      if (written >= 4000 && !first.killed) first.kill('SIGKILL')
    })
    const firstExit = await exited(first)
    expect(firstExit.signal).toBe('SIGKILL')
    expect(written).toBeGreaterThanOrEqual(4000)
    expect(written).toBeLessThan(DECISIONS * 2)

    // second run: catches up from the committed offsets, then stops cleanly on SIGTERM
    const second = startWorker(env, () => {})
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 180_000)
    const done = exited(second)
    second.kill('SIGTERM')
    expect((await done).code).toBe(0)
    await bus.close()

    const client = createClickHouse({ dataDir })
    const [row] = await queryRows<{ events: number; decisions: number; raised: number; decided: number }>(
      client,
      `SELECT count() AS events, uniqExact(decision_id) AS decisions,
         countIf(type = 'decision.raised') AS raised, countIf(type = 'decision.decided') AS decided
       FROM decision_events FINAL`,
    )
    await client.close()
    expect(row).toEqual({
      events: DECISIONS * 2,
      decisions: DECISIONS,
      raised: DECISIONS,
      decided: DECISIONS,
    })
  }, 300_000)
})
