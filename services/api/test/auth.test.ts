import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken, hashToken, listTokens, revokeToken } from '../src/auth/tokens.ts'
import { app, bearer, freshClickHouse, importFixtureOrg } from './helpers.ts'

let client: ClickHouseClient
let api: FastifyInstance
const tokens: Record<'dir' | 'dir2' | 'm1' | 'admin', string> = { dir: '', dir2: '', m1: '', admin: '' }

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  api = await app(client)
  tokens.dir = (await createToken(client, { scope: 'org', org: 'DIR@x.io', name: 'dana' })).token
  tokens.dir2 = (await createToken(client, { scope: 'org', org: 'dir2@x.io' })).token
  tokens.m1 = (await createToken(client, { scope: 'org', org: 'm1@x.io' })).token
  tokens.admin = (await createToken(client, { scope: 'admin' })).token
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

const get = (url: string, token?: string) =>
  api.inject({ method: 'GET', url, headers: token ? bearer(token) : {} })

describe('token storage', () => {
  it('stores only the sha256 of a token, never the token', async () => {
    const rows = await client
      .query({ query: 'SELECT token_hash FROM api_tokens', format: 'JSONEachRow' })
      .then((r) => r.json<{ token_hash: string }>())
    const hashes = rows.map((r) => r.token_hash)
    expect(hashes).toContain(hashToken(tokens.dir))
    const dump = JSON.stringify(
      await client.query({ query: 'SELECT * FROM api_tokens', format: 'JSONEachRow' }).then((r) => r.json()),
    )
    for (const t of Object.values(tokens)) expect(dump).not.toContain(t)
  })

  it('lists tokens with their scope and normalised org', async () => {
    const list = await listTokens(client)
    expect(list.map((t) => [t.name, t.scope, t.org])).toEqual([
      ['dana', 'read', 'dir@x.io'],
      ['dir2@x.io', 'read', 'dir2@x.io'],
      ['m1@x.io', 'read', 'm1@x.io'],
      ['admin', 'admin', ''],
    ])
  })
})

describe('scoped access', () => {
  it('a director token reads its own org (200) and orgs inside it', async () => {
    expect((await get('/v1/orgs/dir@x.io', tokens.dir)).statusCode).toBe(200)
    const team = await get('/v1/orgs/m1@x.io', tokens.dir)
    expect(team.statusCode).toBe(200)
    expect(team.json().rootUnit).toBe('u:m1@x.io')
    expect(
      (await get('/v1/orgs/dir@x.io/teams/m2@x.io/metrics?from=2026-07-01&to=2026-10-01', tokens.dir))
        .statusCode,
    ).toBe(200)
  })

  it("answers 404 on another org's resources, with the same body as for an org that does not exist", async () => {
    const other = await get('/v1/orgs/dir2@x.io', tokens.dir)
    const missing = await get('/v1/orgs/nobody@x.io', tokens.dir)
    expect(other.statusCode).toBe(404)
    expect(missing.statusCode).toBe(404)
    expect(other.json()).toEqual({ error: 'no org led by dir2@x.io' })
    expect(missing.json()).toEqual({ error: 'no org led by nobody@x.io' })
    for (const path of [
      'metrics?from=2026-07-01&to=2026-10-01',
      'decisions',
      'dependencies',
      'exports/quarterly?quarter=2026-Q3&format=csv',
    ]) {
      const res = await get(`/v1/orgs/dir2@x.io/${path}`, tokens.dir)
      expect([path, res.statusCode, res.json()]).toEqual([path, 404, { error: 'no org led by dir2@x.io' }])
    }
    // a team of another org through one's own org path is not found either
    expect(
      (await get('/v1/orgs/dir@x.io/teams/m3@x.io/metrics?from=2026-07-01&to=2026-10-01', tokens.dir))
        .statusCode,
    ).toBe(404)
    // a sub-org token cannot climb to its parent
    expect((await get('/v1/orgs/dir@x.io', tokens.m1)).statusCode).toBe(404)
  })

  it('lists only the directors inside the token scope', async () => {
    expect((await get('/v1/orgs', tokens.dir)).json().orgs.map((d: { email: string }) => d.email)).toEqual([
      'dir@x.io',
    ])
    expect((await get('/v1/orgs', tokens.admin)).json().orgs.map((d: { email: string }) => d.email)).toEqual([
      'ceo@x.io',
      'dir2@x.io',
      'dir@x.io',
    ])
  })

  it('an admin token reads every org; unresolved identities are admin only (403 for org tokens)', async () => {
    expect((await get('/v1/orgs/dir2@x.io', tokens.admin)).statusCode).toBe(200)
    expect((await get('/v1/identities/unresolved', tokens.admin)).json()).toEqual({ identities: [] })
    expect((await get('/v1/identities/unresolved', tokens.dir)).statusCode).toBe(403)
  })

  it('answers 401 without a token, with an unknown token, and with a malformed header', async () => {
    const none = await get('/v1/orgs/dir@x.io')
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orgpulse"')
    expect((await get('/v1/orgs/dir@x.io', 'opt_not-a-real-token')).json()).toEqual({
      error: 'invalid token',
    })
    const malformed = await api.inject({
      method: 'GET',
      url: '/v1/orgs',
      headers: { authorization: 'Basic abc' },
    })
    expect(malformed.statusCode).toBe(401)
  })

  it('accepts ?access_token= on GET (browser pages)', async () => {
    expect((await get(`/v1/orgs/dir@x.io?access_token=${tokens.dir}`)).statusCode).toBe(200)
  })

  it('keeps health, readiness, metrics and docs public', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json'])
      expect([url, (await get(url)).statusCode]).toEqual([url, 200])
  })

  it('only admin tokens may submit decisions', async () => {
    const res = await api.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: bearer(tokens.dir),
      payload: {},
    })
    expect(res.statusCode).toBe(403)
  })

  it('answers 401 once a token is revoked', async () => {
    const { token, info } = await createToken(client, { scope: 'org', org: 'dir@x.io', name: 'short-lived' })
    expect((await get('/v1/orgs/dir@x.io', token)).statusCode).toBe(200)
    const revoked = await revokeToken(client, info.id)
    expect(revoked.revokedAt).not.toBeNull()
    const res = await get('/v1/orgs/dir@x.io', token)
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ error: 'token revoked' })
    // revoking again reports the first revocation
    expect((await revokeToken(client, info.id)).revokedAt).toBe(revoked.revokedAt)
    await expect(revokeToken(client, 'tok_missing')).rejects.toThrow('no token with id tok_missing')
  })
})

