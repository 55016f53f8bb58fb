import { decisionIngestRoutes } from '@orgpulse/connector-decisions'
import { loadConfig, parseEnv, TOPIC_SPECS } from '@orgpulse/contracts'
import { metricsPlugin, registerErrorHandler, runProcess } from '@orgpulse/http'
import { createBusFromEnv, namespacedFromEnv, publishDeadLetters, publishRaw } from '@orgpulse/kafka'
import Fastify from 'fastify'

/** The decision-log ingest service for full mode: POST /v1/decisions → orgpulse.raw.decisions.v1. */
runProcess('ingest-decisions', async () => {
  const env = parseEnv(process.env)
  // an invalid orgpulse.yaml stops the service at start, as it does every other one
  loadConfig(env.ORGPULSE_CONFIG)
  const kafka = createBusFromEnv({ clientId: 'orgpulse-ingest-decisions' }, env)
  if (!kafka) throw new Error('KAFKA_BROKERS is not set: the ingest service needs a Kafka broker')
  const bus = namespacedFromEnv(kafka, env)
  await bus.ensureTopics(TOPIC_SPECS)
  const app = Fastify({ logger: { level: env.LOG_LEVEL ?? 'info' } })
  registerErrorHandler(app)
  await app.register(metricsPlugin, { service: 'ingest-decisions' })
  app.get('/healthz', async () => ({ status: 'ok' }))
  await app.register(decisionIngestRoutes, {
    publish: (envelopes) => publishRaw(bus, envelopes),
    deadLetter: (dead) => publishDeadLetters(bus, dead),
  })
  await app.listen({ port: env.PORT ?? 8081, host: env.HOST })
  return [
    { name: 'kafka bus', stop: () => bus.close() },
    { name: 'http server', stop: () => app.close() },
  ]
})
