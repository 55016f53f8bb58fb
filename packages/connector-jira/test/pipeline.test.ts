import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  CursorStore,
  createClickHouse,
  migrate,
  queryRows,
} from '@orgpulse/clickhouse'
import {
  configSchema,
  eventId,
  type JiraConfig,
  type OrgpulseConfig,
  rawTopic,
  TOPIC_SPECS,
} from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import {
  type Bus,
  type BusMessage,
  MemoryBus,
  publishRaw,
  type Subscription,
  waitUntilCaughtUp,
  waitUntilWritten,
} from '@orgpulse/kafka'
import { importOrg, unresolvedIdentities } from '@orgpulse/org'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import { cursorScope, JIRA_CONNECTOR, jiraWebhookRoutes, type SyncOptions, syncJira } from '../src/index.ts'
import { clientFor, jiraConfig, seed, tempDir, USERS } from './fixtures.ts'

/**
 * The connector end to end in embedded mode: fake Jira → syncJira / webhooks → MemoryBus →
 * transformer (mapJira) → sink → chDB. The tests build one story in order (a shared Jira):
 * full sync, an incremental change, a webhook + poll of one change, a decision's lifecycle,
 * a link made and removed, a deletion, an unknown user.
 */

const dir = tempDir('jira-pipeline')
const SECRET = 'webhook-secret'
let client: ClickHouseClient
let bus: MemoryBus
let subs: Subscription[] = []
let fake: FakeJira
let app: FastifyInstance
let hookUrl: string
let config: OrgpulseConfig
let jira: JiraConfig
let cursors: CursorStore

const flush = () => waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS))
const rawCount = () => bus.messages(rawTopic('jira')).length

/** the bus, recording the keys published through it in order */
function recording(inner: Bus): { bus: Bus; keys: string[] } {
  const keys: string[] = []
  const wrapped: Bus = Object.assign(Object.create(inner) as Bus, {
    publish: async (topic: string, messages: BusMessage[]) => {
      await inner.publish(topic, messages)
      keys.push(...messages.map((m) => m.key ?? ''))
    },
  })
  return { bus: wrapped, keys }
}

async function sync(overrides: Partial<SyncOptions> = {}) {
  const rec = recording(bus)
  const result = await syncJira({
    client: clientFor(fake.url),
    bus: rec.bus,
    cursors,
    // as in embedded mode: a cursor moves once the pipeline has written what it covers
    durable: () => waitUntilWritten(bus, Object.values(STAGE_GROUPS)),
    config: jira,
    instance: fake.url,
    ...overrides,
  })
  await flush()
  return { result, published: rec.keys }
}

const rows = <T>(sql: string, params: Record<string, unknown> = {}) => queryRows<T>(client, sql, params)

