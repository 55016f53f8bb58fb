import { createHmac } from 'node:crypto'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ClickHouseClient, createClickHouse } from '@orgpulse/clickhouse'
import { configSchema, jiraConfigSchema, parseEnv } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { createToken, revokeToken } from '../src/auth/tokens.ts'
import { app, bearer, freshClickHouse, importFixtureOrg } from './helpers.ts'

/** issue 17 item 6: the smaller holes, each through HTTP */

let client: ClickHouseClient
let dataDir: string
const open: FastifyInstance[] = []

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  dataDir = ch.dir
  await importFixtureOrg(client, ch.dir)
})

afterAll(async () => {
  for (const a of open) await a.close()
  await client?.close()
})

const track = (a: FastifyInstance) => {
  open.push(a)
  return a
}

/** a logger with pino's shape whose lines land in `lines` ({level, msg, ...bindings}) */
function capturedLog() {
  const lines: Record<string, unknown>[] = []
  const make = (bindings: Record<string, unknown>): FastifyBaseLogger => {
    const at =
      (level: string) =>
      (obj: unknown, msg?: string): void => {
        const fields = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>) : {}
        const err = fields.err instanceof Error ? { message: fields.err.message } : fields.err
        lines.push({ ...bindings, ...fields, err, level, msg: typeof obj === 'string' ? obj : msg })
      }
    return {
      level: 'info',
      fatal: at('fatal'),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      trace: at('trace'),
      silent: () => {},
      child: (b: Record<string, unknown>) => make({ ...bindings, ...b }),
    } as unknown as FastifyBaseLogger
  }
  return { log: make({}), lines }
}

/** a GET over a real socket with the Host header we choose (fetch would not let us set it) */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

// runs first: the database has no token yet
describe("auth 'auto' before and after the first token", () => {
  it('serves loopback names only, and never reopens once a token existed, even revoked', async () => {
    const auto = track(await app(client, { auth: 'auto' }))
    await auto.listen({ port: 0, host: '127.0.0.1' })
    const { port } = auto.server.address() as AddressInfo

    // a DNS-rebinding page: loopback peer, foreign Host
    const rebound = await getWithHost(port, '/v1/orgs/dir@x.io', 'evil.example')
    expect(rebound.status).toBe(403)
    expect(JSON.parse(rebound.body).error).toMatch(
      /Host "evil\.example" is not localhost, 127\.0\.0\.1 or \[::1\]/,
    )
    const reboundWithPort = await getWithHost(port, '/v1/orgs/dir@x.io', `evil.example:${port}`)
    expect(reboundWithPort.status).toBe(403)
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
      expect([host, (await getWithHost(port, '/v1/orgs/dir@x.io', host)).status]).toEqual([host, 200])
    }
    // probes stay public whatever the Host
    expect((await getWithHost(port, '/healthz', 'evil.example')).status).toBe(200)

    const { info } = await createToken(client, { scope: 'admin', name: 'only' })
    expect((await getWithHost(port, '/v1/orgs/dir@x.io', `127.0.0.1:${port}`)).status).toBe(401)
    await revokeToken(client, info.id)
    // revoking the last token leaves token auth on: 401, not an open api
    const after = await auto.inject({ method: 'GET', url: '/v1/orgs/dir@x.io' })
    expect(after.statusCode).toBe(401)
    expect(after.json().error).toMatch(/missing bearer token/)
  })
})

describe('failed authentications', () => {
  it('answer 429 from one address after the limit, a valid token included, other addresses unaffected', async () => {
    const a = track(await app(client))
    const admin = (await createToken(client, { scope: 'admin', name: 'brute' })).token
    const codes = new Map<number, number>()
    for (let i = 0; i < 700; i++) {
      const res = await a.inject({
        method: 'GET',
        url: '/v1/orgs',
        headers: bearer(`opt_guess${i}`),
        remoteAddress: '10.9.9.9',
      })
      codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1)
    }
    expect(Object.fromEntries(codes)).toEqual({ 401: 30, 429: 670 })
    const locked = await a.inject({
      method: 'GET',
      url: '/v1/orgs',
      headers: bearer(admin),
      remoteAddress: '10.9.9.9',
    })
    expect(locked.statusCode).toBe(429)
    expect(locked.json().error).toMatch(/too many failed authentications/)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60)
    const elsewhere = await a.inject({
      method: 'GET',
      url: '/v1/orgs',
      headers: bearer(admin),
      remoteAddress: '10.1.1.1',
    })
    expect(elsewhere.statusCode).toBe(200)
  })
})