describe("auth 'auto' (embedded default)", () => {
  it('stays closed once a token existed, revoked or not (open before the first: hardening.test.ts)', async () => {
    const auto = await app(client, { auth: 'auto' })
    try {
      // this file's database has tokens: a loopback caller without one is refused
      expect((await auto.inject({ method: 'GET', url: '/v1/orgs/dir@x.io' })).statusCode).toBe(401)
      for (const t of await listTokens(client)) await revokeToken(client, t.id)
      // issue 17: revoking the last token used to reopen the api (200 here); it stays closed
      expect((await auto.inject({ method: 'GET', url: '/v1/orgs/dir@x.io' })).statusCode).toBe(401)
      // a remote caller always needs a token
      const remote = await auto.inject({ method: 'GET', url: '/v1/orgs/dir@x.io', remoteAddress: '10.1.2.3' })
      expect(remote.statusCode).toBe(401)
      const { token } = await createToken(client, { scope: 'org', org: 'dir@x.io' })
      expect((await auto.inject({ method: 'GET', url: '/v1/orgs/dir@x.io' })).statusCode).toBe(401)
      expect(
        (await auto.inject({ method: 'GET', url: '/v1/orgs/dir@x.io', headers: bearer(token) })).statusCode,
      ).toBe(200)
    } finally {
      await auto.close()
    }
  })
})

describe('rate limiting', () => {
  it('limits each token separately and answers 429 with Retry-After', async () => {
    const limited = await app(client, { rateLimit: { max: 3, timeWindow: 60_000 } })
    try {
      const a = (await createToken(client, { scope: 'admin', name: 'a' })).token
      const b = (await createToken(client, { scope: 'admin', name: 'b' })).token
      const codes: number[] = []
      for (let i = 0; i < 4; i++)
        codes.push((await limited.inject({ method: 'GET', url: '/v1/orgs', headers: bearer(a) })).statusCode)
      expect(codes).toEqual([200, 200, 200, 429])
      const res = await limited.inject({ method: 'GET', url: '/v1/orgs', headers: bearer(a) })
      expect(res.statusCode).toBe(429)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60)
      expect(res.json().error).toMatch(/rate limit/i)
      // another token has its own budget
      expect((await limited.inject({ method: 'GET', url: '/v1/orgs', headers: bearer(b) })).statusCode).toBe(
        200,
      )
      // probes are never limited
      for (let i = 0; i < 5; i++)
        expect((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    } finally {
      await limited.close()
    }
  })
})