const HR = `email,name,manager_email,title
dana@acme.test,Dana Director,,Director of Engineering
erin@acme.test,Erin Eng Lead,dana@acme.test,Engineering Manager
olga@acme.test,Olga Ops Lead,dana@acme.test,Operations Manager
ivan@acme.test,Ivan IC,erin@acme.test,Engineer
`

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  const hr = join(dir, 'hr.csv')
  writeFileSync(hr, HR)
  await importOrg({ client, file: hr, effective: '2026-01-01' })
  jira = jiraConfig()
  config = configSchema.parse({ jira })
  bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs = [await startTransformer(bus, config), await startSink(bus, client), await startDlqSink(bus, client)]
  cursors = new CursorStore(client)
  fake = await startFakeJira(seed())
  app = Fastify()
  await app.register(jiraWebhookRoutes, {
    secret: SECRET,
    instance: fake.url,
    client: clientFor(fake.url),
    publish: async (envelopes) => {
      await publishRaw(bus, envelopes)
    },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/webhooks/jira`
}, 180_000)

afterAll(async () => {
  await app?.close()
  for (const s of subs) await s.stop()
  await bus?.close()
  await fake?.close()
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('Jira connector, embedded pipeline', () => {
  it('full sync: every issue once, creation facts in ClickHouse, cursors at the newest update', async () => {
    const { result, published } = await sync()
    expect(result.projects.map((p) => [p.project, p.mode, p.reason, p.issues])).toEqual([
      ['ENG', 'full', 'no cursor yet', 4],
      ['OPS', 'full', 'no cursor yet', 2],
    ])
    // each project's issues, then its coverage record
    expect(published).toEqual([
      'ENG-1',
      'ENG-2',
      'ENG-3',
      'ENG-4',
      'synced:project:ENG',
      'OPS-1',
      'OPS-2',
      'synced:project:OPS',
    ])
    // stored with the teams the projects map to: the dependency and planning metrics' coverage
    expect(
      await rows(
        'SELECT scope_kind, scope_id, teams, covered_from FROM source_coverage FINAL ORDER BY scope_id',
      ),
    ).toEqual([
      { scope_kind: 'project', scope_id: 'ENG', teams: ['u:erin@acme.test'], covered_from: null },
      { scope_kind: 'project', scope_id: 'OPS', teams: ['u:olga@acme.test'], covered_from: null },
    ])
    const work = await rows<{ item_id: string; to_status: string; category: string; team: string }>(
      'SELECT item_id, to_status, category, team FROM workitem_events FINAL ORDER BY item_id',
    )
    expect(work).toEqual([
      { item_id: 'jira:ENG-1', to_status: 'To Do', category: 'todo', team: 'u:erin@acme.test' },
      { item_id: 'jira:ENG-2', to_status: 'To Do', category: 'todo', team: 'u:erin@acme.test' },
      { item_id: 'jira:ENG-3', to_status: 'To Do', category: 'todo', team: 'u:erin@acme.test' },
      { item_id: 'jira:ENG-4', to_status: 'To Do', category: 'todo', team: 'u:erin@acme.test' },
      { item_id: 'jira:OPS-1', to_status: 'To Do', category: 'todo', team: 'u:olga@acme.test' },
      { item_id: 'jira:OPS-2', to_status: 'To Do', category: 'todo', team: 'u:olga@acme.test' },
    ])
    // ENG-3 has the Decision issue type: raised at creation by its reporter
    expect(await rows('SELECT type, decision_id, raised_by, occurred_at FROM decision_events FINAL')).toEqual(
      [
        {
          type: 'decision.raised',
          decision_id: 'jira:ENG-3',
          raised_by: 'ivan@acme.test',
          occurred_at: '2026-03-04 09:00:00.000',
        },
      ],
    )
    expect((await cursors.get(JIRA_CONNECTOR, cursorScope(fake.url, 'ENG')))?.cursor).toBe(
      '2026-03-05T09:00:00.000Z',
    )
    expect((await cursors.get(JIRA_CONNECTOR, cursorScope(fake.url, 'OPS')))?.cursor).toBe(
      '2026-03-06T09:00:00.000Z',
    )
  })

  it('incremental sync picks up only the changes (plus the lag-window overlap, deduplicated)', async () => {
    fake.transition('ENG-2', 'In Progress', { by: USERS.ivan.accountId, at: Date.UTC(2026, 2, 9, 10) })
    const { result, published } = await sync()
    expect(result.projects.map((p) => [p.project, p.mode, p.issues])).toEqual([
      ['ENG', 'incremental', 2],
      ['OPS', 'incremental', 1],
    ])
    expect(result.projects[0]!.jql).toBe(
      'project = "ENG" AND updated >= "2026/03/05 08:45" ORDER BY updated ASC, key ASC',
    )
    // ENG-4 and OPS-2 sit inside the 15-minute lag window of their cursors; ENG-2 changed
    expect(published).toEqual(['ENG-4', 'ENG-2', 'synced:project:ENG', 'OPS-2', 'synced:project:OPS'])
    expect(await rows('SELECT toInt32(count()) AS n FROM workitem_events FINAL')).toEqual([{ n: 7 }])
    expect(
      await rows(
        "SELECT from_status, to_status, category, actor FROM workitem_events FINAL WHERE item_id = 'jira:ENG-2' AND from_status != ''",
      ),
    ).toEqual([
      { from_status: 'To Do', to_status: 'In Progress', category: 'in_progress', actor: 'ivan@acme.test' },
    ])
    expect((await cursors.get(JIRA_CONNECTOR, cursorScope(fake.url, 'ENG')))?.cursor).toBe(
      '2026-03-09T10:00:00.000Z',
    )
  })

  it('a webhook and a later poll of the same change make one row; a retried delivery publishes nothing', async () => {
    const hook = fake.transition('ENG-1', 'Needs Decision', {
      by: USERS.ivan.accountId,
      at: Date.UTC(2026, 2, 10, 9),
    })
    const historyId = String((hook.changelog as { id: string }).id)
    const first = await fake.deliver(hookUrl, hook, { secret: SECRET, deliveryId: 'delivery-1' })
    expect(first.status).toBe(202)
    const afterFirst = rawCount()
    const retried = await fake.deliver(hookUrl, hook, { secret: SECRET, deliveryId: 'delivery-1' })
    expect(retried.status).toBe(200)
    expect(await retried.json()).toEqual({ duplicate: true, deliveryId: 'delivery-1' })
    expect(rawCount()).toBe(afterFirst)
    await flush()
    const statusId = eventId('jira', `issue:${10000}`, `status:${historyId}`)
    const raisedId = eventId('jira', 'issue:10000', `decision.raised:${historyId}`)
    expect(
      await rows('SELECT toInt32(count()) AS n FROM workitem_events FINAL WHERE id = {id:String}', {
        id: statusId,
      }),
    ).toEqual([{ n: 1 }])

    await sync()
    expect(
      await rows('SELECT toInt32(count()) AS n FROM workitem_events FINAL WHERE id = {id:String}', {
        id: statusId,
      }),
    ).toEqual([{ n: 1 }])
    expect(
      await rows('SELECT toInt32(count()) AS n FROM decision_events FINAL WHERE id = {id:String}', {
        id: raisedId,
      }),
    ).toEqual([{ n: 1 }])
    expect(
      await rows(
        "SELECT type, raised_by, occurred_at FROM decision_events FINAL WHERE decision_id = 'jira:ENG-1'",
      ),
    ).toEqual([
      { type: 'decision.raised', raised_by: 'ivan@acme.test', occurred_at: '2026-03-10 09:00:00.000' },
    ])
  })

  it('a status-driven decision lifecycle gives raised → escalated → decided rows the metrics read', async () => {
    fake.assign('ENG-1', USERS.dana.accountId, { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 11, 9) })
    fake.transition('ENG-1', 'Escalated', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 11, 9, 5) })
    fake.transition('ENG-1', 'Decided', { by: USERS.dana.accountId, at: Date.UTC(2026, 2, 12, 15) })
    await sync()
    expect(
      await rows(
        "SELECT type, raised_by, actor, targets, team, occurred_at FROM decision_events FINAL WHERE decision_id = 'jira:ENG-1' ORDER BY occurred_at",
      ),
    ).toEqual([
      {
        type: 'decision.raised',
        raised_by: 'ivan@acme.test',
        actor: '',
        targets: [],
        team: 'u:erin@acme.test',
        occurred_at: '2026-03-10 09:00:00.000',
      },
      {
        type: 'decision.escalated',
        raised_by: 'ivan@acme.test',
        actor: 'erin@acme.test',
        targets: ['dana@acme.test'],
        team: 'u:erin@acme.test',
        occurred_at: '2026-03-11 09:05:00.000',
      },
      {
        type: 'decision.decided',
        raised_by: 'ivan@acme.test',
        actor: 'dana@acme.test',
        targets: [],
        team: 'u:erin@acme.test',
        occurred_at: '2026-03-12 15:00:00.000',
      },
    ])
    // what decision latency reads: raised → first call, in hours
    expect(
      await rows(`SELECT dateDiff('minute', minIf(occurred_at, type = 'decision.raised'), minIf(occurred_at, type IN ('decision.decided', 'decision.rejected'))) / 60 AS hours
        FROM decision_events FINAL WHERE decision_id = 'jira:ENG-1'`),
    ).toEqual([{ hours: 54 }])
    expect(
      await rows(
        "SELECT to_status, category FROM workitem_events FINAL WHERE item_id = 'jira:ENG-1' ORDER BY occurred_at",
      ),
    ).toEqual([
      { to_status: 'To Do', category: 'todo' },
      { to_status: 'Needs Decision', category: 'todo' },
      { to_status: 'Escalated', category: 'in_progress' },
      { to_status: 'Decided', category: 'done' },
    ])
  })

  it('a blocking link between teams is linked, and resolved when the link is removed or the blocker is done', async () => {
    fake.link('ENG-2', 'OPS-1', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 13, 9) })
    fake.link('ENG-4', 'OPS-2', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 13, 10) })
    await sync()
    const deps = () =>
      rows(
        // DISTINCT: Jira records a link on both issues, and each record is read (one link, seen twice)
        'SELECT DISTINCT type, link_id, blocker_item, blocked_item, blocker_team, blocked_team, reason, occurred_at FROM dependency_events FINAL ORDER BY occurred_at, link_id, type',
      )
    expect(await deps()).toEqual([
      {
        type: 'dependency.linked',
        link_id: 'jira:ENG-2/blocks/OPS-1',
        blocker_item: 'jira:ENG-2',
        blocked_item: 'jira:OPS-1',
        blocker_team: 'u:erin@acme.test',
        blocked_team: 'u:olga@acme.test',
        reason: '',
        occurred_at: '2026-03-13 09:00:00.000',
      },
      {
        type: 'dependency.linked',
        link_id: 'jira:ENG-4/blocks/OPS-2',
        blocker_item: 'jira:ENG-4',
        blocked_item: 'jira:OPS-2',
        blocker_team: 'u:erin@acme.test',
        blocked_team: 'u:olga@acme.test',
        reason: '',
        occurred_at: '2026-03-13 10:00:00.000',
      },
    ])
    fake.unlink('ENG-2', 'OPS-1', { by: USERS.olga.accountId, at: Date.UTC(2026, 2, 16, 9) })
    fake.transition('ENG-4', 'Done', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 17, 9) })
    await sync()
    expect(
      (await deps())
        .slice(2)
        .map((r) => [
          (r as { link_id: string }).link_id,
          (r as { reason: string }).reason,
          (r as { occurred_at: string }).occurred_at,
        ]),
    ).toEqual([
      ['jira:ENG-2/blocks/OPS-1', 'unlinked', '2026-03-16 09:00:00.000'],
      ['jira:ENG-4/blocks/OPS-2', 'blocker_done', '2026-03-17 09:00:00.000'],
    ])
  })

  it('an issuelink webhook re-fetches the blocker, so the link shows up before the next poll', async () => {
    const { issueLink } = fake.link('OPS-1', 'ENG-3', {
      by: USERS.olga.accountId,
      at: Date.UTC(2026, 2, 18, 9),
    })
    expect(
      (await fake.deliver(hookUrl, issueLink, { secret: SECRET, deliveryId: 'delivery-link' })).status,
    ).toBe(202)
    await flush()
    expect(
      await rows(
        "SELECT type, blocker_team, blocked_team FROM dependency_events FINAL WHERE link_id = 'jira:OPS-1/blocks/ENG-3'",
      ),
    ).toEqual([
      { type: 'dependency.linked', blocker_team: 'u:olga@acme.test', blocked_team: 'u:erin@acme.test' },
    ])
  })

  it('a deleted issue (webhook) withdraws its open decision, cancels the work item and resolves its links', async () => {
    const hook = fake.deleteIssue('ENG-3', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 19, 9) })
    expect((await fake.deliver(hookUrl, hook, { secret: SECRET })).status).toBe(202)
    await flush()
    expect(
      await rows(
        "SELECT type, actor FROM decision_events FINAL WHERE decision_id = 'jira:ENG-3' ORDER BY occurred_at",
      ),
    ).toEqual([
      { type: 'decision.raised', actor: '' },
      { type: 'decision.withdrawn', actor: 'erin@acme.test' },
    ])
    expect(
      await rows(
        "SELECT to_status, category FROM workitem_events FINAL WHERE item_id = 'jira:ENG-3' ORDER BY occurred_at DESC LIMIT 1",
      ),
    ).toEqual([{ to_status: 'Deleted', category: 'cancelled' }])
    expect(
      await rows(
        "SELECT type, reason FROM dependency_events FINAL WHERE link_id = 'jira:OPS-1/blocks/ENG-3' ORDER BY occurred_at",
      ),
    ).toEqual([
      { type: 'dependency.linked', reason: '' },
      // deleting an issue deletes its links
      { type: 'dependency.resolved', reason: 'unlinked' },
    ])
    // the poll no longer sees it, and nothing it published before is lost
    const { published } = await sync()
    expect(published).not.toContain('ENG-3')
  })

  it('reports a user whose email Jira hides as unresolved, keeping the jira:<accountId> identity on the event', async () => {
    fake.transition('OPS-2', 'In Progress', { by: USERS.hidden.accountId, at: Date.UTC(2026, 2, 20, 9) })
    await sync()
    expect(
      await rows(
        "SELECT actor FROM workitem_events FINAL WHERE item_id = 'jira:OPS-2' AND to_status = 'In Progress'",
      ),
    ).toEqual([{ actor: 'jira:5b10ac8d82e05b22cc7d4ef5' }])
    expect(await unresolvedIdentities(client)).toEqual([
      {
        identity: 'jira:5b10ac8d82e05b22cc7d4ef5',
        source: 'jira',
        occurrences: 1,
        fields: ['workitem_events.actor'],
      },
    ])
  })

  it('commits no cursor when the bus does not acknowledge the records', async () => {
    const before = await cursors.get(JIRA_CONNECTOR, cursorScope(fake.url, 'OPS'))
    fake.transition('OPS-1', 'In Progress', { by: USERS.olga.accountId, at: Date.UTC(2026, 2, 21, 9) })
    const failing: Bus = Object.assign(Object.create(bus) as Bus, {
      publish: async () => {
        throw new Error('broker unavailable')
      },
    })
    await expect(
      syncJira({
        client: clientFor(fake.url),
        bus: failing,
        cursors,
        durable: () => waitUntilWritten(bus, Object.values(STAGE_GROUPS)),
        config: jira,
        instance: fake.url,
        projects: ['OPS'],
      }),
    ).rejects.toThrow('broker unavailable')
    expect(await cursors.get(JIRA_CONNECTOR, cursorScope(fake.url, 'OPS'))).toEqual(before)
    const { result } = await sync({ projects: ['OPS'] })
    expect(result.projects[0]!.cursor).toBe('2026-03-21T09:00:00.000Z')
  })

  it('a changed mapping config forces a full resync; --full does too', async () => {
    const changed = jiraConfig({ teams: [{ team: 'u:dana@acme.test', projects: ['ENG', 'OPS'] }] })
    const { result } = await sync({ config: changed, projects: ['ENG'] })
    expect(result.projects.map((p) => [p.mode, p.reason, p.issues])).toEqual([
      ['full', 'mapping config changed since the last sync', 3],
    ])
    const full = await sync({ config: changed, projects: ['ENG'], full: true })
    expect(full.result.projects.map((p) => [p.mode, p.reason])).toEqual([['full', 'full resync requested']])
    const again = await sync({ config: changed, projects: ['ENG'] })
    expect(again.result.projects[0]!.mode).toBe('incremental')
  })
})
