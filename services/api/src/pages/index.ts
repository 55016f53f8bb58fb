import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { dashboardSpecs } from '@orgpulse/dashboards'
import { registerErrorHandler } from '@orgpulse/http'
import { listDirectors } from '@orgpulse/org'
import Fastify, { type FastifyInstance } from 'fastify'
import { orgPage, pageRange, rollupKeeper } from './data.ts'
import { directorsHtml, orgHtml } from './html.ts'

export interface PagesOptions {
  client: ClickHouseClient
  config: OrgpulseConfig
}

const require = createRequire(import.meta.url)
/** ECharts from node_modules, never a CDN: the pages work offline */
const ECHARTS = readFileSync(require.resolve('echarts/dist/echarts.min.js'))
// a browser script, not compiled: read from src/ whether this module runs from src/ or dist/
const CLIENT = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'pages', 'client.js'),
)

/**
 * Built-in pages for embedded mode (`pnpm start`): `GET /` lists the directors, `GET
 * /orgs/:director` renders their org with the Grafana dashboards' panels and queries.
 */
export async function pagesRoutes(app: FastifyInstance, options: PagesOptions): Promise<void> {
  const keepRollups = rollupKeeper(options.client, options.config)
  const widths = new Map(
    dashboardSpecs(options.config).flatMap((d) =>
      d.panels.map((p) => [`${d.key}.${p.key}`, p.width] as const),
    ),
  )
  // the pages do not filter by org, so no org token may load them
  const hide = { schema: { hide: true }, config: { auth: 'admin' as const } }

  app.get('/assets/echarts.min.js', hide, async (_req, reply) =>
    reply.type('application/javascript').header('cache-control', 'public, max-age=86400').send(ECHARTS),
  )
  app.get('/assets/pages.js', hide, async (_req, reply) => reply.type('application/javascript').send(CLIENT))

  app.get('/', hide, async (_req, reply) => {
    const directors = await listDirectors(options.client)
    return reply.type('text/html; charset=utf-8').send(directorsHtml(directors))
  })

  app.get('/orgs/:director', hide, async (req, reply) => {
    const director = decodeURIComponent((req.params as { director: string }).director)
      .trim()
      .toLowerCase()
    const directors = await listDirectors(options.client)
    const who = directors.find((d) => d.email === director)
    if (!who)
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><p>${director.replace(/</g, '&lt;')} leads no org of managers. <a href="/">Directors</a></p>`,
        )
    const range = await pageRange(options.client)
    await keepRollups(range)
    const page = await orgPage(options.client, options.config, director, range)
    return reply.type('text/html; charset=utf-8').send(orgHtml(page, who.name, widths))
  })
}

/** just the pages, on their own server (tests; a pages-only process) */
export async function pagesApp(options: PagesOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  registerErrorHandler(app)
  await app.register(pagesRoutes, options)
  return app
}
