import type { Connector } from '@orgpulse/connector'
import { mapDecisionRecord } from './mapper.ts'
import { decisionIngestRoutes } from './routes.ts'

/**
 * Decision records are pushed, never pulled: POST /v1/decisions (a client API, so its host puts
 * its tokens in front) and `orgpulse ingest decisions FILE`.
 */
export const decisionsConnector: Connector = {
  source: 'decisions',
  mappingVersion: 1,
  configSchema: null,
  configured: () => false,
  mapper: mapDecisionRecord,
  webhook: {
    method: 'POST',
    path: '/v1/decisions',
    auth: 'token',
    // the route documents its own answers (routes.ts)
    docs: { tags: ['decisions'], accepted: {}, errors: {} },
    plugin: (mount) => (scope) =>
      decisionIngestRoutes(scope, {
        publish: mount.publish,
        ...(mount.deadLetter ? { deadLetter: mount.deadLetter } : {}),
      }),
  },
}
