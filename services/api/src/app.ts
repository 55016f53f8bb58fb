import rateLimit from '@fastify/rate-limit'
import { type ClickHouseClient, WebhookDeliveryStore } from '@orgpulse/clickhouse'
import {
  type DlqRecord,
  type Env,
  type OrgpulseConfig,
  parseEnv,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { metricsPlugin, registerErrorHandler, registerStageMetrics } from '@orgpulse/http'
import { type Bus, publishDeadLetters, publishRaw, type StageHealth } from '@orgpulse/kafka'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { FailedAuthLimit } from './auth/failures.ts'
import { sessionRoutes } from './auth/login.ts'
import { type AuthMode, registerAuth } from './auth/plugin.ts'
import { type RouteAuth, trackRouteAuth } from './auth/routes.ts'
import { decisionWriteGuard } from './auth/writes.ts'
import { registerJsonDepthLimit } from './json-depth.ts'
import { PROBE_4XX, PUBLIC, registerOpenApi } from './openapi.ts'
import { pagesRoutes } from './pages/index.ts'
import { v1Routes } from './routes/v1.ts'
import { SCIM_PREFIX, scimRoutes } from './scim/plugin.ts'
import { registerClientIngest, registerWebhooks } from './webhooks.ts'

export interface AppDeps {
  client: ClickHouseClient
  bus: Bus
  config: OrgpulseConfig
  /** embedded mode: wait until published records are queryable before answering 202 */
  flush?: () => Promise<void>
  /** the pipeline stages this process runs (embedded mode): a stalled one turns /readyz red */
  health?: StageHealth
  /** runs an `orgpulse` command in this process (embedded mode: other CLI processes forward here) */
  runCli?: (argv: string[], cwd: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>
  cliSecret?: string
  logger?: boolean | object
  /** a pino logger to log through (the embedded server's); takes precedence over `logger` */
  log?: FastifyBaseLogger
  /** failed authentications per client address before 429 (default 30 a minute) */
  failedAuthLimit?: FailedAuthLimit
  /** default: env.ORGPULSE_API_AUTH (see AuthMode) */
  auth?: AuthMode
  /** login sessions: lifetime (default env.ORGPULSE_SESSION_HOURS) and clock (tests) */
  session?: { ttlMs?: number; now?: () => Date }
  /** requests per token (per client address without a token) and window; default env.ORGPULSE_API_RATE_LIMIT per minute */
  rateLimit?: { max: number; timeWindow: number | string }
  /** the api's address for the OpenAPI document's `servers` (ORGPULSE_API_PUBLIC_URL overrides it) */
  serverUrl?: string
  /** the process's parsed environment (auth mode, rate limit, public URL, webhook secrets); default: every variable unset */
  env?: Env
  /**
   * mount the connectors' signed vendor webhooks (default true: embedded mode, one process mounts
   * them all); the full-mode api passes false, since each ingest service serves its own
   */
  vendorWebhooks?: boolean
}

/**
 * Routes that plugins register with options the api does not write, by their exact registered
 * method and path (the route table, not request URLs): Prometheus scraping is public like every
 * scrape target. swagger-ui and the connectors' webhooks are declared by the scope that mounts them.
 */
const PLUGIN_ROUTE_AUTH: Record<string, RouteAuth> = { 'GET /metrics': 'public', 'HEAD /metrics': 'public' }

/** the readiness body: `checks` maps clickhouse, bus and (embedded mode) stages to `ok…` or `error: …` */
const readiness = (description: string) => ({
  description,
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
})

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const env = deps.env ?? parseEnv({})
  // Fastify logs each request at info; the embedded runtime's log level (warn) keeps to the errors
  // trustProxy off unless set: X-Forwarded-For/-Proto are then anyone's to forge (req.ip, req.protocol)
  const trust = env.ORGPULSE_API_TRUST_PROXY
  // a hop count is what fastify does with a number (its types only take the function form)
  const trustProxy = typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust
  const options = { bodyLimit: 4 * 1024 * 1024, trustProxy }
  const app = deps.log
    ? Fastify({ ...options, loggerInstance: deps.log })
    : Fastify({ ...options, logger: deps.logger ?? false })
  // order matters: the docs and rate limiter see routes through onRoute, so they come first;
  // auth is a root onRequest hook, so it runs before the limiter's per-route hook keys on the token
  // first, so every route and plugin registered below answers errors the same way
  registerErrorHandler(app)
  registerJsonDepthLimit(app, { skipPrefix: '/webhooks/' })
  trackRouteAuth(app, PLUGIN_ROUTE_AUTH)
  await registerOpenApi(app, {
    ...(deps.serverUrl ? { serverUrl: deps.serverUrl } : {}),
    ...(env.ORGPULSE_API_PUBLIC_URL ? { publicUrl: env.ORGPULSE_API_PUBLIC_URL } : {}),
  })
  await app.register(metricsPlugin, { service: 'api' })
  if (deps.health) registerStageMetrics(app.promRegistry, deps.health)
  const auth = await registerAuth(app, {
    client: deps.client,
    mode: deps.auth ?? env.ORGPULSE_API_AUTH,
    ...(deps.failedAuthLimit ? { failedAuthLimit: deps.failedAuthLimit } : {}),
    sessionTtlMs: deps.session?.ttlMs ?? env.ORGPULSE_SESSION_HOURS * 3_600_000,
    ...(deps.session?.now ? { now: deps.session.now } : {}),
  })
  await app.register(rateLimit, {
    global: true,
    max: deps.rateLimit?.max ?? env.ORGPULSE_API_RATE_LIMIT,
    timeWindow: deps.rateLimit?.timeWindow ?? '1 minute',
    keyGenerator: (req) => {
      const p = req.principal
      return p && p.kind !== 'local' ? `token:${p.tokenId}` : `ip:${req.ip}`
    },
  })

  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness',
        description: 'Public (no token): probes run without credentials.',
        tags: ['operations'],
        security: PUBLIC,
        response: {
          200: {
            description: 'the process serves requests',
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ok'] } },
          },
          '4xx': PROBE_4XX,
        },
      },
      config: { rateLimit: false, auth: 'public' },
    },
    async () => ({ status: 'ok' }),
  )
  app.get(
    '/readyz',
    {
      schema: {
        summary:
          'Readiness: ClickHouse answers, the bus (Kafka or in-process) answers, and no pipeline stage run here has retried one batch for longer than ORGPULSE_STAGE_STALL_MS',
        operationId: 'getReadiness',
        description: 'Public (no token): probes run without credentials.',
        tags: ['operations'],
        security: PUBLIC,
        response: {
          200: readiness('ready'),
          503: readiness('not ready: `checks` says which part'),
          '4xx': PROBE_4XX,
        },
      },
      config: { rateLimit: false, auth: 'public' },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {}
      try {
        await deps.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json())
        checks.clickhouse = 'ok'
      } catch (err) {
        checks.clickhouse = `error: ${(err as Error).message}`
      }
      try {
        await deps.bus.lag('orgpulse.sink', [])
        checks.bus = `ok (${deps.bus.kind})`
      } catch (err) {
        checks.bus = `error: ${(err as Error).message}`
      }
      if (deps.health) checks.stages = deps.health.check()
      const ready = Object.values(checks).every((v) => v.startsWith('ok'))
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
    },
  )

  const publish = async (envelopes: RawEnvelope[]) => {
    await publishRaw(deps.bus, envelopes)
    await deps.flush?.()
  }
  const wiring = {
    config: deps.config,
    publish,
    deadLetter: (dead: DlqRecord[]) => publishDeadLetters(deps.bus, dead),
    log: (m: string) => app.log.info(m),
    env,
    deliveries: (source: string) => new WebhookDeliveryStore(deps.client, source),
  }
  await registerClientIngest(app, { ...wiring, writeGuard: decisionWriteGuard(deps.client) })
  if (deps.vendorWebhooks !== false) await registerWebhooks(app, wiring)
  await app.register(v1Routes, { client: deps.client, config: deps.config })
  await app.register(pagesRoutes, { client: deps.client, config: deps.config })
  await app.register(sessionRoutes, { auth })
  // the SCIM endpoint checks its own bearer token (ORGPULSE_SCIM_TOKEN), not an api token
  await app.register(scimRoutes, { prefix: SCIM_PREFIX, client: deps.client, token: env.ORGPULSE_SCIM_TOKEN })

  if (deps.runCli && deps.cliSecret) {
    const { runCli, cliSecret } = deps
    app.post(
      '/internal/cli',
      // public to the token check: the bridge checks its own secret
      { schema: { hide: true }, config: { rateLimit: false, auth: 'public' } },
      async (req, reply) => {
        if (req.headers.authorization !== `Bearer ${cliSecret}`)
          return reply.code(401).send({ error: 'bad secret' })
        const body = req.body as { argv?: unknown; cwd?: unknown }
        if (!Array.isArray(body.argv) || !body.argv.every((a) => typeof a === 'string')) {
          return reply.code(400).send({ error: 'argv must be an array of strings' })
        }
        return runCli(body.argv as string[], typeof body.cwd === 'string' ? body.cwd : process.cwd())
      },
    )
  }
  return app
}