describe('bad input answers 400 with the reason, and the server logs it', () => {
  it('a 10k-deep JSON body', async () => {
    const { log, lines } = capturedLog()
    const a = track(
      await buildApp({ client, bus: new MemoryBus(), config: configSchema.parse({}), auth: 'tokens', log }),
    )
    await a.ready()
    const admin = (await createToken(client, { scope: 'admin', name: 'deep' })).token
    const deep = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
    const res = await a.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      payload: deep,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('JSON body nested deeper than 64 levels (arrays and objects count)')
    expect(lines.some((l) => String(l.msg).includes('nested deeper than 64'))).toBe(true)
    // brackets inside strings are text, not nesting
    const flat = await a.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      payload: JSON.stringify({ note: '['.repeat(10_000) }),
    })
    expect(flat.statusCode).not.toBe(500)
    expect(flat.json().error ?? '').not.toMatch(/nested deeper/)
  })

  it('quarter=9999-Q4', async () => {
    const a = track(await app(client, { auth: 'none' }))
    for (const quarter of ['9999-Q4', '1970-Q1', '0000-Q1']) {
      const res = await a.inject({
        method: 'GET',
        url: `/v1/orgs/dir@x.io/exports/quarterly?quarter=${quarter}&format=csv`,
      })
      expect([quarter, res.statusCode, res.json()]).toEqual([
        quarter,
        400,
        { error: `quarter year must be between 1971 and 2105 (got "${quarter}")` },
      ])
    }
    const ok = await a.inject({
      method: 'GET',
      url: '/v1/orgs/dir@x.io/exports/quarterly?quarter=2105-Q4&format=csv',
    })
    expect(ok.statusCode).toBe(200)
  })

  it('a 5xx is logged with its error', async () => {
    const { log, lines } = capturedLog()
    // a ClickHouse that fails every query: the route answers 500 and the log says why
    const broken = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'query') return async () => Promise.reject(new Error('clickhouse exploded'))
        return Reflect.get(target, prop, receiver)
      },
    })
    const a = track(
      await buildApp({
        client: broken,
        bus: new MemoryBus(),
        config: configSchema.parse({}),
        auth: 'none',
        log,
      }),
    )
    const res = await a.inject({ method: 'GET', url: '/v1/orgs' })
    expect(res.statusCode).toBe(500)
    const line = lines.find((l) => l.msg === 'request failed')
    expect(line).toBeDefined()
    expect(JSON.stringify(line)).toContain('clickhouse exploded')
  })
})

describe('tokens for an org', () => {
  it('must name a manager in the current org', async () => {
    await expect(createToken(client, { scope: 'org', org: 'not-a-director@x.io' })).rejects.toThrow(
      '--org not-a-director@x.io does not name a director or manager in the current org: not-a-director@x.io is not in the org valid at 2026-01-01',
    )
    // in the org, but leads nobody
    await expect(createToken(client, { scope: 'org', org: 'a1@x.io' })).rejects.toThrow(
      'a1@x.io leads no team in the org valid at 2026-01-01',
    )
    expect((await createToken(client, { scope: 'org', org: 'm1@x.io' })).info.org).toBe('m1@x.io')
  })
})

describe('signed Jira webhook replay', () => {
  const SECRET = 'jira-secret'
  const config = configSchema.parse({
    jira: jiraConfigSchema.parse({ baseUrl: 'https://acme.atlassian.net', projects: ['ENG'] }),
  })
  const body = JSON.stringify({
    timestamp: Date.parse('2026-07-01T10:00:00Z'),
    webhookEvent: 'jira:issue_updated',
    user: { accountId: 'acc-1' },
    issue: { id: '10000', key: 'ENG-1', fields: {} },
    changelog: { id: '20001', items: [] },
  })
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`

  async function jiraApp(c: ClickHouseClient, published: unknown[]) {
    const bus = new MemoryBus()
    const publish = bus.publish.bind(bus)
    bus.publish = async (topic, messages) => {
      published.push(...messages)
      return publish(topic, messages)
    }
    const a = await buildApp({
      client: c,
      bus,
      config,
      auth: 'tokens',
      env: parseEnv({ JIRA_WEBHOOK_SECRET: SECRET }),
    })
    await a.ready()
    return a
  }
  const deliver = (a: FastifyInstance, id: string) =>
    a.inject({
      method: 'POST',
      url: '/webhooks/jira',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature': signature,
        'x-atlassian-webhook-identifier': id,
      },
    })

  it('is acknowledged 200 duplicate under a new delivery id, published once, also after a restart', async () => {
    const published: unknown[] = []
    const first = await jiraApp(client, published)
    expect((await deliver(first, 'd-1')).statusCode).toBe(202)
    const replay = await deliver(first, 'd-2')
    expect(replay.statusCode).toBe(200)
    expect(replay.json()).toEqual({ duplicate: true, deliveryId: 'd-2' })
    expect(published).toHaveLength(1)
    await first.close()

    // a restart: a new client on the same data directory, a new app
    await client.close()
    client = createClickHouse({ dataDir })
    const second = track(await jiraApp(client, published))
    const afterRestart = await deliver(second, 'd-3')
    expect(afterRestart.statusCode).toBe(200)
    expect(afterRestart.json()).toEqual({ duplicate: true, deliveryId: 'd-3' })
    expect((await deliver(second, 'd-1')).statusCode).toBe(200)
    expect(published).toHaveLength(1)
  })

  it('refuses an old payload timestamp only when an age limit is configured', async () => {
    const limited = configSchema.parse({
      jira: jiraConfigSchema.parse({
        baseUrl: 'https://acme.atlassian.net',
        projects: ['ENG'],
        webhook: { maxAgeSeconds: 3600 },
      }),
    })
    const a = track(
      await buildApp({
        client,
        bus: new MemoryBus(),
        config: limited,
        auth: 'tokens',
        env: parseEnv({ JIRA_WEBHOOK_SECRET: SECRET }),
      }),
    )
    const send = (payload: string, id: string) =>
      a.inject({
        method: 'POST',
        url: '/webhooks/jira',
        payload,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`,
          'x-atlassian-webhook-identifier': id,
        },
      })
    const old = await send(body.replace('"20001"', '"20002"'), 'old-1')
    expect(old.statusCode).toBe(400)
    expect(old.json().error).toBe(
      'payload timestamp 2026-07-01T10:00:00.000Z is older than the configured limit of 3600 s',
    )
    const fresh = JSON.stringify({
      ...JSON.parse(body),
      timestamp: Date.now(),
      changelog: { id: '20003', items: [] },
    })
    expect((await send(fresh, 'fresh-1')).statusCode).toBe(202)
  })
})
