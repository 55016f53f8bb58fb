import { configSchema, type RawEnvelope } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JiraClient } from '../src/client.ts'
import { JiraHttp } from '../src/http.ts'
import { ISSUE_FIELDS, mapJira } from '../src/index.ts'
import { seed } from './fixtures.ts'

/**
 * The client asks for what the portfolio needs and the fake answers as Jira Cloud does: REST v3
 * `fields.parent` ({id, key, self, fields: {summary, status, issuetype}}: the epic, since
 * Atlassian standardised parent/child on `parent` and deprecated the Epic Link field —
 * https://docs.adaptavist.com/sr4jc/latest/release-notes/breaking-changes/atlassian-epic-and-parent-fields-jira-rest-api-deprecation/),
 * and a legacy Epic Link custom field holding the epic's key when the client names it.
 */
let fake: FakeJira
beforeAll(async () => {
  fake = await startFakeJira(
    seed({
      issues: [
        {
          key: 'ENG-1',
          type: 'Epic',
          summary: 'Checkout v2',
          reporter: 'acc-ivan',
          created: '2026-03-01T09:00:00Z',
        },
        {
          key: 'ENG-2',
          type: 'Decision',
          summary: 'Adopt Kafka?',
          reporter: 'acc-ivan',
          parent: 'ENG-1',
          created: '2026-03-02T09:00:00Z',
        },
        {
          key: 'OPS-1',
          type: 'Decision',
          summary: 'Which region?',
          reporter: 'acc-olga',
          customFields: { customfield_10014: 'ENG-1' },
          created: '2026-03-03T09:00:00Z',
        },
      ],
    }),
  )
})
afterAll(async () => {
  await fake?.close()
})

const client = (extra: string[] = []) =>
  new JiraClient(
    new JiraHttp({
      baseUrl: fake.url,
      auth: {
        kind: 'basic',
        email: 'bot@example.com',
        token: 'api-token',
        describe: 'JIRA_EMAIL + JIRA_API_TOKEN',
      },
      backoff: { baseMs: 10, maxMs: 50 },
    }),
    'cloud',
    extra,
  )
const map = (payload: unknown, portfolio?: unknown) =>
  mapJira(
    {
      source: 'jira',
      entity: 'issue',
      sourceId: 'x',
      fetchedAt: '2026-03-10T00:00:00.000Z',
      payload,
    } as RawEnvelope,
    {
      config: configSchema.parse({ jira: { projects: ['ENG', 'OPS'] }, ...(portfolio ? { portfolio } : {}) }),
    },
  )

describe('Jira parent and Epic Link through the client and the fake', () => {
  it('the client requests parent; the fake renders it; the facts carry the epic', async () => {
    expect(ISSUE_FIELDS).toContain('parent')
    const issue = await client().issue('ENG-2')
    expect((issue.fields as Record<string, unknown>).parent).toMatchObject({ key: 'ENG-1' })
    const events = map(issue)
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) expect(e).toMatchObject({ project: 'ENG', epic: 'ENG-1' })
  })
  it('a legacy Epic Link field is read when configured (and requested)', async () => {
    const issue = await client(['customfield_10014']).issue('OPS-1')
    expect((issue.fields as Record<string, unknown>).customfield_10014).toBe('ENG-1')
    for (const e of map(issue, { jira: { epicLinkField: 'customfield_10014' } }))
      expect(e).toMatchObject({ project: 'OPS', epic: 'ENG-1' })
    // not requested: the fake (as Jira) leaves it out, and there is no epic
    const plain = await client().issue('OPS-1')
    for (const e of map(plain, { jira: { epicLinkField: 'customfield_10014' } }))
      expect(e).toMatchObject({ epic: '' })
  })
})
