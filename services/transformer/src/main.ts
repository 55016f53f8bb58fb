import { createClickHouse, migrate } from '@orgpulse/clickhouse'
import { loadConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import { metricsPlugin, registerErrorHandler, registerStageMetrics } from '@orgpulse/http'
import { createBusFromEnv, namespacedFromEnv, StageHealth, type Subscription } from '@orgpulse/kafka'
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
const log = pino({ level: process.env.LOG_LEVEL ?? 'info' })

const written = new Counter({
  name: 'orgpulse_sink_events_written_total',
  help: 'canonical events written to ClickHouse',
})

/**
 * GET /metrics, /healthz and /readyz on ORGPULSE_METRICS_PORT (off when unset: several stage
 * processes may share a host). /healthz stays green while a stage retries (restarting would drop
 * nothing but the retry); /readyz turns red once one has held a batch past ORGPULSE_STAGE_STALL_MS.
 */
async function startOpsServer(stages: string[], health: StageHealth) {
  const port = Number(process.env.ORGPULSE_METRICS_PORT ?? 0)
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
  await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' })
  return app
}

async function main(): Promise<void> {
  const kafka = createBusFromEnv({ clientId: 'orgpulse-transformer' })
  if (!kafka) throw new Error('KAFKA_BROKERS is not set: the transformer service needs a Kafka broker')
  const bus = namespacedFromEnv(kafka)
  await bus.ensureTopics(TOPIC_SPECS)
  const stages = (process.env.ORGPULSE_STAGES ?? 'transformer,sink,dlq').split(',').map((s) => s.trim())
  // only the sinks write to ClickHouse; a transformer-only process must not hold the embedded engine's data dir
  const needsClickHouse = stages.includes('sink') || stages.includes('dlq')
  const client = needsClickHouse
    ? createClickHouse({ dataDir: process.env.ORGPULSE_DATA_DIR ?? '.orgpulse' })
    : null
  if (client) await migrate(client, { log: (m) => log.info(m) })
  const { config } = loadConfig()
  const health = new StageHealth()
  const subs: Subscription[] = []
  if (stages.includes('transformer')) subs.push(await startTransformer(bus, config, log, { health }))
  if (client && stages.includes('sink')) {
    subs.push(
      await startSink(bus, client, log, { health, onWritten: (events) => written.inc(events.length) }),
    )
  }
  if (client && stages.includes('dlq')) subs.push(await startDlqSink(bus, client, log, { health }))
  log.info({ stages, stallMs: health.stallMs }, 'transformer service running')
  const http = await startOpsServer(stages, health)
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping: finishing the batch in hand')
    for (const s of subs) await s.stop()
    await http?.close()
    await bus.close()
    await client?.close()
    log.info('stopped cleanly')
    process.exit(0)
  }
  process.once('SIGTERM', () => void stop('SIGTERM'))
  process.once('SIGINT', () => void stop('SIGINT'))
}

main().catch((err) => {
  log.fatal({ err: (err as Error).message }, 'transformer service failed')
  process.exit(1)
})
