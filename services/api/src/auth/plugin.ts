import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { registerRouteAuthorisation, routeAuth } from './routes.ts'
import { activeTokenCount, findToken, type OrgScope } from './tokens.ts'

/**
 * Who is asking. `admin` sees every org and the admin routes; `org` is bound to one director's
 * subtree, and its `scope` says whether it reads it or submits decisions raised in it;
 * `local` is an unauthenticated loopback caller while auth is 'auto' and no token exists yet
 * (embedded mode out of the box): it is treated like admin.
 */
export type Principal =
  | { kind: 'admin'; tokenId: string }
  | { kind: 'org'; tokenId: string; org: string; scope: OrgScope }
  | { kind: 'local' }

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
}

/**
 * - 'tokens': every non-public route needs a valid bearer token.
 * - 'none': no authentication at all (tests, or a trusted network); everyone is admin.
 * - 'auto' (default): like 'none' for callers on the loopback interface as long as no active
 *   token exists, like 'tokens' otherwise. Creating the first token switches a running
 *   `orgpulse start` to token auth without a restart; remote callers always need a token.
 */
export type AuthMode = 'tokens' | 'none' | 'auto'

export interface AuthOptions {
  client: ClickHouseClient
  mode: AuthMode
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

/** Reads the token from `Authorization: Bearer …`, or `?access_token=` on GET (browser pages, RFC 6750 §2.3). */
function presentedToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    return m ? m[1]! : ''
  }
  if (req.method === 'GET') {
    const q = req.query as Record<string, unknown> | undefined
    if (q && typeof q.access_token === 'string') return q.access_token
  }
  return null
}

function unauthorized(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(401).header('www-authenticate', 'Bearer realm="orgpulse"').send({ error: message })
}

/** Registers the onRequest hook that sets `req.principal`. Must be registered on the root instance. */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (req, reply) => {
    // the matched route's declaration (auth/routes.ts), not the URL text
    if (routeAuth(req) === 'public') return
    if (options.mode === 'none') {
      req.principal = { kind: 'local' }
      return
    }
    const token = presentedToken(req)
    if (token === null) {
      if (
        options.mode === 'auto' &&
        LOOPBACK.has(req.socket.remoteAddress ?? '') &&
        (await activeTokenCount(options.client)) === 0
      ) {
        req.principal = { kind: 'local' }
        return
      }
      return unauthorized(
        reply,
        'missing bearer token (Authorization: Bearer <token>; create one with `orgpulse tokens create`)',
      )
    }
    const info = token ? await findToken(options.client, token) : null
    if (!info) return unauthorized(reply, 'invalid token')
    if (info.revokedAt) return unauthorized(reply, 'token revoked')
    req.principal =
      info.scope === 'admin'
        ? { kind: 'admin', tokenId: info.id }
        : { kind: 'org', tokenId: info.id, org: info.org, scope: info.scope }
  })
  registerRouteAuthorisation(app)
}

export const isAdmin = (p: Principal | null): boolean => p !== null && p.kind !== 'org'
