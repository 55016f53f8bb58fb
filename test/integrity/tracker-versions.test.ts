import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { configSchema, type RawEnvelope } from '@orgpulse/contracts'
import { publishRaw } from '@orgpulse/kafka'
import { computeOrgMetrics, evaluate, type MetricValues } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { describe, expect, it } from 'vitest'
import { jiraStatusItem } from '../../services/transformer/test/fixtures.ts'
import { inCommand } from '../setup/embedded-pipeline.ts'

/**
 * Tracker items that stop being decisions, read by several commands into one data directory and
 * replayed out of order. Jira payloads follow the REST v3 issue shape with `expand=changelog`
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get:
 * fields.labels, fields.updated, changelog.histories[{id, author, created, items[{field,
 * fieldtype, from, fromString, to, toString}]}]) and the `jira:issue_updated` webhook body
 * (https://developer.atlassian.com/server/jira/platform/webhooks/: timestamp, webhookEvent, user,
 * issue, changelog {id, items}); Linear's the Issue node of its GraphQL schema (labels, history
 * with addedLabels/removedLabels, updatedAt).
 */
const config = configSchema.parse({ jira: { projects: ['ENG'] }, linear: { teams: {} } })
const work = mkdtempSync(join(tmpdir(), 'orgpulse-trackers-'))
const ORG = `email,name,manager_email,title
carol@acme.test,Carol,,Director
bob@acme.test,Bob,carol@acme.test,EM
dan@acme.test,Dan,carol@acme.test,EM
alice@acme.test,Alice,bob@acme.test,Engineer
`
const users = {
  alice: { accountId: 'acc-alice', displayName: 'Alice', emailAddress: 'alice@acme.test' },
  bob: { accountId: 'acc-bob', displayName: 'Bob', emailAddress: 'bob@acme.test' },
  carol: { accountId: 'acc-carol', displayName: 'Carol', emailAddress: 'carol@acme.test' },
}
const STATUS = {
  todo: { id: '10000', name: 'To Do', statusCategory: { key: 'new' } },
  decided: { id: '10003', name: 'Decided', statusCategory: { key: 'done' } },
}
const jiraTime = (iso: string) => iso.replace('Z', '+0000')
const labels = (from: string, to: string) => ({
  field: 'labels',
  fieldtype: 'jira',
  fieldId: 'labels',
  from: null,
  fromString: from,
  to: null,
  toString: to,
})
/** one status change item of a changelog history (the mapper tests' shared builder) */
const status = jiraStatusItem
type History = { id: string; author: typeof users.alice; created: string; items: object[] }

/** ENG-7 as a read with its full changelog after `histories` */
function jiraRead(histories: History[], now: { labels: string[]; status: typeof STATUS.todo }): RawEnvelope {
  return {
    source: 'jira',
    entity: 'issue',
    sourceId: 'ENG-7',
    fetchedAt: new Date().toISOString(),
    meta: { statusCategories: { '10000': 'new', '10003': 'done' } },
    payload: {
      id: '10007',
      key: 'ENG-7',
      fields: {
        summary: 'Pick a queue',
        issuetype: { id: '1', name: 'Task' },
        project: { key: 'ENG' },
        status: now.status,
        labels: now.labels,
        reporter: users.alice,
        creator: users.alice,
        assignee: null,
        created: jiraTime('2026-07-01T09:00:00.000Z'),
        updated: jiraTime(histories.at(-1)?.created ?? '2026-07-01T09:00:00.000Z'),
        issuelinks: [],
      },
      changelog: {
        startAt: 0,
        maxResults: histories.length,
        total: histories.length,
        histories: histories.map((h) => ({ ...h, created: jiraTime(h.created) })),
      },
    },
  }
}
function jiraHook(h: History, now: { labels: string[]; status: typeof STATUS.todo }): RawEnvelope {
  const read = jiraRead([h], now).payload as { fields: object }
  return {
    source: 'jira',
    entity: 'webhook',
    sourceId: 'ENG-7',
    fetchedAt: new Date().toISOString(),
    meta: { deliveryId: h.id },
    payload: {
      timestamp: Date.parse(h.created) + 4,
      webhookEvent: 'jira:issue_updated',
      user: h.author,
      issue: { id: '10007', key: 'ENG-7', fields: read.fields },
      changelog: { id: h.id, items: h.items },
    },
  }
}

