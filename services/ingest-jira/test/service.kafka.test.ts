import type { ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RawEnvelope, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
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
import { startServiceProcess } from '../../../test/setup/service.ts'

/**
 * The built ingest-jira service as full mode runs it: its own process on a real broker, its
 * cursors in ClickHouse (CLICKHOUSE_URL when set, else the embedded engine in a data dir of its
 * own), pulling the fake Jira on a schedule and serving its webhook, probes and /metrics.
 */

const SECRET = 'ingest-jira-secret'
const dir = mkdtempSync(join(tmpdir(), 'orgpulse-ingest-jira-'))
const configFile = join(dir, 'orgpulse.yaml')
const credentials = { email: 'bot@example.com', token: 'api-token' }
const prefix = uniqueTopicPrefix('ingest-jira')
const day = (d: number) => new Date(Date.UTC(2026, 2, d, 9)).toISOString()

let fake: FakeJira
let bus: Bus
let raw: Collector
let child: ChildProcess
let address = ''
let output: string[] = []

/** the issues on the raw topic (each pull also publishes its coverage record, `synced:…`) */
const sourceIds = () =>
  raw.messages
    .map((m) => (JSON.parse(m.value.toString('utf8')) as RawEnvelope).sourceId)
    .filter((id) => !id.startsWith('synced:'))

beforeAll(async () => {
  fake = await startFakeJira({
    credentials,
    users: [{ accountId: 'acc-ivan', displayName: 'Ivan IC', emailAddress: 'ivan@acme.test' }],
    projects: [{ key: 'ENG', name: 'Engineering' }],
    issues: [
      { key: 'ENG-1', summary: 'Pick a queue', reporter: 'acc-ivan', created: day(2) },
      { key: 'ENG-2', summary: 'Build the API', reporter: 'acc-ivan', created: day(3) },
    ],
  })
  // JSON is YAML: the config names env variables, never secrets
  writeFileSync(configFile, JSON.stringify({ jira: { projects: ['ENG'] } }))
  bus = namespacedBus(createTestBus(), prefix)
  await bus.ensureTopics(TOPIC_SPECS)
  raw = await collect(bus, uniqueName('ingest-jira-raw'), [rawTopic('jira')])
  const service = await startServiceProcess('ingest-jira', {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    ORGPULSE_TOPIC_PREFIX: prefix,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? '',
    ORGPULSE_DATA_DIR: join(dir, 'data'),
    ORGPULSE_CONFIG: configFile,
    ORGPULSE_PULL_EVERY: '0.05',
    JIRA_BASE_URL: fake.url,
    JIRA_EMAIL: credentials.email,
    JIRA_API_TOKEN: credentials.token,
    JIRA_WEBHOOK_SECRET: SECRET,
  })
  child = service.child
  address = service.address
  output = service.output
}, 180_000)

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await raw?.subscription.stop()
  await bus?.close()
  await fake?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the ingest-jira service (full mode)', () => {
  it('answers its probes', async () => {
    const health = await fetch(`${address}/healthz`)
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok', service: 'ingest-jira' }])
    const ready = await fetch(`${address}/readyz`)
    expect(ready.status).toBe(200)
  })

  it('pulls the fake Jira on its schedule onto the raw topic, and counts the pulls in /metrics', async () => {
    await raw.until(() => sourceIds().length >= 2, 90_000)
    expect(new Set(sourceIds())).toEqual(new Set(['ENG-1', 'ENG-2']))
    await waitFor(
      async () => (await (await fetch(`${address}/metrics`)).text()).includes('outcome="ok"'),
      60_000,
    )
    const metrics = await (await fetch(`${address}/metrics`)).text()
    expect(metrics).toMatch(/orgpulse_ingest_pulls_total\{[^}]*source="jira"[^}]*\} [1-9]/)
    expect(metrics).toContain('orgpulse_ingest_last_pull_success_timestamp_seconds')
    // the next round is incremental from the stored cursor: nothing new, nothing published again
    await waitFor(() => output.filter((l) => l.includes('ingest-jira: jira done')).length >= 2, 60_000)
    expect(sourceIds().filter((id) => id === 'ENG-1').length).toBe(1)
  }, 180_000)

  it('accepts a signed webhook delivery on its own route and publishes it', async () => {
    const body = JSON.stringify({
      timestamp: Date.parse('2026-07-01T10:00:00Z'),
      webhookEvent: 'jira:issue_created',
      issue: { id: '10077', key: 'ENG-77', fields: { updated: '2026-07-01T10:00:00.000+0000' } },
    })
    const post = (signature: string) =>
      fetch(`${address}/webhooks/jira`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': signature,
          'x-atlassian-webhook-identifier': 'delivery-77',
        },
      })
    expect((await post('sha256=00')).status).toBe(401)
    const ok = await post(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`)
    expect([ok.status, await ok.json()]).toEqual([202, { accepted: 1, deliveryId: 'delivery-77' }])
    await raw.until(() => sourceIds().includes('ENG-77'), 30_000)
  }, 60_000)

  it('exits 0 on SIGTERM', async () => {
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
  }, 60_000)
})
