import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { loginPage, safeNext, wantsHtml } from './browser.ts'
import type { Principal } from './principal.ts'

/**
 * What a route takes, declared where the route is registered (`config: { auth }`) and read from
 * the route fastify matched, never from the URL text: the router decodes and normalises the path
 * (`/v1/%64ecisions` is `/v1/decisions`), so any check on `req.url` sees a different route than the
 * handler that runs.
 * - 'public': no token (probes, scraping, docs, signed vendor webhooks, the CLI bridge with its secret)
 * - 'read': an org token with scope read (its director's subtree; the route scopes by org) or admin
 * - 'write:decisions': an org token with scope write:decisions (records raised in its org) or admin
 * - 'admin': admin tokens only
 */
export type RouteAuth = 'public' | 'read' | 'write:decisions' | 'admin'
export const ROUTE_AUTHS: readonly RouteAuth[] = ['public', 'read', 'write:decisions', 'admin']

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth
  }
  interface FastifyInstance {
    /** every registered route (HEAD twins included) with its declaration, undefined when it has none */
    routeAuths(): { method: string; url: string; auth: RouteAuth | undefined }[]
  }
}

/**
 * Root onRoute hook, registered before any route: records every route fastify registers, and gives
 * the routes `plugins` names (by exact registered method and path, e.g. 'GET /metrics') their
 * declaration. Scopes registered later declare theirs after this hook ran, on the same options
 * object, so `routeAuths()` reads each route's config when it is called, not here.
 */
export function trackRouteAuth(app: FastifyInstance, plugins: Record<string, RouteAuth>): void {
  const routes: { method: string; url: string; options: { config?: unknown } }[] = []
  app.decorate('routeAuths', () =>
    routes.map((r) => {
      const auth = (r.options.config as { auth?: unknown } | undefined)?.auth
      return {
        method: r.method,
        url: r.url,
        auth: ROUTE_AUTHS.includes(auth as RouteAuth) ? (auth as RouteAuth) : undefined,
      }
    }),
  )
  app.addHook('onRoute', (route) => {
    const method = [route.method].flat().join(',')
    routes.push({ method, url: route.url, options: route })
    const declared = plugins[`${method} ${route.url}`]
    const config = (route.config ?? {}) as Record<string, unknown>
    if (declared && config.auth === undefined)
      route.config = { ...config, auth: declared } as typeof route.config
  })
}

/** the matched route's declaration; undefined both for an undeclared route and for no route (404) */
export const routeAuth = (req: FastifyRequest): RouteAuth | undefined => {
  const auth = (req.routeOptions.config as { auth?: unknown } | undefined)?.auth
  return ROUTE_AUTHS.includes(auth as RouteAuth) ? (auth as RouteAuth) : undefined
}

/**
 * Declares `auth` for every route registered in `scope` that does not declare its own: for routes
 * a plugin registers (swagger-ui, the connectors' webhooks), whose options the api does not write.
 * Call inside the encapsulated scope that registers them.
 */
export function declareAuth(scope: FastifyInstance, auth: RouteAuth): void {
  scope.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as Record<string, unknown>
    if (config.auth === undefined) route.config = { ...config, auth } as typeof route.config
  })
}

/** why `principal` may not call a route declaring `auth`, or null when it may */
export function refusal(auth: RouteAuth, principal: Principal): string | null {
  if (auth === 'public' || principal.kind === 'local' || principal.kind === 'admin') return null
  if (auth === 'admin') return 'admin token required'
  if (auth === principal.scope) return null
  if (auth === 'write:decisions')
    return `this token's scope is ${principal.scope}: submitting decisions takes a write:decisions token for the org (orgpulse tokens create --org EMAIL --scope write:decisions) or an admin token`
  return `this token's scope is ${principal.scope}: reading takes a read token (orgpulse tokens create --org EMAIL --scope read) or an admin token`
}

/**
 * The root onRequest hook that authorises the matched route, after authentication set
 * `req.principal`. Default deny: a matched route without a declaration answers 403, so a route
 * added without thinking about access is closed rather than open. Unmatched requests go on to the
 * 404 handler (authentication already ran for them, so they reveal nothing to anonymous callers).
 */
export function registerRouteAuthorisation(app: FastifyInstance): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.is404) return
    const auth = routeAuth(req)
    if (!auth) return reply.code(403).send({ error: 'this route declares no authorisation: refused' })
    if (auth === 'public') return
    // authentication answered 401 before this hook for a route that takes a token
    if (!req.principal) return reply.code(401).send({ error: 'missing bearer token' })
    const why = refusal(auth, req.principal)
    // a browser signed in with a token that may not open this page: the form, to sign in with another
    if (why && wantsHtml(req))
      return loginPage(reply, 403, { next: safeNext(req.url), error: `${why}; sign in with another token` })
    if (why) return reply.code(403).send({ error: why })
  })
}
