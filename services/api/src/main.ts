import { createClickHouse, migrate } from '@orgpulse/clickhouse'
import { loadConfig } from '@orgpulse/contracts'
import { createBusFromEnv, namespacedFromEnv } from '@orgpulse/kafka'
import { startRollupRefresher } from '@orgpulse/metrics'
import { buildApp } from './app.ts'

/**
 * The api service for full mode (docker compose): reads ClickHouse (CLICKHOUSE_URL), publishes
 * POSTed decisions and vendor webhooks to Kafka (KAFKA_BROKERS), and keeps the weekly metric
 * rollups that Grafana dashboards and alerts read current.
 */
async function main(): Promise<void> {
  const { config } = loadConfig()
  const kafka = createBusFromEnv({ clientId: 'orgpulse-api' })
  if (!kafka)
    throw new Error(
      'KAFKA_BROKERS is not set: the api service publishes to Kafka (use `orgpulse start` for embedded mode)',
    )
  const bus = namespacedFromEnv(kafka)
  const client = createClickHouse({ dataDir: process.env.ORGPULSE_DATA_DIR ?? '.orgpulse' })
  await migrate(client)
  const port = Number(process.env.PORT ?? 3000)
  const app = await buildApp({
    client,
    bus,
    config,
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
    // OpenAPI `servers`: from outside a container the api is rarely at this address (ORGPULSE_API_PUBLIC_URL)
    serverUrl: `http://127.0.0.1:${port}`,
  })
  const refresher = startRollupRefresher(client, config, {
    intervalMs: Number(process.env.ORGPULSE_ROLLUP_INTERVAL_MS ?? 60_000),
    onError: (err) => app.log.warn({ err: err.message }, 'rollup refresh failed; retrying on the next run'),
  })
  await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' })
  const stop = async () => {
    await app.close()
    await refresher.stop()
    await bus.close()
    await client.close()
    process.exit(0)
  }
  process.once('SIGTERM', () => void stop())
  process.once('SIGINT', () => void stop())
}

main().catch((err) => {
  process.stderr.write(`api failed: ${(err as Error).message}\n`)
  process.exit(1)
})
