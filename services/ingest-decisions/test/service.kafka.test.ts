import { type ChildProcess, spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
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
  waitFor,
} from '../../../test/setup/kafka.ts'

/** services/ingest-decisions/src/main.ts on a real broker: a push-only service needs no ClickHouse. */

const ROOT = resolve(import.meta.dirname, '../../..')
const prefix = uniqueTopicPrefix('ingest-decisions')
let bus: Bus
let raw: Collector
let child: ChildProcess
let address = ''
const output: string[] = []

beforeAll(async () => {
  bus = namespacedBus(createTestBus(), prefix)
  await bus.ensureTopics(TOPIC_SPECS)
  raw = await collect(bus, uniqueName('ingest-decisions-raw'), [rawTopic('decisions')])
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/ingest-decisions/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      ORGPULSE_TOPIC_PREFIX: prefix,
      // no ClickHouse at all: a data dir would be created if the service opened one
      CLICKHOUSE_URL: '',
      ORGPULSE_DATA_DIR: '/nonexistent/orgpulse-ingest-decisions',
      ORGPULSE_CONFIG: '',
      HOST: '127.0.0.1',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  for (const stream of [child.stdout!, child.stderr!])
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line)
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (m) address = m[1]!
    })
  await waitFor(
    () => address !== '' || child.exitCode !== null,
    120_000,
    () => output.slice(-5).join('\n'),
  )
  if (!address) throw new Error(`ingest-decisions did not start:\n${output.join('\n')}`)
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
