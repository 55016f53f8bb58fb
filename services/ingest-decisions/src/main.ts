import { decisionIngestRoutes } from '@orgpulse/connector-decisions'
import { loadConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import { metricsPlugin, registerErrorHandler } from '@orgpulse/http'
import { createBusFromEnv, namespacedFromEnv, publishDeadLetters, publishRaw } from '@orgpulse/kafka'
import Fastify from 'fastify'

/** The decision-log ingest service for full mode: POST /v1/decisions → orgpulse.raw.decisions.v1. */
async function main(): Promise<void> {
  loadConfig()
  const kafka = createBusFromEnv({ clientId: 'orgpulse-ingest-decisions' })
  if (!kafka) throw new Error('KAFKA_BROKERS is not set: the ingest service needs a Kafka broker')
  const bus = namespacedFromEnv(kafka)
  await bus.ensureTopics(TOPIC_SPECS)
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  registerErrorHandler(app)
  await app.register(metricsPlugin, { service: 'ingest-decisions' })
  app.get('/healthz', async () => ({ status: 'ok' }))
  await app.register(decisionIngestRoutes, {
    publish: (envelopes) => publishRaw(bus, envelopes),
    deadLetter: (dead) => publishDeadLetters(bus, dead),
  })
  await app.listen({ port: Number(process.env.PORT ?? 8081), host: process.env.HOST ?? '0.0.0.0' })
  const stop = async () => {
    await app.close()
    await bus.close()
    process.exit(0)
  }
  process.once('SIGTERM', () => void stop())
  process.once('SIGINT', () => void stop())
}

main().catch((err) => {
  process.stderr.write(`ingest-decisions failed: ${(err as Error).message}\n`)
  process.exit(1)
})
