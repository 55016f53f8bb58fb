import { createClickHouse, migrate, resolveCluster } from '@orgpulse/clickhouse'
import { loadConfig, parseEnv } from '@orgpulse/contracts'
import { runProcess } from '@orgpulse/http'
import { createBusFromEnv, namespacedFromEnv } from '@orgpulse/kafka'
import { startRollupRefresher } from '@orgpulse/metrics'
import { buildApp } from './app.ts'

/**
 * The api service for full mode (docker compose): reads ClickHouse (CLICKHOUSE_URL), publishes
 * POSTed decisions to Kafka (KAFKA_BROKERS), and keeps the weekly metric rollups that Grafana
 * dashboards and alerts read current. Vendor webhooks are the ingest services' (ingest-jira,
 * ingest-linear), one each, as in DESIGN's full mode.
 */
runProcess('api', async () => {
  const env = parseEnv(process.env)
  const { config } = loadConfig(env.ORGPULSE_CONFIG)
  const kafka = createBusFromEnv({ clientId: 'orgpulse-api' }, env)
  if (!kafka)
    throw new Error(
      'KAFKA_BROKERS is not set: the api service publishes to Kafka (use `orgpulse start` for embedded mode)',
    )
  const bus = namespacedFromEnv(kafka, env)
  const client = createClickHouse({
    url: env.CLICKHOUSE_URL,
    dataDir: env.ORGPULSE_DATA_DIR,
    memoryMb: env.ORGPULSE_ENGINE_MEMORY_MB,
    ...(env.CLICKHOUSE_DATABASE ? { database: env.CLICKHOUSE_DATABASE } : {}),
    cluster: resolveCluster(env.CLICKHOUSE_CLUSTER, config.clickhouse),
  })
  await migrate(client)
  const port = env.PORT ?? 3000
  const app = await buildApp({
    client,
    bus,
    config,
    env,
    vendorWebhooks: false,
    logger: { level: env.LOG_LEVEL ?? 'info' },
    // OpenAPI `servers`: from outside a container the api is rarely at this address (ORGPULSE_API_PUBLIC_URL)
    serverUrl: `http://127.0.0.1:${port}`,
  })
  const refresher = startRollupRefresher(client, config, {
    intervalMs: env.ORGPULSE_ROLLUP_INTERVAL_MS,
    onError: (err) => app.log.warn({ err: err.message }, 'rollup refresh failed; retrying on the next run'),
  })
  await app.listen({ port, host: env.HOST })
  return [
    { name: 'clickhouse client', stop: () => client.close() },
    { name: 'kafka bus', stop: () => bus.close() },
    { name: 'rollup refresher', stop: () => refresher.stop() },
    { name: 'http server', stop: () => app.close() },
  ]
})
