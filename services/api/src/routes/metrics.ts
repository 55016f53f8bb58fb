import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { computeOrgMetrics, MetricsQueryError } from '@orgpulse/metrics'
import type { FastifyInstance } from 'fastify'

export interface MetricsRoutesOptions {
  client: ClickHouseClient
  config: OrgpulseConfig
}

export async function metricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  app.get('/v1/orgs/:director/metrics', async (req, reply) => {
    const { director } = req.params as { director: string }
    const q = req.query as { from?: string; to?: string; grain?: string }
    if (!q.from || !q.to) return reply.code(400).send({ error: 'from and to are required (YYYY-MM-DD)' })
    try {
      return await computeOrgMetrics(options.client, options.config, {
        director,
        from: q.from,
        to: q.to,
        ...(q.grain ? { grain: q.grain } : {}),
      })
    } catch (err) {
      if (err instanceof MetricsQueryError) return reply.code(err.status).send({ error: err.message })
      throw err
    }
  })
}
