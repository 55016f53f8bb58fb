import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  backoffMs,
  createHttpClient,
  HttpRetryError,
  PointsBudget,
  parseRetryAfter,
  type RetryInfo,
} from '../src/index.ts'

interface Scripted {
  status: number
  headers?: Record<string, string>
  body?: string
  /** drop the connection instead of answering */
  hangUp?: boolean
}

let server: Server
let url: string
let script: Scripted[] = []
let seen: { method: string; path: string; at: number; body: string }[] = []

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now(), body: await readBody(req) })
    const next = script.shift() ?? { status: 200, body: '{"ok":true}' }
    if (next.hangUp) return req.socket.destroy()
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers })
    res.end(next.body ?? '{}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  script = []
  seen = []
})

/** records every wait instead of sleeping: the tests take no real time */
function recorder() {
  const waits: number[] = []
  return { waits, sleep: async (ms: number) => void waits.push(ms) }
}

describe('createHttpClient', () => {
  it('honours Retry-After in seconds', async () => {
    const { waits, sleep } = recorder()
    const retries: RetryInfo[] = []
    const http = createHttpClient({ baseUrl: url, sleep, onRetry: (r) => retries.push(r) })
    script = [{ status: 429, headers: { 'retry-after': '3' } }]
    const res = await http.request('GET', '/thing', { query: { a: 1, skip: undefined } })
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({ ok: true })
    expect(waits).toEqual([3000])
    expect(retries).toMatchObject([
      { method: 'GET', path: '/thing', status: 429, attempt: 1, waitMs: 3000, retryAfterMs: 3000 },
    ])
    expect(seen.map((s) => s.path)).toEqual(['/thing?a=1', '/thing?a=1'])
    expect(http.sent).toBe(2)
  })

  it('honours Retry-After as an HTTP date', async () => {
    const { waits, sleep } = recorder()
    const now = Date.parse('2026-01-01T00:00:00Z')
    const http = createHttpClient({ baseUrl: url, sleep, now: () => now })
    script = [{ status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' } }]
    expect((await http.request('GET', '/x')).status).toBe(200)
    expect(waits).toEqual([7000])
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000)
    expect(parseRetryAfter('soon')).toBeNull()
  })

  it('a Retry-After beyond the limit fails clearly, or is capped when the caller says so', async () => {
    const { waits, sleep } = recorder()
    script = [{ status: 429, headers: { 'retry-after': '600' } }]
    const strict = createHttpClient({ baseUrl: url, sleep, retry: { maxRetryAfterMs: 60_000 } })
    const err = (await strict.request('GET', '/x').catch((e: unknown) => e)) as HttpRetryError
    expect(err).toBeInstanceOf(HttpRetryError)
    expect(err.reason).toBe('retry-after')
    expect(err.message).toBe(
      `GET ${url}/x: answered 429 asking to wait 600 s (Retry-After), longer than the 60 s limit`,
    )
    script = [{ status: 429, headers: { 'retry-after': '600' } }]
    const capped = createHttpClient({
      baseUrl: url,
      sleep,
      retry: { maxRetryAfterMs: 60_000, longRetryAfter: 'cap' },
    })
    expect((await capped.request('GET', '/x')).status).toBe(200)
    expect(waits).toEqual([60_000])
  })

  it('backs off exponentially with jitter bounded in [0, cap]', () => {
    const b = { baseMs: 100, maxMs: 1000 }
    for (let attempt = 0; attempt < 8; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** attempt)
      expect(backoffMs(attempt, b, () => 0)).toBe(0)
      expect(backoffMs(attempt, b, () => 0.999999)).toBe(cap)
      for (let i = 0; i < 50; i++) {
        const w = backoffMs(attempt, b)
        expect(w).toBeGreaterThanOrEqual(0)
        expect(w).toBeLessThanOrEqual(cap)
      }
    }
    // a narrower band when a caller's timing contract needs one
    expect(backoffMs(2, { ...b, jitter: { min: 0.5, max: 1 } }, () => 0)).toBe(200)
  })

  it('uses the backoff when there is no Retry-After, then names method, URL, attempts and status', async () => {
    const { waits, sleep } = recorder()
    const http = createHttpClient({
      baseUrl: `http://user:secret@127.0.0.1:${new URL(url).port}/api/`,
      sleep,
      random: () => 0.5,
      retry: { maxAttempts: 3, backoff: { baseMs: 100, maxMs: 1000 } },
    })
    script = [{ status: 503 }, { status: 503 }, { status: 503, body: '{"error":"down"}' }]
    const err = (await http.request('GET', 'items').catch((e: unknown) => e)) as HttpRetryError
    expect(err).toBeInstanceOf(HttpRetryError)
    expect(err.message).toBe(`GET ${url}/api/items: still answering 503 after 3 attempts`)
    expect(err.message).not.toMatch(/secret/)
    expect([err.method, err.attempts, err.status, err.reason]).toEqual(['GET', 3, 503, 'attempts'])
    expect(err.response?.json()).toEqual({ error: 'down' })
    expect(waits).toEqual([50, 100])
    expect(seen).toHaveLength(3)
  })

  it('does not retry a POST unless the caller allows it', async () => {
    const { waits, sleep } = recorder()
    script = [{ status: 503 }]
    const plain = createHttpClient({ baseUrl: url, sleep })
    const res = await plain.request('POST', '/create', { json: { name: 'a' } })
    expect(res.status).toBe(503)
    expect(seen.map((s) => [s.method, s.body])).toEqual([['POST', '{"name":"a"}']])
    expect(waits).toEqual([])
    script = [{ status: 503 }]
    const reads = createHttpClient({ baseUrl: url, sleep, retry: { retryPost: true } })
    expect((await reads.request('POST', '/graphql', { json: {} })).status).toBe(200)
    expect(seen).toHaveLength(3)
  })

  it('can decide from the body (a GraphQL rate limit in a 400)', async () => {
    const { sleep } = recorder()
    const http = createHttpClient({
      baseUrl: url,
      sleep,
      retry: {
        retryPost: true,
        on: (res) => JSON.stringify(res.json() ?? {}).includes('RATELIMITED'),
      },
    })
    script = [{ status: 400, body: '{"errors":[{"extensions":{"code":"RATELIMITED"}}]}' }]
    expect((await http.request('POST', '/', { json: {} })).status).toBe(200)
    script = [{ status: 400, body: '{"errors":[{"extensions":{"code":"INVALID_INPUT"}}]}' }]
    expect((await http.request('POST', '/', { json: {} })).status).toBe(400)
  })

  it('a header budget holds the next request until it resets', async () => {
    const { waits, sleep } = recorder()
    const waited: { ms: number; reason: string }[] = []
    let clock = 1_000_000
    const http = createHttpClient({
      baseUrl: url,
      sleep: async (ms) => {
        await sleep(ms)
        clock += ms
      },
      now: () => clock,
      onWait: (w) => waited.push(w),
      budget: (res) =>
        res.headers.get('x-ratelimit-remaining') === '0'
          ? { waitMs: Number(res.headers.get('x-ratelimit-reset')) - clock, reason: 'requests spent' }
          : 0,
    })
    script = [
      { status: 200, headers: { 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(clock + 5000) } },
      { status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(clock + 5000) } },
    ]
    await http.request('GET', '/a')
    await http.request('GET', '/b')
    expect(waits).toEqual([])
    await http.request('GET', '/c')
    expect(waits).toEqual([5000])
    expect(waited).toEqual([{ ms: 5000, reason: 'requests spent' }])
    await http.request('GET', '/d')
    expect(waits).toEqual([5000])
  })

  it('retries network errors for idempotent requests, and says so when they persist', async () => {
    const { waits, sleep } = recorder()
    const retries: RetryInfo[] = []
    const http = createHttpClient({
      baseUrl: url,
      sleep,
      random: () => 1,
      retry: { maxAttempts: 3, backoff: { baseMs: 10, maxMs: 100 } },
      onRetry: (r) => retries.push(r),
    })
    script = [{ status: 0, hangUp: true }]
    expect((await http.request('GET', '/flaky')).status).toBe(200)
    expect(retries.map((r) => [r.status, r.attempt, r.waitMs])).toEqual([['network', 1, 10]])
    script = [{ status: 0, hangUp: true }]
    const post = await http.request('POST', '/once').catch((e: unknown) => e)
    expect(post).toBeInstanceOf(HttpRetryError)
    expect((post as HttpRetryError).message).toMatch(
      new RegExp(`^POST ${url}/once: no answer after 1 attempt: `),
    )
    const closed = createHttpClient({ baseUrl: 'http://127.0.0.1:9', sleep, retry: { maxAttempts: 2 } })
    const err = (await closed.request('GET', '/x').catch((e: unknown) => e)) as HttpRetryError
    expect([err.reason, err.attempts, err.status]).toEqual(['network', 2, 'network'])
    expect(waits).toHaveLength(2)
  })
})

describe('PointsBudget', () => {
  it('lets a request go while the remaining points pay its predicted cost, and holds it for the reset otherwise', async () => {
    let clock = 1_000
    const slept: number[] = []
    const b = new PointsBudget(
      () => clock,
      async (ms) => {
        slept.push(ms)
        clock += ms
      },
    )
    // nothing known yet: no wait
    expect(await b.reserve(50)).toBe(0)
    b.observe({ remaining: 60, resetAt: 5_000, limit: 100 }, 50)
    // two concurrent 30-point requests: the first fits, the second would overdraw what the first reserved
    expect(await b.reserve(30)).toBe(0)
    expect(b.waitFor(31)).toBe(4_000)
    expect(await b.reserve(30)).toBe(0)
    b.observe({ remaining: 0, resetAt: 5_000, limit: 100 }, 60)
    expect(await b.reserve(1)).toBe(4_000)
    expect(slept).toEqual([4_000])
    // after the reset the whole limit is there until the next response says otherwise
    expect(b.waitFor(100)).toBe(0)
  })
})
