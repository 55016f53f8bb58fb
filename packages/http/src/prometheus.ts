import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export interface MetricsPluginOptions {
  /** the `service` label on every series, e.g. `api`, `ingest-decisions`, `transformer` */
  service: string
  /** a registry of your own to add service metrics to; default: a new one per app */
  registry?: Registry
  /** process metrics (CPU, memory, event loop lag, GC); default true */
  processMetrics?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the Prometheus registry behind GET /metrics */
    promRegistry: Registry
  }
}

/**
 * GET /metrics in the Prometheus text format, plus request counts and latencies per route for
 * the app it is registered on. Usable by every orgpulse service:
 *
 *   import { metricsPlugin } from '@orgpulse/http'
 *   await app.register(metricsPlugin, { service: 'ingest-decisions' })
 *
 * Routes are labelled by their pattern (`/v1/orgs/:director/metrics`), never the raw URL, so
 * label cardinality stays bounded. One registry per app: tests may build many apps per process.
 */
const plugin: FastifyPluginAsync<MetricsPluginOptions> = async (app: FastifyInstance, options) => {
  const registry = options.registry ?? new Registry()
  registry.setDefaultLabels({ service: options.service })
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'orgpulse_' })
  const requests = new Counter({
    name: 'orgpulse_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'orgpulse_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  app.decorate('promRegistry', registry)
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    if (route === '/metrics') return
    requests.inc({ method: req.method, route, status: String(reply.statusCode) })
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000)
  })
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getPrometheusMetrics',
        summary: 'Prometheus metrics',
        description:
          'Public (no token), like every scrape target: it shows counts and latencies, no org data.',
        tags: ['operations'],
        hide: false,
        // an OpenAPI `security: []`: public on purpose, not a forgotten token (only the api documents it)
        security: [],
        response: {
          200: {
            description: 'the Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          // the route takes no input: only the HTTP server refuses a request it cannot parse
          '4xx': {
            description: 'never from this route: only a request the HTTP server cannot parse',
            type: 'null',
          },
        },
      },
      config: { rateLimit: false },
    },
    async (_req, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    },
  )
}

export const metricsPlugin = fp(plugin, { name: 'orgpulse-metrics', fastify: '5.x' })
