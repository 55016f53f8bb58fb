import type { Viewer } from '@orgpulse/metrics'
import type { FastifyRequest } from 'fastify'

/**
 * Who the metrics are computed for: an org token's director (individual metrics of other leaders
 * are withheld), anyone else admin-equivalent (admin tokens, and the callers the auth plugin
 * already treats as admin).
 */
export function viewerOf(req: FastifyRequest): Viewer {
  const p = req.principal
  return p?.kind === 'org' ? { kind: 'org', org: p.org } : { kind: 'admin' }
}
