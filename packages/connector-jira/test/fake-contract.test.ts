import { type FakeJira, startFakeJira, type WebhookPayload } from '@orgpulse/fakes/jira'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { seed } from './fixtures.ts'

/**
 * The fake Jira (Cloud) against Jira's published schema: jira.js 6.2.0 (pinned) ships zod
 * schemas generated from Atlassian's OpenAPI document of the Cloud platform REST API v3
 * (https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json); no npm package ships
 * the document itself. With AUDIT_SCHEMAS=true, set before jira.js is loaded, those schemas are
 * strict: a field the document does not name fails too, so the fake cannot invent fields.
 *
 * What the document leaves open is checked where it can be: issue `fields` are a free-form map
 * in it, so the fields the connector reads are checked one by one against their own schemas
 * (status, issuelinks, users); Jira's webhook payloads are not in the document at all
 * (https://developer.atlassian.com/cloud/jira/platform/webhooks/ describes them in prose), so a
 * payload's `issue`, `user` and changelog items are checked against the REST shapes they embed,
 * and the issuelink_* body (`issueLink.{id, sourceIssueId, destinationIssueId, issueLinkType}`)
 * against nothing published.
 *
 * One documented contradiction: the bulk changelog's `created` is `date-time` in the schema and
 * an epoch number in the endpoint's example; the fake sends the number (what Jira sends), which
 * jira.js reads with `z.coerce.date()`.
 */

process.env.AUDIT_SCHEMAS = 'true'
type Schemas = typeof import('jira.js/cloud')
let J: Schemas
let fake: FakeJira
let link: { issueLink: WebhookPayload; blocker: WebhookPayload }
let transition: WebhookPayload

const auth = `Basic ${Buffer.from('bot@example.com:api-token').toString('base64')}`
async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  expect(res.status, `${method} ${path}`).toBe(200)
  return res.json()
}

/** parses strictly, failing with the paths zod names */
function conforms(schema: z.ZodType, value: unknown, what: string): void {
  const r = schema.safeParse(value)
  expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), what).toEqual([])
}

const FIELDS = [
  'summary',
  'issuetype',
  'project',
  'status',
  'labels',
  'components',
  'reporter',
  'creator',
  'assignee',
  'created',
  'updated',
  'issuelinks',
  'resolution',
]

/** the issue fields the connector reads, each against its schema */
function fieldsConform(fields: Record<string, unknown>, what: string): void {
  conforms(J.StatusDetailsSchema, fields.status, `${what} status`)
  for (const u of ['reporter', 'creator', 'assignee'])
    if (fields[u] !== null && fields[u] !== undefined)
      conforms(J.UserDetailsSchema, fields[u], `${what} ${u}`)
  for (const l of (fields.issuelinks as unknown[] | undefined) ?? [])
    conforms(J.IssueLinkSchema, l, `${what} issuelink`)
}

beforeAll(async () => {
  J = await import('jira.js/cloud')
  fake = await startFakeJira(seed())
  for (let n = 0; n < 22; n++)
    fake.transition('ENG-1', n % 2 === 0 ? 'In Progress' : 'To Do', {
      by: 'acc-ivan',
      at: Date.UTC(2026, 2, 7, 0, n),
    })
  link = fake.link('OPS-1', 'ENG-2', { by: 'acc-olga', at: Date.UTC(2026, 2, 8) })
  transition = fake.transition('ENG-2', 'In Progress', { by: 'acc-ivan', at: Date.UTC(2026, 2, 9) })
})
afterAll(async () => {
  await fake?.close()
})

