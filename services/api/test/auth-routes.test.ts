import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { MemoryBus } from '@orgpulse/kafka'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { ROUTE_AUTHS } from '../src/auth/routes.ts'
import { createToken, TokenError } from '../src/auth/tokens.ts'
import {
  app,
  bearer,
  config,
  decisionEvents,
  freshClickHouse,
  importFixtureOrg,
  insertEvents,
} from './helpers.ts'

/*
 * Issue 17, item 1: authorisation is declared per route and checked on the route fastify matched
 * (never the URL text), tokens carry scopes (read, write:decisions, admin), and an org's
 * write:decisions token submits only decisions raised in its org.
 */

let client: ClickHouseClient
let api: FastifyInstance
const published: unknown[] = []
const tokens = { read: '', write: '', write2: '', admin: '', legacy: '' }

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  const bus = new MemoryBus()
  const publish = bus.publish.bind(bus)
  bus.publish = async (topic, messages) => {
    published.push(...messages)
    return publish(topic, messages)
  }
  api = await app(client, { bus })
  tokens.read = (await createToken(client, { scope: 'read', org: 'dir@x.io' })).token
  tokens.write = (await createToken(client, { scope: 'write:decisions', org: 'dir@x.io' })).token
  tokens.write2 = (await createToken(client, { scope: 'write:decisions', org: 'dir2@x.io' })).token
  tokens.admin = (await createToken(client, { scope: 'admin' })).token
  // a token created before scopes existed: its row says 'org'
  const legacy = await createToken(client, { scope: 'read', org: 'dir@x.io', name: 'legacy' })
  await client.command({
    query: `ALTER TABLE api_tokens UPDATE scope = 'org' WHERE id = '${legacy.info.id}'`,
  })
  tokens.legacy = legacy.token
  // a decision of dir2's org, already stored
  await insertEvents(
    client,
    decisionEvents({ id: 'D-OTHER', raisedBy: 'c1@x.io', raisedAt: '2026-07-01T09:00:00Z' }),
  )
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

beforeEach(() => {
  published.length = 0
})

const record = (id: string, raisedBy: string) => ({
  id,
  title: `decision ${id}`,
  raisedBy,
  raisedAt: '2026-07-10T09:00:00Z',
  status: 'proposed',
})

/** (method, path) pairs from `printRoutes`' tree: each level indents by 4, a name extends its parent's path */
function printedRoutes(a: FastifyInstance): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = []
  const stack: string[] = []
  for (const line of a.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line)
    if (!m) continue
    // the root line already sits under one '└── '
    const depth = m[1]!.length / 4 - 1
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2]!
    stack[depth] = path
    stack.length = depth + 1
    for (const method of m[3]!.split(',')) out.push({ method: method.trim(), path })
  }
  return out
}

const post = (url: string, token: string, payload: unknown) =>
  api.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object })

describe('route declarations', () => {
  it('every route fastify registered declares its authorisation', () => {
    const routes = api.routeAuths()
    const undeclared = routes.filter((r) => !r.auth || !ROUTE_AUTHS.includes(r.auth))
    expect(undeclared).toEqual([])
    // the table is complete: every (method, path) in fastify's own route list is in it. Fastify
    // registers a prefix's trailing-slash twin ('/docs/' beside '/docs') from the same options
    // without a second onRoute call, so the twin shares the declaration of its route; the tree
    // prints a wildcard under its nearest route node ('/docs/*' for '/docs/static/*')
    const declared = (method: string, path: string) =>
      routes.find(
        (r) =>
          r.method.split(',').includes(method) &&
          (r.url === path ||
            `${r.url}/` === path ||
            (path.endsWith('*') && r.url.endsWith('*') && r.url.startsWith(path.slice(0, -1)))),
      )?.auth
    const missing = printedRoutes(api).filter((r) => !declared(r.method, r.path))
    expect(missing).toEqual([])
    expect(printedRoutes(api)).toContainEqual({
      method: 'GET',
      path: '/v1/orgs/:director/teams/:team/metrics',
    })
    expect(printedRoutes(api).length).toBeGreaterThan(40)
    const auth = (method: string, url: string) =>
      routes.find((r) => r.method === method && r.url === url)?.auth
    expect(auth('POST', '/v1/decisions')).toBe('write:decisions')
    expect(auth('GET', '/v1/orgs/:director/decisions')).toBe('read')
    expect(auth('GET', '/v1/identities/unresolved')).toBe('admin')
    // the built-in pages are reads: an org token opens its own org's pages (issue 18)
    expect(auth('GET', '/')).toBe('read')
    expect(auth('GET', '/orgs/:director')).toBe('read')
    expect(auth('GET', '/orgs/:director/decisions')).toBe('read')
    expect(auth('GET', '/healthz')).toBe('public')
    expect(auth('HEAD', '/metrics')).toBe('public')
    expect(auth('GET', '/docs/json')).toBe('public')
  })
})

describe('default deny', () => {
  it('a route registered without a declaration answers 403 to every caller, admin included', async () => {
    const a = await buildApp({ client, bus: new MemoryBus(), config, auth: 'tokens' })
    a.get('/v1/forgotten', async () => ({ secret: true }))
    a.get('/v1/declared', { config: { auth: 'read' } }, async () => ({ ok: true }))
    await a.ready()
    try {
      for (const token of [tokens.read, tokens.admin]) {
        const res = await a.inject({ url: '/v1/forgotten', headers: bearer(token) })
        expect(res.statusCode).toBe(403)
        expect(res.json()).toEqual({ error: 'this route declares no authorisation: refused' })
      }
      expect((await a.inject({ url: '/v1/declared', headers: bearer(tokens.read) })).statusCode).toBe(200)
      // no token: 401 before anything is said about the route
      expect((await a.inject({ url: '/v1/forgotten' })).statusCode).toBe(401)
    } finally {
      await a.close()
    }
  })
})

