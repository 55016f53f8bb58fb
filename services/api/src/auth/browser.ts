import type { FastifyReply, FastifyRequest } from 'fastify'
import { bounceHtml, loginHtml } from './login-page.ts'
import { SESSION_COOKIE } from './sessions.ts'

/** What browsers get from the auth layer: the page test, the session cookie, `next`, the login page. */

/**
 * A browser asking for a page: GET, `Accept` names text/html, and not the JSON api. API clients
 * (curl's `*\/*`, fetch, generated clients) keep their 401 JSON with `WWW-Authenticate`.
 */
export function wantsHtml(req: FastifyRequest): boolean {
  if (req.method !== 'GET') return false
  if (!/\btext\/html\b/i.test(req.headers.accept ?? '')) return false
  // the matched route's path when there is one (the router decodes `/%761/…`), else the URL's
  const path = req.routeOptions.url ?? req.url.split('?')[0]!
  return !/^\/v1(\/|$)/i.test(path)
}

/**
 * `Secure` when the request came over https: the socket's TLS, or X-Forwarded-Proto only when the
 * api trusts its proxy (`ORGPULSE_API_TRUST_PROXY`: fastify's `trustProxy` decides `req.protocol`).
 */
export function setSessionCookie(
  reply: FastifyReply,
  req: FastifyRequest,
  id: string,
  expiresAt: Date,
  now: Date,
): void {
  reply.setCookie(SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: req.protocol === 'https',
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
  })
}

export function clearSessionCookie(reply: FastifyReply, req: FastifyRequest): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: req.protocol === 'https',
  })
}

/**
 * `next` for the login page: only a path of this origin (`/…`), never `//host/…`, `/\host`, a
 * scheme or anything that resolves elsewhere (open redirect); anything else is `/`.
 */
export function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return '/'
  if (!raw.startsWith('/') || raw.startsWith('//')) return '/'
  // a backslash reads as `/` in browsers (`/\\evil.example`), and URL parsing drops tabs and newlines
  for (const c of raw) if (c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) return '/'
  const base = 'http://orgpulse.invalid'
  let url: URL
  try {
    url = new URL(raw, base)
  } catch {
    return '/'
  }
  if (url.origin !== base) return '/'
  url.searchParams.delete('access_token')
  if (url.pathname === '/login' || url.pathname === '/logout') return '/'
  return `${url.pathname}${url.search}${url.hash}`
}

/** the request's own path and query, without `access_token` */
export const withoutAccessToken = (rawUrl: string): string => {
  const url = new URL(rawUrl, 'http://orgpulse.invalid')
  url.searchParams.delete('access_token')
  return `${url.pathname}${url.search}`
}

export const loginLocation = (rawUrl: string): string => `/login?next=${encodeURIComponent(safeNext(rawUrl))}`

export function loginPage(
  reply: FastifyReply,
  code: number,
  options: { next: string; error?: string; notice?: string },
): FastifyReply {
  return (
    reply
      .code(code)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      // not no-referrer: under it browsers send `Origin: null` with the form, and the POST checks Origin
      .header('referrer-policy', 'same-origin')
      .send(loginHtml(options))
  )
}

/**
 * A browser that came from a link on another site (`Sec-Fetch-Site: cross-site`) withholds
 * SameSite=Strict cookies on that navigation and on the redirects that follow it, so a signed-in
 * director clicking a link in mail or chat would land on the login form. A page of this origin
 * that reloads the same URL makes the next navigation same-origin, and the cookie goes with it;
 * without a session that second request gets the 303 to the login form as usual.
 */
export const strictCookiesWithheld = (req: FastifyRequest): boolean =>
  req.headers['sec-fetch-site'] === 'cross-site'

export function bouncePage(reply: FastifyReply, req: FastifyRequest): FastifyReply {
  return reply
    .code(200)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(bounceHtml(safeNext(req.url)))
}