describe("the fake Jira's responses against Jira's published OpenAPI schemas (jira.js 6.2.0)", () => {
  it('the schemas are strict here: a field the document does not name fails', () => {
    expect(J.ChangeDetailsSchema.safeParse({ field: 'status', invented: true }).success).toBe(false)
  })

  it('POST /rest/api/3/search/jql: SearchAndReconcileResults, each issue an Issue', async () => {
    const page = (await call('POST', '/rest/api/3/search/jql', {
      jql: 'project = ENG ORDER BY key ASC',
      maxResults: 2,
      fields: FIELDS,
      expand: 'changelog',
    })) as { issues: { fields: Record<string, unknown> }[]; nextPageToken?: string }
    conforms(J.SearchAndReconcileResultsSchema, page, 'search page')
    expect(page.nextPageToken).toBeTypeOf('string')
    for (const i of page.issues) fieldsConform(i.fields, 'searched issue')
  })

  it('POST /rest/api/3/search/approximate-count: JQLCountResults', async () => {
    conforms(
      J.JQLCountResultsSchema,
      await call('POST', '/rest/api/3/search/approximate-count', { jql: 'project = ENG' }),
      'count',
    )
  })

  it('GET /rest/api/3/issue/{key}?expand=changelog: Issue', async () => {
    const issue = (await call(
      'GET',
      `/rest/api/3/issue/ENG-2?fields=${FIELDS.join(',')}&expand=changelog`,
    )) as {
      fields: Record<string, unknown>
    }
    conforms(J.IssueSchema, issue, 'issue')
    fieldsConform(issue.fields, 'issue')
  })

  it('POST /rest/api/3/changelog/bulkfetch: BulkChangelogResponse, `created` as epoch ms', async () => {
    const body = (await call('POST', '/rest/api/3/changelog/bulkfetch', {
      issueIdsOrKeys: ['ENG-1'],
      maxResults: 10,
    })) as { issueChangeLogs: { changeHistories: { created: unknown }[] }[]; nextPageToken?: string }
    conforms(J.BulkChangelogResponseSchema, body, 'bulk changelog')
    expect(body.nextPageToken).toBeTypeOf('string')
    expect(body.issueChangeLogs[0]!.changeHistories[0]!.created).toBe(Date.UTC(2026, 2, 7, 0, 0))
  })

  it('GET /rest/api/3/issue/{key}/changelog: PageChangelog', async () => {
    conforms(
      J.PageChangelogSchema,
      await call('GET', '/rest/api/3/issue/ENG-1/changelog?startAt=0&maxResults=10'),
      'changelog page',
    )
  })

  it('GET /rest/api/3/issueLinkType: IssueLinkTypes; GET /rest/api/3/status: StatusDetails[]', async () => {
    conforms(J.IssueLinkTypesSchema, await call('GET', '/rest/api/3/issueLinkType'), 'link types')
    for (const s of (await call('GET', '/rest/api/3/status')) as unknown[])
      conforms(J.StatusDetailsSchema, s, 'status')
  })

  it('webhook payloads: the issue, user and changelog items they embed in the REST shapes (the payloads themselves are not in the document)', () => {
    for (const hook of [transition, link.blocker]) {
      const { issue, user, changelog } = hook as unknown as {
        issue: { fields: Record<string, unknown> }
        user: unknown
        changelog: { id: string; items: unknown[] }
      }
      conforms(J.IssueSchema, issue, `${hook.webhookEvent} issue`)
      fieldsConform(issue.fields, `${hook.webhookEvent} issue`)
      conforms(J.UserDetailsSchema, user, `${hook.webhookEvent} user`)
      for (const item of changelog.items) conforms(J.ChangeDetailsSchema, item, `${hook.webhookEvent} item`)
    }
    // issuelink_*: ids only, as the webhook page lists them; no published schema to hold it to
    expect(Object.keys(link.issueLink).sort()).toEqual(['issueLink', 'timestamp', 'webhookEvent'])
    expect(Object.keys(link.issueLink.issueLink as object).sort()).toEqual(
      ['destinationIssueId', 'id', 'issueLinkType', 'sequence', 'sourceIssueId', 'systemLink'].sort(),
    )
  })
})
