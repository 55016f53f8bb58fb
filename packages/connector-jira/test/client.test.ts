import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseEnv } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildSyncJql,
  formatJqlDate,
  JiraAuthError,
  JiraConfigError,
  JiraNotFoundError,
  JiraRateLimitError,
  JiraRequestError,
  jiraConnectionFromEnv,
  parseRetryAfter,
  type RetryInfo,
} from '../src/index.ts'
import { clientFor, jiraConfig, seed } from './fixtures.ts'

let fake: FakeJira | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const collect = async (it: AsyncGenerator<{ issues: { key: string }[]; total?: number }>) => {
  const pages: string[][] = []
  let total: number | undefined
  for await (const p of it) {
    pages.push(p.issues.map((i) => i.key))
    total = p.total
  }
  return { pages, total }
}

describe('JiraClient search', () => {
  it('walks the enhanced JQL search by nextPageToken in updated, key order', async () => {
    fake = await startFakeJira(seed())
    const client = clientFor(fake.url)
    const { pages, total } = await collect(
      client.searchPages(buildSyncJql('ENG', { sinceMs: null, timeZone: 'UTC' }), {
        pageSize: 3,
        what: 'test',
      }),
    )
    expect(pages).toEqual([['ENG-1', 'ENG-2', 'ENG-3'], ['ENG-4']])
    expect(total).toBeUndefined()
    expect(fake.count('/rest/api/3/search/jql', 'POST')).toBe(2)
    expect(await client.approximateCount('project = "ENG"', 'test')).toBe(4)
  })

  it('completes changelogs beyond the 20 inline histories with one bulk request', async () => {
    fake = await startFakeJira(seed())
    for (let n = 0; n < 25; n++)
      fake.transition('ENG-1', n % 2 === 0 ? 'In Progress' : 'To Do', {
        by: 'acc-ivan',
        at: Date.UTC(2026, 2, 7, 0, n),
      })
    const client = clientFor(fake.url)
    const issues = []
    for await (const p of client.searchPages('project = ENG ORDER BY key ASC', {
      pageSize: 100,
      what: 'test',
    }))
      issues.push(...p.issues)
    expect(issues.find((i) => i.key === 'ENG-1')!.changelog!.histories).toHaveLength(20)
    expect(await client.completeChangelogs(issues, 'bulk')).toBe(1)
    const histories = issues.find((i) => i.key === 'ENG-1')!.changelog!.histories
    expect(histories).toHaveLength(25)
    // oldest first
    expect(histories.map((h) => h.created)).toEqual([...histories.map((h) => h.created)].sort())
    expect(fake.count('/rest/api/3/changelog/bulkfetch')).toBe(1)
    // the bulk endpoint sends `created` as epoch ms (its published example); read, it is the
    // string form of the same instant, as `expand=changelog` gives it
    expect(histories.map((h) => Date.parse(h.created))).toEqual(
      Array.from({ length: 25 }, (_, n) => Date.UTC(2026, 2, 7, 0, n)),
    )
  })

  it('can page a changelog per issue instead', async () => {
    fake = await startFakeJira(seed())
    for (let n = 0; n < 130; n++)
      fake.transition('ENG-2', n % 2 === 0 ? 'In Progress' : 'To Do', {
        by: 'acc-ivan',
        at: Date.UTC(2026, 2, 7, 0, n),
      })
    const client = clientFor(fake.url)
    expect(await client.issueChangelog('ENG-2')).toHaveLength(130)
    expect(fake.count('/rest/api/3/issue/ENG-2/changelog')).toBe(2)
  })

  it('speaks Data Center v2: bearer PAT, /rest/api/2/search with startAt and totals', async () => {
    fake = await startFakeJira(seed({ flavor: 'datacenter' }))
    const client = clientFor(fake.url, {}, 'datacenter')
    const { pages, total } = await collect(
      client.searchPages('project = OPS ORDER BY updated ASC, key ASC', { pageSize: 1, what: 'test' }),
    )
    expect(pages).toEqual([['OPS-1'], ['OPS-2']])
    expect(total).toBe(2)
    expect(fake.count('/rest/api/2/search')).toBe(2)
    expect(await client.approximateCount('project = OPS', 'test')).toBeNull()
  })
})

