import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { configSchema, jiraConfigSchema, parseEnv } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import type { FastifyInstance } from 'fastify'
import type { OpenAPIV3 } from 'openapi-types'
import { buildApp } from '../src/app.ts'

/**
 * The app with every optional route switched on (both vendor webhooks, the CLI bridge), so the
 * document linted and the client generated cover every route a deployment can serve.
 */
export async function documentedApp(client: ClickHouseClient): Promise<FastifyInstance> {
  const app = await buildApp({
    client,
    bus: new MemoryBus(),
    config: configSchema.parse({
      jira: jiraConfigSchema.parse({ baseUrl: 'https://acme.atlassian.net', projects: ['ENG'] }),
    }),
    env: parseEnv({ JIRA_WEBHOOK_SECRET: 'jira-secret', LINEAR_WEBHOOK_SECRET: 'linear-secret' }),
    auth: 'tokens',
    runCli: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    cliSecret: 'cli-secret',
  })
  await app.ready()
  return app
}

/** GET /docs/json, as a client would read it */
export async function liveDocument(app: FastifyInstance): Promise<OpenAPIV3.Document> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}: ${res.body}`)
  return res.json() as OpenAPIV3.Document
}
