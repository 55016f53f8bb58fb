import { createClickHouse, migrate, resolveCluster } from '@orgpulse/clickhouse'
import { type Env, loadConfig, parseEnv, TOPIC_SPECS } from '@orgpulse/contracts'
import {
  metricsPlugin,
  registerErrorHandler,
  registerStageMetrics,
  runProcess,
  type Stoppable,
} from '@orgpulse/http'
import { createBusFromEnv, namespacedFromEnv, StageHealth } from '@orgpulse/kafka'
import Fastify from 'fastify'
import { pino } from 'pino'
import { Counter, register } from 'prom-client'
import { startDlqSink, startSink, startTransformer } from './stages.ts'

/**
 * The transformer service for full mode: raw topics → canonical events (transformer) and
 * canonical events → ClickHouse (sink). ORGPULSE_STAGES picks which run here (default both, plus
 * the DLQ sink), so they can be scaled per partition independently. SIGTERM/SIGINT: finish the
 * batch in hand (its offsets committed only if it was written), leave the group, exit 0.
 */

const written = new Counter({
  name: 'orgpulse_sink_events_written_total',
  help: 'canonical events written to ClickHouse',
})

/**
 * GET /metrics, /healthz and /readyz on ORGPULSE_METRICS_PORT (off when unset: several stage
 * processes may share a host). /healthz stays green while a stage retries (restarting would drop
 * nothing but the retry); /readyz turns red once one has held a batch past ORGPULSE_STAGE_STALL_MS.
 */
async function startOpsServer(env: Env, stages: readonly string[], health: StageHealth) {
  const port = env.ORGPULSE_METRICS_PORT
  if (!port) return null
  const app = Fastify()
  registerErrorHandler(app)
  await app.register(metricsPlugin, { service: 'transformer', registry: register })
  registerStageMetrics(register, health)
  app.get('/healthz', async () => ({ status: 'ok', stages }))
  app.get('/readyz', async (_req, reply) => {
    const check = health.check()
    return reply
      .code(check === 'ok' ? 200 : 503)
      .send({ status: check === 'ok' ? 'ready' : 'not ready', checks: { stages: check } })
  })
  await app.listen({ port, host: env.HOST })
  return app
}

runProcess('transformer', async () => {
  const env = parseEnv(process.env)
  const log = pino({ level: env.LOG_LEVEL ?? 'info' })
  const kafka = createBusFromEnv({ clientId: 'orgpulse-transformer' }, env)
  if (!kafka) throw new Error('KAFKA_BROKERS is not set: the transformer service needs a Kafka broker')
  const bus = namespacedFromEnv(kafka, env)
  await bus.ensureTopics(TOPIC_SPECS)
  const stages = env.ORGPULSE_STAGES
  // only the sinks write to ClickHouse; a transformer-only process must not hold the embedded engine's data dir
  const needsClickHouse = stages.includes('sink') || stages.includes('dlq')
  const { config } = loadConfig(env.ORGPULSE_CONFIG)
  const client = needsClickHouse
    ? createClickHouse({
        url: env.CLICKHOUSE_URL,
        dataDir: env.ORGPULSE_DATA_DIR,
        ...(env.CLICKHOUSE_DATABASE ? { database: env.CLICKHOUSE_DATABASE } : {}),
        cluster: resolveCluster(env.CLICKHOUSE_CLUSTER, config.clickhouse),
      })
    : null
  if (client) await migrate(client, { log: (m) => log.info(m) })
  const health = new StageHealth(env.ORGPULSE_STAGE_STALL_MS)
  // start order; the shell stops them in reverse: the stages finish their batch before the bus and client close
  const parts: Stoppable[] = [{ name: 'kafka bus', stop: () => bus.close() }]
  if (client) parts.unshift({ name: 'clickhouse client', stop: () => client.close() })
  if (stages.includes('transformer')) {
    const transformer = await startTransformer(bus, config, log, { health })
    parts.push({ name: 'transformer stage', stop: () => transformer.stop() })
  }
  if (client && stages.includes('sink')) {
    const sink = await startSink(bus, client, log, {
      health,
      onWritten: (events) => written.inc(events.length),
    })
    parts.push({ name: 'sink stage', stop: () => sink.stop() })
  }
  if (client && stages.includes('dlq')) {
    const dlq = await startDlqSink(bus, client, log, { health })
    parts.push({ name: 'dlq sink stage', stop: () => dlq.stop() })
  }
  log.info({ stages, stallMs: health.stallMs }, 'transformer service running')
  const http = await startOpsServer(env, stages, health)
  if (http) parts.push({ name: 'ops http server', stop: () => http.close() })
  return parts
})