describe('rate limits and faults', () => {
  it('waits out Retry-After on 429 (measured) and then succeeds', async () => {
    fake = await startFakeJira(seed())
    const retries: RetryInfo[] = []
    const client = clientFor(fake.url, { onRetry: (r) => retries.push(r) })
    fake.failNext(1, { status: 429, retryAfter: 1 })
    const started = Date.now()
    const me = await client.myself()
    const waited = Date.now() - started
    expect(me.displayName).toBe('Bot')
    expect(waited).toBeGreaterThanOrEqual(1000)
    expect(retries).toEqual([
      {
        method: 'GET',
        path: '/rest/api/3/myself',
        status: 429,
        attempt: 1,
        waitMs: 1000,
        retryAfterMs: 1000,
      },
    ])
    const myself = fake.requests.filter((r) => r.path === '/rest/api/3/myself')
    expect(myself.map((r) => r.status)).toEqual([429, 200])
    expect(myself[1]!.at - myself[0]!.at).toBeGreaterThanOrEqual(1000)
  })

  it('backs off exponentially with jitter on 503 without Retry-After, a bounded number of times', async () => {
    fake = await startFakeJira(seed())
    const waits: number[] = []
    const client = clientFor(fake.url, {
      maxRetries: 3,
      backoff: { baseMs: 100, maxMs: 1000 },
      sleep: async (ms) => void waits.push(ms),
    })
    fake.failNext(10, { status: 503 })
    await expect(client.myself()).rejects.toThrow(JiraRateLimitError)
    await expect(client.myself()).rejects.toThrow(
      /checking the Jira credentials: Jira at http:\/\/127\.0\.0\.1:\d+ still answered 503 after 4 attempts: Service unavailable\./,
    )
    expect(fake.count('/rest/api/3/myself')).toBe(8)
    // attempt n waits within [base·2^n / 2, base·2^n]
    for (const [i, w] of waits.slice(0, 3).entries()) {
      expect(w).toBeGreaterThanOrEqual(50 * 2 ** i)
      expect(w).toBeLessThanOrEqual(100 * 2 ** i)
    }
  })

  it('holds the next request while X-RateLimit-Remaining is 0, until X-RateLimit-Reset', async () => {
    const reset = new Date(Date.now() + 5_000).toISOString()
    const server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': reset,
      })
      res.end('{"accountId":"a","displayName":"Bot"}')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const waits: number[] = []
      const client = clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        sleep: async (ms) => void waits.push(ms),
      })
      await client.http.request('GET', '/rest/api/3/myself', { what: 'first' })
      expect(waits).toEqual([])
      await client.http.request('GET', '/rest/api/3/myself', { what: 'second' })
      expect(waits).toHaveLength(1)
      expect(waits[0]).toBeGreaterThan(3_000)
      expect(waits[0]).toBeLessThanOrEqual(5_000)
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000)
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000)
    expect(parseRetryAfter('soon')).toBeNull()
    expect(parseRetryAfter(null)).toBeNull()
  })

  it('says which credential was rejected on 401', async () => {
    fake = await startFakeJira(seed({ credentials: { email: 'bot@example.com', token: 'another-token' } }))
    const err = await clientFor(fake.url)
      .myself()
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(JiraAuthError)
    expect((err as Error).message).toBe(
      `checking the Jira credentials: Jira at ${fake.url} rejected the credentials from JIRA_EMAIL + JIRA_API_TOKEN (401: You are not authenticated. Authentication required to perform this operation.); check that the token is valid, not expired, and belongs to that account`,
    )
  })

  it('says which project is missing on 404', async () => {
    fake = await startFakeJira(seed())
    const err = await clientFor(fake.url)
      .project('NOPE')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(JiraNotFoundError)
    expect((err as Error).message).toBe(
      `reading Jira project NOPE: not found on ${fake.url} (404: No project could be found with key 'NOPE'.); check the key, and that the account from JIRA_EMAIL + JIRA_API_TOKEN can see it`,
    )
  })

  it('the fake answers the retired /rest/api/3/search with 410, as Cloud does', async () => {
    fake = await startFakeJira(seed())
    const err = await clientFor(fake.url)
      .http.request('GET', '/rest/api/3/search', { query: { jql: 'project = ENG' }, what: 'legacy search' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(JiraRequestError)
    expect((err as JiraRequestError).status).toBe(410)
  })
})

describe('JQL and configuration', () => {
  it('formats the cursor in the searching user time zone, floored to the minute', () => {
    const ms = Date.UTC(2026, 2, 10, 14, 5, 59)
    expect(formatJqlDate(ms, 'UTC')).toBe('2026/03/10 14:05')
    expect(formatJqlDate(ms, 'America/New_York')).toBe('2026/03/10 10:05')
    expect(
      buildSyncJql('ENG', { sinceMs: ms, timeZone: 'Europe/Berlin', extra: 'issuetype != Sub-task' }),
    ).toBe(
      'project = "ENG" AND updated >= "2026/03/10 15:05" AND (issuetype != Sub-task) ORDER BY updated ASC, key ASC',
    )
  })

  it('finds issues updated after a local-time cursor when the user is not in UTC', async () => {
    fake = await startFakeJira(seed({ timeZone: 'America/New_York' }))
    const client = clientFor(fake.url)
    const since = Date.UTC(2026, 2, 4, 9, 0)
    const jql = buildSyncJql('ENG', { sinceMs: since, timeZone: (await client.myself()).timeZone ?? 'UTC' })
    const { pages } = await collect(client.searchPages(jql, { pageSize: 50, what: 'test' }))
    expect(pages.flat()).toEqual(['ENG-3', 'ENG-4'])
  })

  it('names the missing environment variables', () => {
    expect(() => jiraConnectionFromEnv(jiraConfig(), parseEnv({}))).toThrow(
      new JiraConfigError(
        'no Jira URL: set jira.baseUrl in orgpulse.yaml or the JIRA_BASE_URL environment variable',
      ),
    )
    expect(() =>
      jiraConnectionFromEnv(
        jiraConfig(),
        parseEnv({
          JIRA_BASE_URL: 'https://acme.atlassian.net',
          JIRA_EMAIL: 'a@b.c',
        }),
      ),
    ).toThrow(/set JIRA_API_TOKEN \(basic auth/)
    expect(() =>
      jiraConnectionFromEnv(
        jiraConfig({ deployment: 'datacenter', baseUrl: 'https://jira.acme.test' }),
        parseEnv({}),
      ),
    ).toThrow(/set JIRA_PAT \(sent as a bearer token\)/)
    expect(
      jiraConnectionFromEnv(
        jiraConfig({
          auth: { patEnv: 'MY_PAT' },
          deployment: 'datacenter',
          baseUrl: 'https://jira.acme.test',
        }),
        parseEnv({ MY_PAT: 'x' }),
      ).auth,
    ).toEqual({
      kind: 'bearer',
      token: 'x',
      describe: 'MY_PAT',
    })
  })
})
