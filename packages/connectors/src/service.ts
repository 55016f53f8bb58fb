import {
  type ClickHouseClient,
  createClickHouse,
  migrate,
  resolveCluster,
  WebhookDeliveryStore,
} from '@orgpulse/clickhouse'
import { type Connector, type ConnectorContext, webhookOff } from '@orgpulse/connector'
import { type Env, type OrgpulseConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import { metricsPlugin, registerErrorHandler, runProcess } from '@orgpulse/http'
import {
  ackIsDurable,
  type Bus,
  createBusFromEnv,
  namespacedFromEnv,
  publishDeadLetters,
  publishRaw,
} from '@orgpulse/kafka'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { type Logger, pino } from 'pino'
import { Counter, Gauge, Registry } from 'prom-client'
import { pullRounds } from './pull-rounds.ts'

export interface IngestServiceOptions {
  config: OrgpulseConfig
  /**
   * the process's parsed environment: KAFKA_BROKERS and the bus settings, CLICKHOUSE_URL/_DATABASE,
   * ORGPULSE_DATA_DIR (the embedded ClickHouse when CLICKHOUSE_URL is unset), HOST, LOG_LEVEL, and
   * the credentials and webhook secrets the config names
   */
  env: Env
  /** the service's own port when PORT is unset */
  port: number
  /** minutes from the start of one pull to the start of the next; 0: webhook only */
  pullEveryMinutes: number
  log?: Logger
}

export interface IngestService {
  address: string
  /** ends the pull in hand, then closes the server, the bus and ClickHouse */
  stop(): Promise<void>
}

/**
 * One connector as a full-mode service: its scheduled pull (cursors in ClickHouse, published to
 * Kafka), its webhook route when it has one, GET /healthz, /readyz and /metrics. Each ingest
 * service's main.ts is this with its connector.
 */
export async function startIngestService(
  connector: Connector,
  options: IngestServiceOptions,
): Promise<IngestService> {
  const name = `ingest-${connector.source}`
  const log = options.log ?? pino({ name, level: options.env.LOG_LEVEL ?? 'info' })
  const kafka = createBusFromEnv({ clientId: `orgpulse-${name}` }, options.env)
  if (!kafka) throw new Error(`KAFKA_BROKERS is not set: ${name} needs a Kafka broker`)
  const bus: Bus = namespacedFromEnv(kafka, options.env)
  await bus.ensureTopics(TOPIC_SPECS)
  // only a pull needs ClickHouse (its cursors, the org it reads calendars for)
  let client: ClickHouseClient | null = null
  if (connector.sync) {
    const { CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: database } = options.env
    const cluster = resolveCluster(options.env.CLICKHOUSE_CLUSTER, options.config.clickhouse)
    client = createClickHouse(
      url
        ? { url, ...(database ? { database } : {}), cluster }
        : { dataDir: options.env.ORGPULSE_DATA_DIR, cluster },
    )
    await migrate(client, { log: (m) => log.info(m) })
  }

  const registry = new Registry()
  const pulls = new Counter({
    name: 'orgpulse_ingest_pulls_total',
    help: 'scheduled pulls by outcome (ok, partial: some scopes failed, failed)',
    labelNames: ['source', 'outcome'],
    registers: [registry],
  })
  const lastOk = new Gauge({
    name: 'orgpulse_ingest_last_pull_success_timestamp_seconds',
    help: 'when the last pull that failed nowhere ended',
    labelNames: ['source'],
    registers: [registry],
  })

  const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
  // first, so the webhook route answers errors as every orgpulse service does
  registerErrorHandler(app)
  await app.register(metricsPlugin, { service: name, registry })
  app.get('/healthz', async () => ({ status: 'ok', service: name }))
  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {}
    try {
      await bus.lag('orgpulse.sink', [])
      checks.bus = `ok (${bus.kind})`
    } catch (err) {
      checks.bus = `error: ${(err as Error).message}`
    }
    if (client) {
      try {
        await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json())
        checks.clickhouse = 'ok'
      } catch (err) {
        checks.clickhouse = `error: ${(err as Error).message}`
      }
    }
    const ready = Object.values(checks).every((v) => v.startsWith('ok'))
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
  })
  if (connector.webhook) {
    const plugin = connector.webhook.plugin({
      config: options.config,
      publish: (envelopes) => publishRaw(bus, envelopes),
      deadLetter: (dead) => publishDeadLetters(bus, dead),
      // replays are recognised across restarts and replicas when the service reaches ClickHouse
      ...(client ? { deliveries: (source: string) => new WebhookDeliveryStore(client, source) } : {}),
      log: (m) => log.info(m),
      secret: (name) => options.env.named(name)?.trim() || undefined,
      env: options.env,
    })
    if (webhookOff(plugin)) log.warn(plugin.off)
    else await app.register(plugin)
  }
  const address = await app.listen({ port: options.env.PORT ?? options.port, host: options.env.HOST })

  let stop!: () => void
  const stopped = new Promise<void>((resolve) => (stop = resolve))
  let pulling: Promise<unknown> = Promise.resolve()
  const sync = connector.sync
  if (sync && client && options.pullEveryMinutes > 0) {
    const ctx: ConnectorContext = {
      mode: 'full',
      dataDir: options.env.ORGPULSE_DATA_DIR,
      config: options.config,
      env: options.env,
      client,
      bus,
      log,
      // the transformer and the sink run elsewhere: Kafka's acknowledgement is what lasts
      flush: async () => {},
      durable: ackIsDurable,
    }
    pulling = pullRounds({
      sources: [connector.source],
      everyMs: options.pullEveryMinutes * 60_000,
      label: name,
      stopped,
      log: (line) => log.info(line),
      run: async () => {
        try {
          const report = await sync.call(connector, ctx, {
            progress: (p) => log.debug(p.record ?? {}, p.line),
          })
          for (const line of report.lines) log.info(line.trim())
          const outcome = report.failed.length > 0 ? 'partial' : 'ok'
          pulls.inc({ source: connector.source, outcome })
          if (outcome === 'ok') lastOk.set({ source: connector.source }, Date.now() / 1000)
          return report.failed.length > 0
            ? { code: 2, detail: `failed: ${report.failed.join(', ')}` }
            : { code: 0 }
        } catch (err) {
          pulls.inc({ source: connector.source, outcome: 'failed' })
          return { code: 1, detail: (err as Error).message }
        }
      },
    })
  }
  return {
    address,
    async stop() {
      stop()
      // the pull in hand finishes first: its cursor is written after what it published
      await pulling
      await app.close()
      await bus.close()
      await client?.close()
    },
  }
}

/**
 * startIngestService for a main.ts: SIGTERM/SIGINT end the pull in hand and exit 0; a failed start
 * exits 1. The options are read inside the start, so a bad environment or orgpulse.yaml is
 * reported as a failed start, not as a crash.
 */
export function serveIngest(connector: Connector, options: () => IngestServiceOptions): void {
  runProcess(`ingest-${connector.source}`, async () => {
    const service = await startIngestService(connector, options())
    return [{ name: 'pull, server, bus and ClickHouse', stop: () => service.stop() }]
  })
}
