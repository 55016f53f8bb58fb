import type { CursorStore } from '@orgpulse/clickhouse'
import { rawTopic } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { MemoryBus } from '@orgpulse/kafka'
import { afterEach, describe, expect, it } from 'vitest'
import { syncJira } from '../src/index.ts'
import { clientFor, day, jiraConfig, seed, USERS } from './fixtures.ts'

let fake: FakeJira | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const AUTH = `Basic ${Buffer.from('bot@example.com:api-token').toString('base64')}`
const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

/** cursors that remember nothing: every sync is a first one */
const noCursors = { get: async () => null, set: async () => {} } as unknown as CursorStore

describe('fake Jira points budget', () => {
  it('charges 1 + the objects returned, reports it in headers, and refuses with 429 + Retry-After what it cannot pay', async () => {
    let clock = Date.UTC(2026, 2, 10, 9, 15)
    fake = await startFakeJira(seed({ now: () => clock, rateLimit: { points: 10 } }))
    // ENG has 4 issues: 1 + 4 = 5 points
    const first = await post(`${fake.url}/rest/api/3/search/jql`, {
      jql: 'project = ENG',
      fields: ['summary'],
    })
    expect(first.status).toBe(200)
    expect(first.headers.get('x-ratelimit-limit')).toBe('10')
    expect(first.headers.get('x-ratelimit-remaining')).toBe('5')
    // the hour's window resets on the hour
    expect(first.headers.get('x-ratelimit-reset')).toBe('2026-03-10T10:00:00.000Z')
    expect(first.headers.get('beta-ratelimit-policy')).toBe('"tenant-app-quota";q=10;w=3600')
    expect(first.headers.get('beta-ratelimit')).toBe('"tenant-app-quota";r=5;t=2700')
    // 1 point: 4 left, under a fifth? no (4 ≥ 2)
    const me = await fetch(`${fake.url}/rest/api/3/myself`, { headers: { authorization: AUTH } })
    expect(me.headers.get('x-ratelimit-remaining')).toBe('4')
    expect(me.headers.get('x-ratelimit-nearlimit')).toBeNull()
    // another 5-point search: only 4 left
    const refused = await post(`${fake.url}/rest/api/3/search/jql`, {
      jql: 'project = ENG',
      fields: ['summary'],
    })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('2700')
    expect(refused.headers.get('ratelimit-reason')).toBe('jira-quota-tenant-based')
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('4')
    expect(await refused.json()).toEqual({ errorMessages: ['Rate limit exceeded.'], errors: {} })
    expect(fake.rateLimit!.overBudget).toBe(1)
    // OPS (2 issues, 3 points) still fits: 1 left, near the limit
    const ops = await post(`${fake.url}/rest/api/3/search/jql`, { jql: 'project = OPS', fields: ['summary'] })
    expect(ops.status).toBe(200)
    expect(ops.headers.get('x-ratelimit-remaining')).toBe('1')
    expect(ops.headers.get('x-ratelimit-nearlimit')).toBe('true')
    // the next hour is a new budget
    clock = Date.UTC(2026, 2, 10, 10, 0)
    const again = await post(`${fake.url}/rest/api/3/search/jql`, {
      jql: 'project = ENG',
      fields: ['summary'],
    })
    expect(again.status).toBe(200)
    expect(again.headers.get('x-ratelimit-remaining')).toBe('5')
    expect(fake.rateLimit!.spent).toBe(5 + 1 + 3 + 5)
    expect([...fake.rateLimit!.spentByWindow.values()]).toEqual([9, 5])
  })

  it('the burst limit: per endpoint and method, a bucket of perSecond tokens, 429 jira-burst-based with Retry-After, honoured by the client', async () => {
    let clock = Date.UTC(2026, 2, 10, 9, 15)
    fake = await startFakeJira(seed({ now: () => clock, rateLimit: { burst: { perSecond: 2 } } }))
    const get = (path: string) => fetch(`${fake!.url}${path}`, { headers: { authorization: AUTH } })
    expect((await get('/rest/api/3/myself')).status).toBe(200)
    expect((await get('/rest/api/3/myself')).status).toBe(200)
    const refused = await get('/rest/api/3/myself')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('ratelimit-reason')).toBe('jira-burst-based')
    expect(refused.headers.get('retry-after')).toBe('1')
    // another endpoint has its own bucket; an issue key names the same endpoint as any other
    expect((await get('/rest/api/3/issue/ENG-1')).status).toBe(200)
    expect((await get('/rest/api/3/issue/ENG-2')).status).toBe(200)
    expect((await get('/rest/api/3/issue/ENG-3')).status).toBe(429)
    // no points quota: no quota headers
    expect(refused.headers.get('x-ratelimit-remaining')).toBeNull()
    // half a second refills one token
    clock += 500
    expect((await get('/rest/api/3/myself')).status).toBe(200)
    expect(fake.rateLimit!.overBurst).toBe(2)
    // the client waits out Retry-After and succeeds
    const waits: number[] = []
    const client = clientFor(fake.url, {
      sleep: async (ms) => {
        waits.push(ms)
        clock += ms
      },
    })
    expect((await client.myself()).displayName).toBe('Bot')
    expect(waits).toEqual([1000])
  })

  it('a sync against a small budget waits for each reset, is never refused, and stores every issue', async () => {
    // one clock for the site and the client: the client's waits move it
    let clock = Date.UTC(2026, 2, 10, 9, 15)
    const issues = Array.from({ length: 30 }, (_, n) => ({
      key: `ENG-${n + 1}`,
      summary: `issue ${n + 1}`,
      reporter: USERS.ivan.accountId,
      created: day(1 + (n % 20)),
    }))
    fake = await startFakeJira(
      seed({ projects: [{ key: 'ENG' }], issues, now: () => clock, rateLimit: { points: 31 } }),
    )
    const waits: number[] = []
    const client = clientFor(fake.url, {
      now: () => clock,
      sleep: async (ms) => {
        clock += ms
      },
      onWait: (w) => void waits.push(w.ms),
    })
    const bus = new MemoryBus()
    const result = await syncJira({
      client,
      bus,
      cursors: noCursors,
      durable: async () => {},
      config: jiraConfig({ projects: ['ENG'], teams: [], sync: { pageSize: 25, sprints: false } }),
      instance: fake.url,
      now: () => clock,
    })
    // myself, statuses, project, count: 1 point each; the first page of 25 costs 26: 1 of the
    // hour's 31 is left. The second page may cost 26 (1 + pageSize): rather than be refused, it
    // waits the 45 minutes to 10:00, and costs 6 (5 issues)
    expect(waits).toEqual([45 * 60_000])
    expect(fake.rateLimit!.overBudget).toBe(0)
    expect([...fake.rateLimit!.spentByWindow.values()]).toEqual([30, 6])
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([])
    expect(result.projects[0]!.issues).toBe(30)
    const keys = new Set(
      bus
        .messages(rawTopic('jira'))
        .map((m) => (JSON.parse(m.value.toString()) as { sourceId?: string }).sourceId),
    )
    expect([...keys].filter((k) => k?.startsWith('ENG-')).sort()).toEqual(issues.map((i) => i.key).sort())
  })
})
