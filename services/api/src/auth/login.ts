import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { clearSessionCookie, loginPage, safeNext, setSessionCookie } from './browser.ts'
import type { AuthContext } from './plugin.ts'
import { createSession, endSession, SESSION_COOKIE } from './sessions.ts'
import { findToken } from './tokens.ts'

/**
 * A form posted from another site: `Sec-Fetch-Site` when the browser sends it, else an `Origin`
 * naming another host. Login CSRF would sign the victim's browser in with the attacker's token
 * (they would then read the attacker's org as their own); logout CSRF would sign them out.
 */
function crossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site']
  if (site === 'same-origin' || site === 'none') return false
  if (site !== undefined) return true
  const origin = req.headers.origin
  if (origin === undefined) return false
  try {
    return new URL(origin).host !== req.host
  } catch {
    return true
  }
}

const body = (req: FastifyRequest): Record<string, unknown> =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}

/**
 * `GET /login` (the form), `POST /login` (token → session cookie, 303 to `next`), `POST /logout`.
 * Public routes: they check the token themselves, with the same failed-authentication counter as
 * bearer auth, so guessing through the form is limited like guessing through the header.
 */
export async function sessionRoutes(app: FastifyInstance, options: { auth: AuthContext }): Promise<void> {
  const { auth } = options
  // form bodies for these routes only: everywhere else a form-encoded body stays a 415
  await app.register(formbody)
  const route = { schema: { hide: true }, config: { auth: 'public' as const } }

  app.get('/login', route, async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next)
    return loginPage(reply, 200, { next })
  })

  app.post('/login', route, async (req, reply) => {
    const next = safeNext(body(req).next)
    if (crossSite(req)) {
      req.log.warn({ origin: req.headers.origin }, 'refused a login form posted from another site')
      return loginPage(reply, 403, { next, error: 'this form was sent from another site: sign in here' })
    }
    const lockedFor = auth.failures.retryAfter(req.ip)
    if (lockedFor > 0)
      return loginPage(reply.header('retry-after', String(lockedFor)), 429, {
        next,
        error: `too many failed sign-ins from this address; try again in ${lockedFor} s`,
      })
    const token = typeof body(req).token === 'string' ? (body(req).token as string).trim() : ''
    const info = token ? await findToken(auth.client, token) : null
    if (!info || info.revokedAt) {
      auth.failures.fail(req.ip)
      return loginPage(reply, 401, {
        next,
        error: info ? 'this token was revoked' : 'this is not a valid orgpulse token',
      })
    }
    if (info.scope === 'write:decisions')
      return loginPage(reply, 403, {
        next,
        error:
          'this token only submits decisions; the pages need a read token for your org or an admin token',
      })
    const now = auth.now()
    const session = await createSession(auth.client, info.id, auth.sessionTtlMs, now)
    setSessionCookie(reply, req, session.id, session.expiresAt, now)
    req.log.info({ tokenId: info.id }, 'signed in')
    return reply.header('cache-control', 'no-store').redirect(next, 303)
  })

  app.post('/logout', route, async (req: FastifyRequest, reply: FastifyReply) => {
    if (crossSite(req)) return loginPage(reply, 403, { next: '/', error: 'sign out from this site' })
    const id = req.cookies[SESSION_COOKIE]
    if (id) await endSession(auth.client, id, auth.now())
    clearSessionCookie(reply, req)
    return reply.header('cache-control', 'no-store').redirect('/login', 303)
  })
}
