import cookie from '@fastify/cookie'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  bouncePage,
  clearSessionCookie,
  loginLocation,
  loginPage,
  setSessionCookie,
  strictCookiesWithheld,
  wantsHtml,
  withoutAccessToken,
} from './browser.ts'
import { DEFAULT_FAILED_AUTH_LIMIT, FailedAuthCounter, type FailedAuthLimit } from './failures.ts'
import { localAccess } from './local.ts'
import type { Principal } from './principal.ts'
import { type RouteAuth, registerRouteAuthorisation, routeAuth } from './routes.ts'
import { createSession, DEFAULT_SESSION_HOURS, findSession, SESSION_COOKIE } from './sessions.ts'
import { findToken, type TokenInfo } from './tokens.ts'

export type { Principal } from './principal.ts'

/**
 * - 'tokens': every non-public route needs a valid bearer token (or, for safe reads, a session).
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
  /** how long a login session lasts (default 12 h) */
  sessionTtlMs?: number
  /** the clock sessions are created and checked against (tests) */
  now?: () => Date
}

/** What the login routes share with the authentication hook (auth/login.ts). */
export interface AuthContext {
  client: ClickHouseClient
  mode: AuthMode
  failures: FailedAuthCounter
  sessionTtlMs: number
  now: () => Date
}

type Presented = { token: string; from: 'header' | 'query' }

/** Reads the token from `Authorization: Bearer …`, or `?access_token=` on GET (browser pages, RFC 6750 §2.3). */
function presentedToken(req: FastifyRequest): Presented | null {
  const header = req.headers.authorization
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    return { token: m ? m[1]! : '', from: 'header' }
  }
  if (req.method === 'GET') {
    const q = req.query as Record<string, unknown> | undefined
    if (q && typeof q.access_token === 'string') return { token: q.access_token, from: 'query' }
  }
  return null
}

function unauthorized(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(401).header('www-authenticate', 'Bearer realm="orgpulse"').send({ error: message })
}

/**
 * A session cookie stands in for a token on safe reads only: GET or HEAD of a route that reads
 * (`read`, or `admin` for the admin GET pages). Every write (POST /v1/decisions, and anything a
 * later route adds) takes a bearer token, so a page elsewhere cannot make the browser write with
 * the cookie (CSRF), whatever SameSite a browser honours.
 */
const sessionMayAuthenticate = (req: FastifyRequest, auth: RouteAuth | undefined): boolean =>
  (req.method === 'GET' || req.method === 'HEAD') && auth !== 'write:decisions'

export const principalOf = (info: TokenInfo): Principal =>
  info.scope === 'admin'
    ? { kind: 'admin', tokenId: info.id }
    : { kind: 'org', tokenId: info.id, org: info.org, scope: info.scope }

/**
 * Registers cookie parsing and the onRequest hook that sets `req.principal`. Must be called on the
 * root instance, before any route. The login routes (`sessionRoutes`, auth/login.ts) take the
 * returned context; app.ts registers them after the rate limiter, so they are limited too.
 */
export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<AuthContext> {
  // its onRequest hook parses the Cookie header; registered first, so it runs before the one below
  await app.register(cookie)
  app.decorateRequest('principal', null)
  const context: AuthContext = {
    client: options.client,
    mode: options.mode,
    failures: new FailedAuthCounter(options.failedAuthLimit ?? DEFAULT_FAILED_AUTH_LIMIT),
    sessionTtlMs: options.sessionTtlMs ?? DEFAULT_SESSION_HOURS * 3_600_000,
    now: options.now ?? (() => new Date()),
  }
  const { failures } = context
  const failed = (req: FastifyRequest, reply: FastifyReply, message: string) => {
    failures.fail(req.ip)
    return unauthorized(reply, message)
  }
  app.addHook('onRequest', async (req, reply) => {
    // the matched route's declaration (auth/routes.ts), not the URL text
    const auth = routeAuth(req)
    if (auth === 'public') return
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
    const presented = presentedToken(req)
    if (presented === null) {
      const cookieValue = req.cookies[SESSION_COOKIE]
      if (cookieValue !== undefined && sessionMayAuthenticate(req, auth)) {
        const session = await findSession(options.client, cookieValue, context.now())
        if (session && !session.token.revokedAt) {
          req.principal = principalOf(session.token)
          return
        }
        // ended, expired, unknown, or its token revoked: not a guess (256 random bits), so not
        // counted; the browser is told to drop it
        clearSessionCookie(reply, req)
      }
      const local = options.mode === 'auto' ? await localAccess(options.client, req) : null
      if (local?.ok) {
        req.principal = { kind: 'local' }
        return
      }
      if (local?.status === 403) {
        req.log.warn({ host: req.headers.host }, 'refused a tokenless request naming a non-loopback Host')
        return reply.code(403).send({ error: local.reason })
      }
      // a browser is sent to the login form and back; a missing token is not a guess: it is not
      // counted, so a browser's first visit cannot lock anyone out
      if (wantsHtml(req)) {
        if (strictCookiesWithheld(req)) return bouncePage(reply, req)
        return reply.header('cache-control', 'no-store').redirect(loginLocation(req.url), 303)
      }
      return unauthorized(
        reply,
        'missing bearer token (Authorization: Bearer <token>; create one with `orgpulse tokens create`)',
      )
    }
    const info = presented.token ? await findToken(options.client, presented.token) : null
    const why = !info ? 'invalid token' : info.revokedAt ? 'token revoked' : null
    const page = presented.from === 'query' && wantsHtml(req)
    if (!info || why) {
      if (!page) return failed(req, reply, why ?? 'invalid token')
      failures.fail(req.ip)
      return loginPage(reply, 401, { next: withoutAccessToken(req.url), error: `${why}: sign in again` })
    }
    if (page && info.scope !== 'write:decisions') {
      // a shared page link: the token moves into a session cookie and out of the address bar,
      // so the page's links and its own requests keep working without it
      const now = context.now()
      const session = await createSession(options.client, info.id, context.sessionTtlMs, now)
      setSessionCookie(reply, req, session.id, session.expiresAt, now)
      return reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect(withoutAccessToken(req.url), 303)
    }
    req.principal = principalOf(info)
  })
  registerRouteAuthorisation(app)
  return context
}

export const isAdmin = (p: Principal | null): boolean => p !== null && p.kind !== 'org'