// created 07-01 with label decision; label escalated 07-02; decided by carol 07-03; label removed 07-10
const h1: History = {
  id: '1',
  author: users.bob,
  created: '2026-07-02T09:00:00.000Z',
  items: [labels('decision', 'decision escalated')],
}
const h2: History = {
  id: '2',
  author: users.carol,
  created: '2026-07-03T09:00:00.000Z',
  items: [status(STATUS.todo, STATUS.decided)],
}
const h3: History = {
  id: '3',
  author: users.bob,
  created: '2026-07-10T09:00:00.000Z',
  items: [labels('decision escalated', 'backend')],
}
const decidedRead = jiraRead([h1, h2], { labels: ['decision', 'escalated'], status: STATUS.decided })
const unlabelledRead = jiraRead([h1, h2, h3], { labels: ['backend'], status: STATUS.decided })

async function dataDirWithOrg(name: string): Promise<string> {
  const dataDir = join(work, name)
  const file = join(work, 'org.csv')
  writeFileSync(file, ORG)
  await inCommand(config, dataDir, (p) => importOrg({ client: p.client, file, effective: '2026-01-01' }))
  return dataDir
}
/** one command publishing these envelopes (as `ingest jira` or a webhook would) */
const send = (dataDir: string, ...envelopes: RawEnvelope[]) =>
  inCommand(config, dataDir, (p) => publishRaw(p.bus, envelopes))
const metrics = (dataDir: string) =>
  inCommand(config, dataDir, async (p) => {
    const r = await computeOrgMetrics(p.client, config, {
      director: 'carol@acme.test',
      from: '2026-07-01',
      to: '2026-08-01',
    })
    // the SQL's own figures, before the minimum sample: one decision is too few for a ratio
    const window = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-08-01T00:00:00Z') }
    const raw: MetricValues =
      (await evaluate(p.client, config, ['u:carol@acme.test'], [window]))
        .get('u:carol@acme.test')
        ?.get('2026-07-01 00:00:00.000') ?? {}
    return { ...r.metrics, raw, withheld: r.withheld }
  })

