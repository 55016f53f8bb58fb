import { OrgpulseError } from '@orgpulse/contracts'
import { unresolvedIdentities } from '@orgpulse/org'
import { isAdmin } from '../auth/plugin.ts'
import { errorSchema, unresolvedResponse } from '../schemas.ts'
import { SECURED, type V1Options, type ZodApp } from './context.ts'

export function identityRoutes(app: ZodApp, { client }: V1Options): void {
  app.get(
    '/v1/identities/unresolved',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listUnresolvedIdentities',
        summary: 'Identities seen in the facts that map to no person (admin tokens only)',
        tags: ['admin'],
        security: SECURED,
        response: { 200: unresolvedResponse, 401: errorSchema, 403: errorSchema, 429: errorSchema },
      },
    },
    async (req) => {
      // they span every org: an org-scoped token must not see other orgs' people
      if (!isAdmin(req.principal)) throw new OrgpulseError('forbidden', 'admin token required')
      return { identities: await unresolvedIdentities(client) }
    },
  )
}
