/**
 * End-to-end freshness through a real broker: a signed Jira webhook received by the api →
 * raw topic → transformer → canonical topic → sink → ClickHouse → visible to the metric queries.
 * Measured per delivery, one at a time, with the pipeline idle in between.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { jiraWebhookRoutes } from '@orgpulse/connector-jira'
import { configSchema, jiraConfigSchema, TOPIC_SPECS } from '@orgpulse/contracts'
import { startFakeJira } from '@orgpulse/fakes/jira'
import { createKafkaBusWith, type KafkaClientName, publishRaw } from '@orgpulse/kafka'
import { startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'
import Fastify from 'fastify'
import { startLocalKafka } from '../../infra/kafka-local/local-kafka.ts'
import { quantile, round } from '../format.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { deliveries?: number; client?: KafkaClientName }
const deliveries = Number(args.deliveries ?? 40)
const SECRET = 'bench-secret'

async function main(): Promise<void> {
  const kafka = await startLocalKafka({ logLevel: 'warn' })
  const bus = createKafkaBusWith(args.client ?? 'kafkajs', {
    brokers: [kafka.brokers],
    clientId: 'bench-freshness',
  })
  await bus.ensureTopics(TOPIC_SPECS)
  const client = createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-bench-fresh-')) })
  await migrate(client)
  const config = configSchema.parse({
    jira: jiraConfigSchema.parse({
      baseUrl: 'http://jira.invalid',
      projects: ['ENG'],
      teams: [{ team: 'u:lead@acme.test', projects: ['ENG'] }],
    }),
  })
  const subs = [
    await startTransformer(bus, config),
    await startSink(bus, client),
    await startDlqSink(bus, client),
  ]
  const app = Fastify()
  await app.register(jiraWebhookRoutes, {
    secret: SECRET,
    publish: (envelopes) => publishRaw(bus, envelopes),
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const jira = await startFakeJira({
    users: [{ accountId: 'acc-ivan', displayName: 'Ivan', emailAddress: 'ivan@acme.test' }],
    projects: [{ key: 'ENG' }],
  })
  const latencies: number[] = []
  try {
    for (let i = 1; i <= deliveries; i++) {
      const payload = jira.createIssue(
        { key: `ENG-${i}`, type: 'Decision', summary: `decision ${i}`, reporter: 'acc-ivan' },
        { by: 'acc-ivan' },
      )
      const t = performance.now()
      const res = await jira.deliver(`${url}/webhooks/jira`, payload, {
        secret: SECRET,
        deliveryId: `bench-${i}`,
      })
      if (!res.ok) throw new Error(`webhook answered ${res.status}`)
      for (;;) {
        const [row] = await queryRows<{ n: number }>(
          client,
          "SELECT count() AS n FROM decision_events FINAL WHERE decision_id = {id:String} AND type = 'decision.raised'",
          { id: `jira:ENG-${i}` },
        )
        if (Number(row!.n) > 0) break
        if (performance.now() - t > 60_000) throw new Error(`ENG-${i} not visible after 60 s`)
        await new Promise((r) => setTimeout(r, 10))
      }
      latencies.push(performance.now() - t)
    }
  } finally {
    for (const s of subs) await s.stop()
    await app.close()
    await jira.close()
    await bus.close()
    await client.close()
    await kafka.stop()
  }
  latencies.sort((a, b) => a - b)
  process.stdout.write(
    `${JSON.stringify({ deliveries, p50_ms: round(quantile(latencies, 0.5)), p95_ms: round(quantile(latencies, 0.95)), max_ms: round(latencies[latencies.length - 1]!) })}\n`,
  )
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