describe('a tracker item that stops being a decision', () => {
  it('Jira: decided by the director, then its label removed: no decision counts any more', async () => {
    const dir = await dataDirWithOrg('jira-read')
    await send(dir, decidedRead)
    // hand-computed: raised 07-01 09:00, decided 07-03 09:00 by the director: 48 h, escalated
    expect(await metrics(dir)).toMatchObject({
      decisions_decided: 1,
      raw: { decision_latency_p50_hours: 48, escalation_rate: 1, centralization: 1 },
      escalation_rate: null,
      withheld: { escalation_rate: 'too_few: n = 1 decisions decided (minimum 3)' },
    })
    await send(dir, unlabelledRead)
    expect(await metrics(dir)).toMatchObject({
      decisions_decided: 0,
      decisions_open: 0,
      escalation_rate: null,
      centralization: null,
      decision_latency_p50_hours: null,
    })
    // the older read replayed later (a raw replay, a slow poll) changes nothing
    await send(dir, decidedRead)
    expect(await metrics(dir)).toMatchObject({ decisions_decided: 0, decisions_open: 0 })
  })

  it('Jira: the label removed by a webhook, then added back by another', async () => {
    const dir = await dataDirWithOrg('jira-hooks')
    await send(dir, decidedRead)
    await send(dir, jiraHook(h3, { labels: ['backend'], status: STATUS.decided }))
    expect(await metrics(dir)).toMatchObject({ decisions_decided: 0, decisions_open: 0 })
    // labelled again on 07-20: a new decision raised then, open at the end of the window; the
    // old escalation and call stay retired
    const h4: History = {
      id: '4',
      author: users.bob,
      created: '2026-07-20T09:00:00.000Z',
      items: [labels('backend', 'backend decision')],
    }
    await send(dir, jiraHook(h4, { labels: ['backend', 'decision'], status: STATUS.decided }))
    const m = await metrics(dir)
    expect(m).toMatchObject({ decisions_decided: 0, decisions_open: 1 })
    expect(m.raw.decision_open_age_p50_days).toBeCloseTo(12 - 9 / 24, 9)
    expect(m.withheld.decision_open_age_p50_days).toBe('too_few: n = 1 open decisions (minimum 3)')
  })

  it('Linear: a label-only decision read after the label was removed counts nowhere', async () => {
    const dir = await dataDirWithOrg('linear')
    const node = (withLabel: boolean, updatedAt: string) => ({
      source: 'linear' as const,
      entity: 'issue',
      sourceId: 'lin-1',
      fetchedAt: new Date().toISOString(),
      payload: {
        id: 'lin-1',
        identifier: 'ENG-1',
        title: 'Pick a cache',
        createdAt: '2026-07-01T09:00:00.000Z',
        updatedAt,
        team: { id: 't1', key: 'ENG' },
        state: { id: 's-todo', name: 'Todo', type: 'unstarted' },
        creator: { id: 'u-alice', email: 'alice@acme.test', name: 'Alice' },
        assignee: null,
        labels: { nodes: withLabel ? [{ id: 'l-d', name: 'decision' }] : [] },
        history: {
          nodes: withLabel
            ? []
            : [
                {
                  id: 'h-1',
                  createdAt: updatedAt,
                  actor: { id: 'u-bob', email: 'bob@acme.test' },
                  removedLabels: [{ id: 'l-d', name: 'decision' }],
                },
              ],
        },
        relations: { nodes: [] },
      },
    })
    await send(dir, node(true, '2026-07-01T09:00:00.000Z'))
    expect(await metrics(dir)).toMatchObject({ decisions_open: 1 })
    await send(dir, node(false, '2026-07-05T09:00:00.000Z'))
    expect(await metrics(dir)).toMatchObject({ decisions_open: 0, decisions_decided: 0 })
    await send(dir, node(true, '2026-07-01T09:00:00.000Z'))
    expect(await metrics(dir)).toMatchObject({ decisions_open: 0 })
  })

  it("Linear: a cycle's scope changed after a re-sync, then the older read replayed: the newest read stands", async () => {
    const dir = await dataDirWithOrg('cycles')
    // Linear's Cycle node: daily scope histories from the start (GraphQL schema: scopeHistory,
    // completedScopeHistory, issueCountHistory, completedIssueCountHistory)
    const cycle = (fetchedAt: string, scope: number[], done: number[]) => ({
      source: 'linear' as const,
      entity: 'cycle',
      sourceId: 'cyc-1',
      fetchedAt,
      payload: {
        id: 'cyc-1',
        number: 7,
        name: 'Cycle 7',
        startsAt: '2026-07-06T00:00:00.000Z',
        endsAt: '2026-07-20T00:00:00.000Z',
        completedAt: '2026-07-20T00:00:00.000Z',
        scopeHistory: scope,
        completedScopeHistory: done,
        issueCountHistory: scope,
        completedIssueCountHistory: done,
        team: { id: 't1', key: 'ENG' },
      },
    })
    const first = cycle('2026-07-21T00:00:00.000Z', [10, 10, 12], [0, 3, 6])
    const resynced = cycle('2026-07-22T00:00:00.000Z', [10, 11, 15], [0, 4, 9])
    await send(dir, first)
    await send(dir, resynced)
    await send(dir, first)
    const rows = await inCommand(config, dir, (p) =>
      queryRows(p.client, 'SELECT cycle_id, committed, completed, added FROM cycles FINAL'),
    )
    expect(rows).toEqual([{ cycle_id: 'linear:cyc-1', committed: 10, completed: 9, added: 5 }])
  })
})
