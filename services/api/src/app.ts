import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { decisionRoutes } from '@orgpulse/ingest-decisions'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import Fastify, { type FastifyInstance } from 'fastify'
import { metricsRoutes } from './routes/metrics.ts'

export interface AppDeps {
  client: ClickHouseClient
  bus: Bus
  config: OrgpulseConfig
  /** embedded mode: wait until published records are queryable before answering 202 */
  flush?: () => Promise<void>
  /** runs an `orgpulse` command in this process (embedded mode: other CLI processes forward here) */
  runCli?: (argv: string[], cwd: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>
  cliSecret?: string
  logger?: boolean | object
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 4 * 1024 * 1024 })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
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
    const ready = Object.values(checks).every((v) => v.startsWith('ok'))
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
  })

  await app.register(decisionRoutes, {
    publish: async (envelopes) => {
      await publishRaw(deps.bus, envelopes)
      await deps.flush?.()
    },
  })
  await app.register(metricsRoutes, { client: deps.client, config: deps.config })

  if (deps.runCli && deps.cliSecret) {
    const { runCli, cliSecret } = deps
    app.post('/internal/cli', async (req, reply) => {
      if (req.headers.authorization !== `Bearer ${cliSecret}`) return reply.code(401).send({ error: 'bad secret' })
      const body = req.body as { argv?: unknown; cwd?: unknown }
      if (!Array.isArray(body.argv) || !body.argv.every((a) => typeof a === 'string')) {
        return reply.code(400).send({ error: 'argv must be an array of strings' })
      }
      return runCli(body.argv as string[], typeof body.cwd === 'string' ? body.cwd : process.cwd())
    })
  }
  return app
}
