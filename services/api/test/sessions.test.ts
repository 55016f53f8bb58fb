import type { AddressInfo } from 'node:net'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { safeNext } from '../src/auth/browser.ts'
import { SESSION_COOKIE } from '../src/auth/sessions.ts'
import { createToken, revokeToken } from '../src/auth/tokens.ts'
import { app, bearer, freshClickHouse, importFixtureOrg } from './helpers.ts'

/*
 * Issue 18 item 4 and "Sharing breaks the pages": a login page that turns a token into an
 * http-only, SameSite=Strict session cookie; the cookie reads (never writes); a `?access_token=`
 * link moves into the cookie and out of the URL; a browser without credentials is sent to the
 * login page while API clients keep their 401.
 */

let client: ClickHouseClient
const open: FastifyInstance[] = []
const published: unknown[] = []
let api: FastifyInstance
const tokens = { read: '', read2: '', write: '', admin: '' }
const ids = { read: '' }

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

const track = async (a: FastifyInstance) => {
  open.push(a)
  return a
}

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
})

afterAll(async () => {
  for (const a of open) await a.close()
  await client?.close()
})

beforeEach(() => {
  published.length = 0
})

/** the session cookie a response sets, with its attributes as the header says them */
function sessionCookie(res: { headers: Record<string, unknown> }): { value: string; header: string } | null {
  const raw = res.headers['set-cookie']
  const all = (Array.isArray(raw) ? raw : raw ? [raw] : []) as string[]
  const header = all.find((h) => h.startsWith(`${SESSION_COOKIE}=`))
  if (!header) return null
  return { value: header.slice(SESSION_COOKIE.length + 1).split(';')[0]!, header }
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

const login = (a: FastifyInstance, token: string, next = '/', headers: Record<string, string> = {}) =>
  a.inject({
    method: 'POST',
    url: '/login',
    headers: { ...FORM, ...headers },
    payload: form({ token, next }),
  })

const withCookie = (value: string) => ({ cookie: `${SESSION_COOKIE}=${value}` })

/** a live session's cookie value for `token` */
async function sessionFor(a: FastifyInstance, token: string): Promise<string> {
  const res = await login(a, token)
  expect(res.statusCode).toBe(303)
  return sessionCookie(res)!.value
}

describe("auth 'auto' before any token exists", () => {
  it('a loopback browser still opens the pages without logging in (no redirect to /login)', async () => {
    const auto = await track(await app(client, { auth: 'auto' }))
    const page = await auto.inject({ method: 'GET', url: '/', headers: { ...HTML, host: '127.0.0.1:3000' } })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    const apiRes = await auto.inject({ method: 'GET', url: '/v1/orgs', headers: { host: 'localhost:3000' } })
    expect(apiRes.statusCode).toBe(200)
    // a remote browser is sent to the login page
    const remote = await auto.inject({ method: 'GET', url: '/', headers: HTML, remoteAddress: '10.2.3.4' })
    expect(remote.statusCode).toBe(303)
    expect(remote.headers.location).toBe('/login?next=%2F')
  })
})

describe('sessions', () => {
  beforeAll(async () => {
    const bus = new MemoryBus()
    const publish = bus.publish.bind(bus)
    bus.publish = async (topic, messages) => {
      published.push(...messages)
      return publish(topic, messages)
    }
    api = await track(await app(client, { bus }))
    const read = await createToken(client, { scope: 'read', org: 'dir@x.io' })
    tokens.read = read.token
    ids.read = read.info.id
    tokens.read2 = (await createToken(client, { scope: 'read', org: 'dir2@x.io' })).token
    tokens.write = (await createToken(client, { scope: 'write:decisions', org: 'dir@x.io' })).token
    tokens.admin = (await createToken(client, { scope: 'admin' })).token
  })

  describe('the login page', () => {
    it('GET /login is a self-contained form that carries next', async () => {
      const res = await api.inject({ method: 'GET', url: '/login?next=%2Forgs%2Fdir%40x.io', headers: HTML })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.body).toContain('<form method="post" action="/login">')
      expect(res.body).toContain('name="token" type="password"')
      expect(res.body).toContain('<input type="hidden" name="next" value="/orgs/dir@x.io">')
      // no external asset: no src=, no stylesheet link, no script
      expect(res.body).not.toMatch(/<script|<link|src=/i)
    })

    it('POST /login with a read token sets an http-only, SameSite=Strict, Path=/ cookie for 12 h and 303s to next', async () => {
      const res = await login(api, tokens.read, '/orgs/dir@x.io?from=2026-07-01')
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/orgs/dir@x.io?from=2026-07-01')
      const cookie = sessionCookie(res)!
      expect(cookie.header).toMatch(/; HttpOnly/)
      expect(cookie.header).toMatch(/; SameSite=Strict/)
      expect(cookie.header).toMatch(/; Path=\//)
      expect(cookie.header).toMatch(/; Max-Age=43200(;|$)/)
      // over plain http the cookie cannot be Secure (the browser would drop it)
      expect(cookie.header).not.toMatch(/Secure/)
      // the cookie is a fresh random id, not the token
      expect(cookie.value).toMatch(/^ops_[A-Za-z0-9_-]{43}$/)
      expect(cookie.value).not.toContain(tokens.read)
    })

    it('stores only the hash of the session id, keyed to the token', async () => {
      const value = await sessionFor(api, tokens.read)
      const dump = JSON.stringify(
        await client
          .query({ query: 'SELECT * FROM api_sessions FINAL', format: 'JSONEachRow' })
          .then((r) => r.json<{ token_id: string }>()),
      )
      expect(dump).not.toContain(value)
      expect(dump).not.toContain(value.slice(4))
      expect(dump).toContain(ids.read)
    })

    it('refuses a wrong token: the login page again with the error, 401, no cookie', async () => {
      const res = await login(api, 'opt_guessed', '/orgs/dir@x.io')
      expect(res.statusCode).toBe(401)
      expect(res.headers['content-type']).toMatch(/text\/html/)
      expect(res.body).toContain('this is not a valid orgpulse token')
      expect(res.body).toContain('value="/orgs/dir@x.io"')
      expect(sessionCookie(res)).toBeNull()
    })

    it('refuses a write:decisions token (it reads nothing) with 403 and no cookie', async () => {
      const res = await login(api, tokens.write)
      expect(res.statusCode).toBe(403)
      expect(res.body).toContain('only submits decisions')
      expect(sessionCookie(res)).toBeNull()
    })

    it('refuses a login form posted from another site (login CSRF)', async () => {
      const crossSite: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site', origin: 'https://a.example' },
      ]
      for (const headers of crossSite) {
        const res = await login(api, tokens.read, '/', headers)
        expect([headers, res.statusCode, sessionCookie(res)]).toEqual([headers, 403, null])
      }
      // the browser's own form: same origin
      const ok = await login(api, tokens.read, '/', {
        origin: 'http://localhost:80',
        host: 'localhost:80',
        'sec-fetch-site': 'same-origin',
      })
      expect(ok.statusCode).toBe(303)
    })
  })

  describe('what the cookie opens', () => {
    it("opens the read routes with the token's principal: its own org, 404 for another", async () => {
      const value = await sessionFor(api, tokens.read)
      const own = await api.inject({ method: 'GET', url: '/v1/orgs/dir@x.io', headers: withCookie(value) })
      expect(own.statusCode).toBe(200)
      expect(own.json().rootUnit).toBe('u:dir@x.io')
      const orgs = await api.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })
      expect(orgs.json().orgs.map((o: { email: string }) => o.email)).toEqual(['dir@x.io'])
      const other = await api.inject({ method: 'GET', url: '/v1/orgs/dir2@x.io', headers: withCookie(value) })
      expect(other.statusCode).toBe(404)
      // HEAD is a safe read too
      expect(
        (await api.inject({ method: 'HEAD', url: '/v1/orgs/dir@x.io', headers: withCookie(value) }))
          .statusCode,
      ).toBe(200)
      // admin GET routes stay admin: an org session reads no admin page
      expect(
        (await api.inject({ method: 'GET', url: '/v1/identities/unresolved', headers: withCookie(value) }))
          .statusCode,
      ).toBe(403)
    })

    it("an admin token's session reads admin GET routes and the built-in pages", async () => {
      const value = await sessionFor(api, tokens.admin)
      const ids = await api.inject({
        method: 'GET',
        url: '/v1/identities/unresolved',
        headers: withCookie(value),
      })
      expect(ids.statusCode).toBe(200)
      const page = await api.inject({ method: 'GET', url: '/', headers: { ...HTML, ...withCookie(value) } })
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toMatch(/text\/html/)
    })

    it('never authenticates a write: POST /v1/decisions with a valid admin session is 401 and publishes nothing (CSRF)', async () => {
      const value = await sessionFor(api, tokens.admin)
      const record = {
        id: 'CSRF-1',
        title: 'forged',
        raisedBy: 'a1@x.io',
        raisedAt: '2026-07-10T09:00:00Z',
        status: 'proposed',
      }
      for (const headers of [
        withCookie(value),
        { ...withCookie(value), origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
      ]) {
        const res = await api.inject({ method: 'POST', url: '/v1/decisions', headers, payload: record })
        expect(res.statusCode).toBe(401)
        expect(res.headers['www-authenticate']).toBe('Bearer realm="orgpulse"')
      }
      // an encoded path is the same route
      expect(
        (
          await api.inject({
            method: 'POST',
            url: '/v1/%64ecisions',
            headers: withCookie(value),
            payload: record,
          })
        ).statusCode,
      ).toBe(401)
      expect(published).toEqual([])
      // the same admin with its bearer token writes
      const bearerRes = await api.inject({
        method: 'POST',
        url: '/v1/decisions',
        headers: bearer(tokens.admin),
        payload: record,
      })
      expect(bearerRes.statusCode).toBe(202)
      expect(published.length).toBeGreaterThan(0)
    })

    it('a forged or unknown cookie opens nothing and is cleared', async () => {
      for (const value of ['ops_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', tokens.admin, 'x']) {
        const res = await api.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })
        expect(res.statusCode).toBe(401)
        expect(sessionCookie(res)?.header).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/)
      }
    })
  })

  describe('session lifetime', () => {
    it('revoking the token ends its sessions on the next request', async () => {
      const { token, info } = await createToken(client, { scope: 'read', org: 'dir@x.io', name: 'revoke-me' })
      const value = await sessionFor(api, token)
      expect(
        (await api.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })).statusCode,
      ).toBe(200)
      await revokeToken(client, info.id)
      const res = await api.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })
      expect(res.statusCode).toBe(401)
      // a browser is sent back to the login page
      const page = await api.inject({
        method: 'GET',
        url: '/orgs/dir@x.io',
        headers: { ...HTML, ...withCookie(value) },
      })
      expect(page.statusCode).toBe(303)
      expect(page.headers.location).toBe('/login?next=%2Forgs%2Fdir%40x.io')
      // and the revoked token cannot sign in again
      const again = await login(api, token)
      expect(again.statusCode).toBe(401)
      expect(again.body).toContain('revoked')
    })

    it('refuses an expired session (server-side expiry, whatever the cookie says)', async () => {
      // near the real time: the table's TTL drops rows a day after they expire, by the server's clock
      const start = Date.now()
      let now = new Date(start)
      const clocked = await track(await app(client, { session: { ttlMs: 60 * 60_000, now: () => now } }))
      const res = await login(clocked, tokens.read)
      expect(sessionCookie(res)!.header).toMatch(/Max-Age=3600(;|$)/)
      const value = sessionCookie(res)!.value
      now = new Date(start + 60 * 60_000 - 1000)
      expect(
        (await clocked.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })).statusCode,
      ).toBe(200)
      now = new Date(start + 60 * 60_000)
      const expired = await clocked.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })
      expect(expired.statusCode).toBe(401)
      expect(sessionCookie(expired)?.header).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/)
    })

    it('takes its lifetime from ORGPULSE_SESSION_HOURS', async () => {
      const two = await track(await app(client, { env: parseEnv({ ORGPULSE_SESSION_HOURS: '2' }) }))
      expect(sessionCookie(await login(two, tokens.read))!.header).toMatch(/Max-Age=7200(;|$)/)
      expect(() => parseEnv({ ORGPULSE_SESSION_HOURS: '0' })).toThrow(/ORGPULSE_SESSION_HOURS/)
    })

    it('POST /logout ends the session server-side and clears the cookie', async () => {
      const value = await sessionFor(api, tokens.read)
      const out = await api.inject({ method: 'POST', url: '/logout', headers: withCookie(value) })
      expect(out.statusCode).toBe(303)
      expect(out.headers.location).toBe('/login')
      expect(sessionCookie(out)?.header).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/)
      // the old cookie, replayed, opens nothing
      expect(
        (await api.inject({ method: 'GET', url: '/v1/orgs', headers: withCookie(value) })).statusCode,
      ).toBe(401)
    })
  })

  describe('open redirects', () => {
    const evil = [
      '//evil.example/x',
      '///evil.example',
      'https://evil.example/',
      'http:evil.example',
      '/\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      'javascript:alert(1)',
      'evil.example',
      '',
    ]
    it('POST /login redirects only to a same-origin path; anything else goes to /', async () => {
      for (const next of evil) {
        const res = await login(api, tokens.read, next)
        expect([next, res.statusCode, res.headers.location]).toEqual([next, 303, '/'])
      }
      for (const next of ['/orgs/dir%40x.io?from=2026-07-01#teams', '/', '/v1/orgs']) {
        const res = await login(api, tokens.read, next)
        expect([next, res.headers.location]).toEqual([next, next])
      }
    })

    it('safeNext keeps paths and drops everything that leaves the origin', () => {
      for (const next of evil) expect([next, safeNext(next)]).toEqual([next, '/'])
      expect(safeNext(undefined)).toBe('/')
      expect(safeNext('/login?next=//evil.example')).toBe('/')
      expect(safeNext('/orgs/a?access_token=opt_x&from=2026-07-01')).toBe('/orgs/a?from=2026-07-01')
    })
  })

  describe('?access_token= on a page', () => {
    it('moves the token into a session cookie and 303s to the same URL without it', async () => {
      const res = await api.inject({
        method: 'GET',
        url: `/orgs/dir@x.io?from=2026-07-01&access_token=${tokens.read}&to=2026-10-01`,
        headers: HTML,
      })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/orgs/dir@x.io?from=2026-07-01&to=2026-10-01')
      expect(res.headers.location).not.toContain('access_token')
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      const cookie = sessionCookie(res)!
      expect(cookie.header).toMatch(
        /HttpOnly; SameSite=Strict|SameSite=Strict.*HttpOnly|HttpOnly.*SameSite=Strict/,
      )
      // the page's own requests then carry the cookie
      const data = await api.inject({
        method: 'GET',
        url: '/v1/orgs/dir@x.io',
        headers: withCookie(cookie.value),
      })
      expect(data.statusCode).toBe(200)
    })

    it('an admin link opens the page after the redirect', async () => {
      const res = await api.inject({ method: 'GET', url: `/?access_token=${tokens.admin}`, headers: HTML })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/')
      const page = await api.inject({
        method: 'GET',
        url: '/',
        headers: { ...HTML, ...withCookie(sessionCookie(res)!.value) },
      })
      expect(page.statusCode).toBe(200)
    })

    it('a bad token in a page link shows the login page (401), counted, without the token in next', async () => {
      const res = await api.inject({
        method: 'GET',
        url: '/orgs/dir@x.io?access_token=opt_wrong&from=2026-07-01',
        headers: HTML,
      })
      expect(res.statusCode).toBe(401)
      expect(res.body).toContain('invalid token')
      expect(res.body).toContain('value="/orgs/dir@x.io?from=2026-07-01"')
      expect(res.body).not.toContain('opt_wrong')
      expect(sessionCookie(res)).toBeNull()
    })

    it('a token that may not open the page gets the login form with the reason (403), no session', async () => {
      const res = await api.inject({ method: 'GET', url: `/?access_token=${tokens.write}`, headers: HTML })
      expect(res.statusCode).toBe(403)
      expect(res.headers['content-type']).toMatch(/text\/html/)
      // the reason is the route's refusal (admin page today, a read page once pages filter by org)
      expect(res.body).toMatch(
        /(admin token required|scope is write:decisions)[^<]*; sign in with another token/,
      )
      expect(res.body).toContain('<form method="post" action="/login">')
      expect(res.body).not.toContain(tokens.write)
      expect(sessionCookie(res)).toBeNull()
      // an API client still gets JSON
      const json = await api.inject({ method: 'GET', url: '/', headers: bearer(tokens.write) })
      expect(json.statusCode).toBe(403)
      expect(json.json().error).toMatch(/admin token required|scope is write:decisions/)
    })

    it('API GETs keep accepting ?access_token= as before (no redirect)', async () => {
      const res = await api.inject({ method: 'GET', url: `/v1/orgs/dir@x.io?access_token=${tokens.read}` })
      expect(res.statusCode).toBe(200)
      expect(sessionCookie(res)).toBeNull()
      // even when the client asks for HTML: /v1 is the JSON api
      const html = await api.inject({
        method: 'GET',
        url: `/v1/orgs/dir@x.io?access_token=${tokens.read}`,
        headers: HTML,
      })
      expect(html.statusCode).toBe(200)
    })
  })

  describe('no credentials', () => {
    it('a browser asking for a page gets 303 to /login?next=<path>', async () => {
      const root = await api.inject({ method: 'GET', url: '/', headers: HTML })
      expect(root.statusCode).toBe(303)
      expect(root.headers.location).toBe('/login?next=%2F')
      const org = await api.inject({ method: 'GET', url: '/orgs/dir@x.io?from=2026-07-01', headers: HTML })
      expect(org.statusCode).toBe(303)
      expect(org.headers.location).toBe(`/login?next=${encodeURIComponent('/orgs/dir@x.io?from=2026-07-01')}`)
    })

    it('a link from another site (Strict cookies withheld) gets a same-origin reload of the same URL first', async () => {
      const res = await api.inject({
        method: 'GET',
        url: '/orgs/dir@x.io?from=2026-07-01&x=%22%3E',
        headers: { ...HTML, 'sec-fetch-site': 'cross-site' },
      })
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.body).toContain(
        '<meta http-equiv="refresh" content="0;url=/orgs/dir@x.io?from=2026-07-01&amp;x=%22%3E">',
      )
      // the reload comes from this origin: then the usual answer
      const again = await api.inject({
        method: 'GET',
        url: '/orgs/dir@x.io?from=2026-07-01',
        headers: { ...HTML, 'sec-fetch-site': 'same-origin' },
      })
      expect(again.statusCode).toBe(303)
      expect(again.headers.location).toMatch(/^\/login\?next=/)
    })

    it('API clients keep the 401 JSON with WWW-Authenticate (also for /v1 with Accept: text/html, and pages without it)', async () => {
      for (const [url, headers] of [
        ['/v1/orgs', {}],
        ['/v1/orgs', HTML],
        ['/', { accept: '*/*' }],
        ['/', { accept: 'application/json' }],
      ] as const) {
        const res = await api.inject({ method: 'GET', url, headers })
        expect([url, headers, res.statusCode]).toEqual([url, headers, 401])
        expect(res.headers['www-authenticate']).toBe('Bearer realm="orgpulse"')
        expect(res.json().error).toMatch(/missing bearer token/)
      }
    })
  })

  describe('failed sign-ins', () => {
    it('are counted with the bearer failures: past the limit the address gets 429, valid token or not', async () => {
      const limited = await track(await app(client, { failedAuthLimit: { max: 3, windowMs: 60_000 } }))
      const from = { remoteAddress: '10.7.7.7' }
      const post = (token: string) =>
        limited.inject({
          method: 'POST',
          url: '/login',
          headers: FORM,
          payload: form({ token, next: '/' }),
          ...from,
        })
      expect((await post('opt_one')).statusCode).toBe(401)
      expect((await post('opt_two')).statusCode).toBe(401)
      // a wrong bearer token counts towards the same limit
      expect(
        (await limited.inject({ method: 'GET', url: '/v1/orgs', headers: bearer('opt_three'), ...from }))
          .statusCode,
      ).toBe(401)
      const locked = await post(tokens.read)
      expect(locked.statusCode).toBe(429)
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
      expect(locked.body).toContain('too many failed sign-ins')
      expect(sessionCookie(locked)).toBeNull()
      // and the lockout covers bearer requests too
      expect(
        (await limited.inject({ method: 'GET', url: '/v1/orgs', headers: bearer(tokens.read), ...from }))
          .statusCode,
      ).toBe(429)
      // another address is not affected
      expect(
        (
          await limited.inject({
            method: 'POST',
            url: '/login',
            headers: FORM,
            payload: form({ token: tokens.read, next: '/' }),
            remoteAddress: '10.7.7.8',
          })
        ).statusCode,
      ).toBe(303)
    })
  })

  describe('Secure', () => {
    it('X-Forwarded-Proto counts only from a trusted proxy (ORGPULSE_API_TRUST_PROXY)', async () => {
      const https = { 'x-forwarded-proto': 'https' }
      // untrusted: a forged header must not matter either way (here: no Secure)
      expect(sessionCookie(await login(api, tokens.read, '/', https))!.header).not.toMatch(/Secure/)
      const trusting = await track(
        await app(client, { env: parseEnv({ ORGPULSE_API_TRUST_PROXY: 'loopback' }) }),
      )
      expect(sessionCookie(await login(trusting, tokens.read, '/', https))!.header).toMatch(/; Secure/)
      expect(sessionCookie(await login(trusting, tokens.read, '/'))!.header).not.toMatch(/Secure/)
      expect(() => parseEnv({ ORGPULSE_API_TRUST_PROXY: '10.0.0.0/99' })).toThrow(/ORGPULSE_API_TRUST_PROXY/)
      expect(() => parseEnv({ ORGPULSE_API_TRUST_PROXY: 'proxy.local' })).toThrow(/ORGPULSE_API_TRUST_PROXY/)
      expect(
        parseEnv({ ORGPULSE_API_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).ORGPULSE_API_TRUST_PROXY,
      ).toEqual(['10.0.0.1', '192.168.0.0/16'])
      expect(parseEnv({ ORGPULSE_API_TRUST_PROXY: '1' }).ORGPULSE_API_TRUST_PROXY).toBe(1)
    })
  })

  describe('behind a trusted proxy', () => {
    it('failed sign-ins are counted per forwarded client address, not per proxy', async () => {
      const behind = await track(
        await app(client, {
          env: parseEnv({ ORGPULSE_API_TRUST_PROXY: '127.0.0.1' }),
          failedAuthLimit: { max: 1, windowMs: 60_000 },
        }),
      )
      const from = (ip: string) => ({ 'x-forwarded-for': ip })
      expect((await login(behind, 'opt_wrong', '/', from('10.0.0.1'))).statusCode).toBe(401)
      expect((await login(behind, tokens.read, '/', from('10.0.0.2'))).statusCode).toBe(303)
      expect((await login(behind, tokens.read, '/', from('10.0.0.1'))).statusCode).toBe(429)
      // an untrusted peer's header is ignored: it is counted as itself
      const direct = await track(await app(client, { failedAuthLimit: { max: 1, windowMs: 60_000 } }))
      expect((await login(direct, 'opt_wrong', '/', from('10.0.0.3'))).statusCode).toBe(401)
      expect((await login(direct, tokens.read, '/', from('10.0.0.4'))).statusCode).toBe(429)
    })
  })

  describe('over a real socket', () => {
    it('a shared link, then the page and its data with the cookie the browser got; logout; login form', async () => {
      const real = await track(await app(client))
      await real.listen({ port: 0, host: '127.0.0.1' })
      const base = `http://127.0.0.1:${(real.server.address() as AddressInfo).port}`
      const first = await fetch(`${base}/?access_token=${encodeURIComponent(tokens.admin)}`, {
        headers: HTML,
        redirect: 'manual',
      })
      expect(first.status).toBe(303)
      expect(first.headers.get('location')).toBe('/')
      const setCookie = first.headers.getSetCookie()
      expect(setCookie).toHaveLength(1)
      expect(setCookie[0]).toMatch(
        new RegExp(`^${SESSION_COOKIE}=ops_[^;]+; Max-Age=43200; Path=/; HttpOnly; SameSite=Strict$`),
      )
      const cookie = setCookie[0]!.split(';')[0]!
      const page = await fetch(`${base}/`, { headers: { ...HTML, cookie }, redirect: 'manual' })
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<html/i)
      const data = await fetch(`${base}/v1/orgs`, { headers: { cookie } })
      expect(data.status).toBe(200)
      const out = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' })
      expect(out.status).toBe(303)
      expect((await fetch(`${base}/v1/orgs`, { headers: { cookie } })).status).toBe(401)
      // the form as a browser posts it
      const signIn = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { ...FORM, origin: base },
        body: form({ token: tokens.read2, next: '/orgs/dir2@x.io' }),
        redirect: 'manual',
      })
      expect(signIn.status).toBe(303)
      expect(signIn.headers.get('location')).toBe('/orgs/dir2@x.io')
      const second = signIn.headers.getSetCookie()[0]!.split(';')[0]!
      const own = await fetch(`${base}/v1/orgs/dir2@x.io`, { headers: { cookie: second } })
      expect(own.status).toBe(200)
    })
  })
})
