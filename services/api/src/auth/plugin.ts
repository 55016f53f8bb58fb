import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DEFAULT_FAILED_AUTH_LIMIT, FailedAuthCounter, type FailedAuthLimit } from './failures.ts'
import { localAccess } from './local.ts'
import type { Principal } from './principal.ts'
import { registerRouteAuthorisation, routeAuth } from './routes.ts'
import { findToken } from './tokens.ts'

export type { Principal } from './principal.ts'

/**
 * - 'tokens': every non-public route needs a valid bearer token.
 * - 'none': no authentication at all (tests, or a trusted network); everyone is admin.
 * - 'auto' (default): like 'none' for callers on the loopback interface that name a loopback
 *   Host, as long as no token was ever created; like 'tokens' otherwise (see local.ts). Creating
 *   the first token switches a running `orgpulse start` to token auth for good, without a
 *   restart; remote callers always need a token.
 */
export type AuthMode = 'tokens' | 'none' | 'auto'

export interface AuthOptions {
  client: ClickHouseClient
  mode: AuthMode
  /** failed authentications allowed per client address (default 30 a minute), then 429 */
  failedAuthLimit?: FailedAuthLimit
}

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
  const failures = new FailedAuthCounter(options.failedAuthLimit ?? DEFAULT_FAILED_AUTH_LIMIT)
  const failed = (req: FastifyRequest, reply: FastifyReply, message: string) => {
    failures.fail(req.ip)
    return unauthorized(reply, message)
  }
  app.addHook('onRequest', async (req, reply) => {
    // the matched route's declaration (auth/routes.ts), not the URL text
    if (routeAuth(req) === 'public') return
    if (options.mode === 'none') {
      req.principal = { kind: 'local' }
      return
    }
    const lockedFor = failures.retryAfter(req.ip)
    if (lockedFor > 0) {
      req.log.warn({ ip: req.ip, retryAfter: lockedFor }, 'too many failed authentications')
      return reply
        .code(429)
        .header('retry-after', String(lockedFor))
        .send({
          error: `rate limit: too many failed authentications from this address; retry in ${lockedFor} s`,
        })
    }
    const token = presentedToken(req)
    if (token === null) {
      const local = options.mode === 'auto' ? await localAccess(options.client, req) : null
      if (local?.ok) {
        req.principal = { kind: 'local' }
        return
      }
      if (local?.status === 403) {
        req.log.warn({ host: req.headers.host }, 'refused a tokenless request naming a non-loopback Host')
        return reply.code(403).send({ error: local.reason })
      }
      // a missing token is not a guess: it is not counted, so a browser's first visit cannot lock anyone out
      return unauthorized(
        reply,
        'missing bearer token (Authorization: Bearer <token>; create one with `orgpulse tokens create`)',
      )
    }
    const info = token ? await findToken(options.client, token) : null
    if (!info) return failed(req, reply, 'invalid token')
    if (info.revokedAt) return failed(req, reply, 'token revoked')
    req.principal =
      info.scope === 'admin'
        ? { kind: 'admin', tokenId: info.id }
        : { kind: 'org', tokenId: info.id, org: info.org, scope: info.scope }
  })
  registerRouteAuthorisation(app)
}

export const isAdmin = (p: Principal | null): boolean => p !== null && p.kind !== 'org'