describe('URL variants of POST /v1/decisions with a read token', () => {
  const variants = [
    '/v1/decisions',
    '/v1/%64ecisions',
    '/v1/d%65cisions?x=1',
    '/%761/decisions',
    '/V1/decisions',
    '/v1/DECISIONS',
    '//v1/decisions',
    '/v1//decisions',
    '/v1/decisions/',
    '/v1/./decisions',
    '/v1/x/../decisions',
    '/v1/%2e%2e/v1/decisions',
    '/webhooks/../v1/decisions',
    '/docs/../v1/decisions',
    '/healthz/../v1/decisions',
    '/v1/decisions;x',
    '/v1/decisions%00',
  ]
  for (const url of variants) {
    it(`${url} answers 403 or 404 and accepts nothing`, async () => {
      const res = await post(url, tokens.read, record(`D-${url}`, 'a1@x.io'))
      expect([url, [403, 404, 400].includes(res.statusCode)]).toEqual([url, true])
      expect(res.statusCode).not.toBe(500)
      expect(published).toEqual([])
    })
  }

  it('says why: a read token does not submit decisions', async () => {
    const res = await post('/v1/%64ecisions', tokens.read, record('D-1', 'a1@x.io'))
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatch(/scope is read: submitting decisions takes a write:decisions token/)
  })

  it('a pre-scope org token reads as before and cannot write', async () => {
    expect((await api.inject({ url: '/v1/orgs/dir@x.io', headers: bearer(tokens.legacy) })).statusCode).toBe(
      200,
    )
    expect((await post('/v1/%64ecisions', tokens.legacy, record('D-2', 'a1@x.io'))).statusCode).toBe(403)
    expect(published).toEqual([])
  })
})

describe('write:decisions tokens', () => {
  it("accepts records raised in the token's org, also through an encoded path", async () => {
    const res = await post('/v1/decisions', tokens.write, [
      record('D-10', 'a1@x.io'),
      record('D-11', 'B1@X.io'),
    ])
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 2, ids: ['D-10', 'D-11'] })
    expect((await post('/v1/%64ecisions', tokens.write, record('D-12', 'm2@x.io'))).statusCode).toBe(202)
  })

  it('refuses a record raised in another org (403, the reason names the record), and accepts nothing of the batch', async () => {
    const res = await post('/v1/decisions', tokens.write, [
      record('D-20', 'a1@x.io'),
      record('D-21', 'c1@x.io'),
    ])
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toContain("record 1 (D-21): raiser c1@x.io is not in dir@x.io's org")
    expect(published).toEqual([])
    // the parent's director is not inside the org either, nor is an identity that maps to no one
    for (const raiser of ['ceo@x.io', 'stranger@elsewhere.io', 'linear:abc']) {
      const r = await post('/v1/decisions', tokens.write, record('D-22', raiser))
      expect([raiser, r.statusCode]).toEqual([raiser, 403])
    }
    expect(published).toEqual([])
  })

  it("refuses to overwrite another org's stored decision, even raised by one of its own people", async () => {
    const res = await post('/v1/decisions', tokens.write, {
      ...record('D-OTHER', 'a1@x.io'),
      status: 'withdrawn',
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toContain('decision D-OTHER is already stored with a raiser outside')
    // the mapper trims the id, so a padded id is the same decision
    const padded = await post('/v1/decisions', tokens.write, record('  D-OTHER ', 'a1@x.io'))
    expect(padded.statusCode).toBe(403)
    expect(published).toEqual([])
    // its own org's token may update it
    expect((await post('/v1/decisions', tokens.write2, record('D-OTHER', 'c2@x.io'))).statusCode).toBe(202)
  })

  it('does not read: the read routes answer 403 for a write token', async () => {
    const res = await api.inject({ url: '/v1/orgs/dir@x.io/decisions', headers: bearer(tokens.write) })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatch(/scope is write:decisions/)
    expect((await api.inject({ url: '/', headers: bearer(tokens.write) })).statusCode).toBe(403)
  })

  it('invalid records still answer 400 with their errors, never 500', async () => {
    const res = await post('/v1/decisions', tokens.write, [{ id: 'D-30' }, 'not a record', null])
    expect(res.statusCode).toBe(400)
    expect(published).toEqual([])
  })
})

describe('admin tokens', () => {
  it("submit any org's decisions and update any stored one", async () => {
    expect((await post('/v1/decisions', tokens.admin, record('D-40', 'c1@x.io'))).statusCode).toBe(202)
    expect((await post('/v1/decisions', tokens.admin, record('D-OTHER', 'a1@x.io'))).statusCode).toBe(202)
    expect(
      (await api.inject({ url: '/v1/identities/unresolved', headers: bearer(tokens.admin) })).statusCode,
    ).toBe(200)
  })
})

describe('token scopes', () => {
  it('refuses an unknown scope, and a bound scope without an org', async () => {
    await expect(createToken(client, { scope: 'write' as 'read', org: 'dir@x.io' })).rejects.toThrow(
      TokenError,
    )
    await expect(createToken(client, { scope: 'write:decisions' })).rejects.toThrow(
      /needs the director's email/,
    )
  })
})
