import type { ChildProcess } from 'node:child_process'
import { type RawEnvelope, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type Bus, namespacedBus } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Collector,
  collect,
  createTestBus,
  kafkaBrokers,
  uniqueName,
  uniqueTopicPrefix,
} from '../../../test/setup/kafka.ts'
import { startServiceProcess } from '../../../test/setup/service.ts'

/** the built ingest-decisions service on a real broker: a push-only service needs no ClickHouse. */

const prefix = uniqueTopicPrefix('ingest-decisions')
let bus: Bus
let raw: Collector
let child: ChildProcess
let address = ''

beforeAll(async () => {
  bus = namespacedBus(createTestBus(), prefix)
  await bus.ensureTopics(TOPIC_SPECS)
  raw = await collect(bus, uniqueName('ingest-decisions-raw'), [rawTopic('decisions')])
  const service = await startServiceProcess('ingest-decisions', {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    ORGPULSE_TOPIC_PREFIX: prefix,
    // no ClickHouse at all: a data dir would be created if the service opened one
    CLICKHOUSE_URL: '',
    ORGPULSE_DATA_DIR: '/nonexistent/orgpulse-ingest-decisions',
    ORGPULSE_CONFIG: '',
  })
  child = service.child
  address = service.address
}, 180_000)

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await raw?.subscription.stop()
  await bus?.close()
})

describe('the ingest-decisions service (full mode)', () => {
  it('publishes POSTed decision records to the raw topic, answers its probes, and exits 0 on SIGTERM', async () => {
    const record = {
      id: 'D-svc-1',
      title: 'Adopt Kafka',
      raisedBy: 'ann@x.io',
      raisedAt: '2026-07-01T09:00:00Z',
      status: 'decided',
      decidedBy: 'mia@x.io',
      decidedAt: '2026-07-02T09:00:00Z',
    }
    const res = await fetch(`${address}/v1/decisions`, {
      method: 'POST',
      body: JSON.stringify(record),
      headers: { 'content-type': 'application/json' },
    })
    expect([res.status, await res.json()]).toEqual([202, { accepted: 1, ids: ['D-svc-1'] }])
    await raw.until(
      (ms) => ms.some((m) => (JSON.parse(m.value.toString('utf8')) as RawEnvelope).sourceId === 'D-svc-1'),
      30_000,
    )
    expect((await fetch(`${address}/healthz`)).status).toBe(200)
    expect((await fetch(`${address}/readyz`)).status).toBe(200)
    expect(await (await fetch(`${address}/metrics`)).text()).toContain('service="ingest-decisions"')
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
  }, 90_000)
})
