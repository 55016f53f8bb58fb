import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
  type OrgpulseConfig,
  parseEnv,
  rawTopic,
  TOPIC_SPECS,
} from '@orgpulse/contracts'
import { type FakeLinear, LINEAR_IDS, linearTestSeed, startFakeLinear, stateId } from '@orgpulse/fakes/linear'
import {
  ackIsDurable,
  MemoryBus,
  publishRaw,
  type Subscription,
  waitUntilCaughtUp,
  waitUntilWritten,
} from '@orgpulse/kafka'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STAGE_GROUPS, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import {
  credentialFromEnv,
  LinearClient,
  LinearConfigError,
  linearWebhookRoutes,
  MAX_PAGE,
  syncLinear,
} from '../src/index.ts'

// one chDB data directory per test file (one per process)
const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-linear-'))
const SECRET = 'whsec-test'
const config: OrgpulseConfig = configSchema.parse({
  linear: { teams: { ENG: 'u:eng-lead@example.com', PLAT: 'u:plat-lead@example.com' } },
})
const linear = config.linear!

let client: ClickHouseClient
let bus: MemoryBus
let subs: Subscription[] = []
let fake: FakeLinear
let cursors: Pick<CursorStore, 'get' | 'set'>

function cursorStore(c: ClickHouseClient): Pick<CursorStore, 'get' | 'set'> {
  return new CursorStore(c)
}

const flush = () => waitUntilCaughtUp(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink], 60_000)
/** as in embedded mode: cursors move once the pipeline has written what they cover */
const durable = () => waitUntilWritten(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink])
const apiClient = (extra: Partial<ConstructorParameters<typeof LinearClient>[0]> = {}) =>
  new LinearClient({
    url: fake.url,
    credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
    ...extra,
  })
const sync = (opts: { full?: boolean; client?: LinearClient } = {}) =>
  syncLinear({
    client: opts.client ?? apiClient(),
    bus,
    cursors,
    durable,
    config: linear,
    full: opts.full ?? false,
  })
const rows = <T>(sql: string, params: Record<string, unknown> = {}) => queryRows<T>(client, sql, params)

beforeAll(async () => {
  client = createClickHouse({ dataDir })
  await migrate(client)
  bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs = [await startTransformer(bus, config), await startSink(bus, client)]
  cursors = cursorStore(client)
  fake = await startFakeLinear(linearTestSeed())
})

afterAll(async () => {
  for (const s of subs) await s.stop()
  await bus.close()
  await client.close()
  await fake.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('Linear sync against the fake GraphQL API', () => {
  it('full sync: every issue with its whole history, cycles, relations; cursors after the acks', async () => {
    const progress: number[] = []
    const result = await syncLinear({
      client: apiClient(),
      bus,
      cursors,
      durable,
      config: linear,
      full: true,
      progress: (p) => p.phase === 'issues' && progress.push(p.done),
    })
    await flush()
    expect(result.teams.map((t) => [t.team, t.mode, t.issues, t.cycles])).toEqual([
      ['ENG', 'full', 44, 3],
      ['PLAT', 'full', 2, 0],
    ])
    // 44 ENG issues need several pages at the complexity-derived page size
    expect(progress.length).toBeGreaterThan(2)
    expect(progress.at(-1)).toBe(2)
    expect(result.relations).toEqual({ blocking: 2, removed: 0 })
    expect((await cursors.get('linear', 'team:ENG'))?.cursor).toBe('2026-04-02T13:00:00.000Z')
    // each team recorded as synced, with the org team it maps to (the planning/dependency coverage)
    expect(
      await rows<{ scope_kind: string; scope_id: string; mode: string; teams: string[] }>(
        'SELECT scope_kind, scope_id, mode, teams FROM source_coverage FINAL ORDER BY scope_id',
      ),
    ).toEqual([
      { scope_kind: 'team', scope_id: 'ENG', mode: 'full', teams: [linear.teams.ENG] },
      { scope_kind: 'team', scope_id: 'PLAT', mode: 'full', teams: [linear.teams.PLAT] },
    ])

    // the decision: raised at creation (label), escalated to carol, decided by carol
    const decision = await rows<{
      type: string
      occurred_at: string
      actor: string
      targets: string[]
      raised_by: string
      team: string
    }>(
      `SELECT type, toString(occurred_at) AS occurred_at, actor, targets, raised_by, team FROM decision_events FINAL
       WHERE decision_id = 'linear:i-eng-1' ORDER BY occurred_at`,
    )
    expect(decision).toEqual([
      {
        type: 'decision.raised',
        occurred_at: '2026-03-02 09:00:00.000',
        actor: '',
        targets: [],
        raised_by: 'bob@example.com',
        team: 'u:eng-lead@example.com',
      },
      {
        type: 'decision.escalated',
        occurred_at: '2026-03-03 09:30:00.000',
        actor: 'bob@example.com',
        targets: ['carol@example.com'],
        raised_by: 'bob@example.com',
        team: 'u:eng-lead@example.com',
      },
      {
        type: 'decision.decided',
        occurred_at: '2026-03-04 15:00:00.000',
        actor: 'carol@example.com',
        targets: [],
        raised_by: 'bob@example.com',
        team: 'u:eng-lead@example.com',
      },
    ])
    // the issue with 30 history entries (two history pages): its last entry into each state
    const churn = await rows<{ to_status: string; occurred_at: string; category: string }>(
      `SELECT to_status, toString(occurred_at) AS occurred_at, category FROM workitem_events FINAL WHERE item_id = 'linear:i-eng-4' ORDER BY to_status`,
    )
    expect(churn).toEqual([
      { to_status: 'In Progress', occurred_at: '2026-04-02 12:00:00.000', category: 'in_progress' },
      { to_status: 'Todo', occurred_at: '2026-04-02 13:00:00.000', category: 'todo' },
    ])
    // only `blocks` relations become dependencies; rel-2's blocker is done
    const deps = await rows<{
      link_id: string
      type: string
      reason: string
      blocker_team: string
      blocked_team: string
    }>(
      `SELECT link_id, type, reason, blocker_team, blocked_team FROM dependency_events FINAL ORDER BY link_id, type`,
    )
    expect(deps).toEqual([
      {
        link_id: 'linear:rel-1',
        type: 'dependency.linked',
        reason: '',
        blocker_team: 'u:plat-lead@example.com',
        blocked_team: 'u:eng-lead@example.com',
      },
      {
        link_id: 'linear:rel-2',
        type: 'dependency.linked',
        reason: '',
        blocker_team: 'u:eng-lead@example.com',
        blocked_team: 'u:eng-lead@example.com',
      },
      {
        link_id: 'linear:rel-2',
        type: 'dependency.resolved',
        reason: 'blocker_done',
        blocker_team: 'u:eng-lead@example.com',
        blocked_team: 'u:eng-lead@example.com',
      },
    ])
    // every query stayed inside Linear's single-query limit and our budget
    expect(Math.max(...fake.log.map((l) => l.complexity))).toBeLessThanOrEqual(linear.maxQueryComplexity)
  })

  it("a cycle's planning figures match the hand computation (cycles row)", async () => {
    const cycles = await rows<{
      cycle_id: string
      team: string
      committed: number
      completed: number
      added: number
    }>(`SELECT cycle_id, team, committed, completed, added FROM cycles FINAL ORDER BY cycle_id`)
    // c-eng-1: scope [20,20,23,25,25,24], completed [..,16] → 20 / 16 / 24-20
    // c-eng-2: unestimated → issue counts [8,9,10] / [..,7] → 8 / 7 / 2; c-eng-3 has not started
    expect(cycles).toEqual([
      { cycle_id: 'linear:c-eng-1', team: 'u:eng-lead@example.com', committed: 20, completed: 16, added: 4 },
      { cycle_id: 'linear:c-eng-2', team: 'u:eng-lead@example.com', committed: 8, completed: 7, added: 2 },
    ])
    const [rates] = await rows<{ completion: number; added_rate: number }>(
      `SELECT completed / committed AS completion, added / committed AS added_rate FROM cycles FINAL WHERE cycle_id = 'linear:c-eng-1'`,
    )
    expect(rates).toEqual({ completion: 0.8, added_rate: 0.2 })
  })

  it('incremental sync fetches only what changed since the cursor (minus the overlap)', async () => {
    const at = new Date().toISOString()
    fake.model.moveIssue(LINEAR_IDS.issues.blocked, stateId('eng', 'Done'), {
      actorId: LINEAR_IDS.users.dave,
      at,
    })
    const result = await sync()
    await flush()
    // ENG-3 moved now; ENG-4 (updated 13:00) lies inside the 10-minute overlap of the old cursor
    expect(result.teams.map((t) => [t.team, t.mode, t.issues])).toEqual([
      ['ENG', 'incremental', 2],
      ['PLAT', 'incremental', 1],
    ])
    expect((await cursors.get('linear', 'team:ENG'))?.cursor).toBe(at)
    const [done] = await rows<{ category: string; actor: string }>(
      `SELECT category, actor FROM workitem_events FINAL WHERE item_id = 'linear:i-eng-3' AND to_status = 'Done'`,
    )
    expect(done).toEqual({ category: 'done', actor: 'dave@example.com' })
    // the blocked item is closed: that does not end the blocking (DESIGN "A blocking link": only
    // the link removed or the blocker done do), so the link stays as it was
    expect(
      await rows(
        `SELECT type FROM dependency_events FINAL WHERE link_id = 'linear:rel-1' ORDER BY occurred_at`,
      ),
    ).toEqual([{ type: 'dependency.linked' }])
  })

  it('a relation added and later removed between pulls: linked, then resolved as unlinked', async () => {
    fake.model.addRelation({
      id: 'rel-new',
      type: 'blocks',
      issueId: LINEAR_IDS.issues.platDecision,
      relatedIssueId: LINEAR_IDS.issues.churny,
      createdAt: '2026-04-03T10:00:00.000Z',
    })
    let result = await sync()
    await flush()
    expect(result.relations).toEqual({ blocking: 3, removed: 0 })
    fake.model.removeRelation('rel-new')
    const before = Date.now()
    result = await sync()
    await flush()
    expect(result.relations).toEqual({ blocking: 2, removed: 1 })
    const got = await rows<{
      type: string
      reason: string
      occurred_at: string
      blocker_team: string
      blocked_team: string
    }>(
      `SELECT type, reason, toString(occurred_at) AS occurred_at, blocker_team, blocked_team FROM dependency_events FINAL WHERE link_id = 'linear:rel-new' ORDER BY type`,
    )
    expect(got.map((g) => [g.type, g.reason, g.blocker_team, g.blocked_team])).toEqual([
      ['dependency.linked', '', 'u:plat-lead@example.com', 'u:eng-lead@example.com'],
      ['dependency.resolved', 'unlinked', 'u:plat-lead@example.com', 'u:eng-lead@example.com'],
    ])
    expect(Date.parse(`${got[1]!.occurred_at.replace(' ', 'T')}Z`)).toBeGreaterThanOrEqual(before - 1000)
  })

  it('does not move the cursor when the bus does not acknowledge', async () => {
    const saved = await cursors.get('linear', 'team:ENG')
    fake.model.moveIssue(LINEAR_IDS.issues.churny, stateId('eng', 'In Progress'), {
      at: new Date().toISOString(),
    })
    const failing = new MemoryBus()
    failing.publish = async () => {
      throw new Error('broker down')
    }
    await expect(
      syncLinear({ client: apiClient(), bus: failing, cursors, durable, config: linear }),
    ).rejects.toThrow('broker down')
    expect((await cursors.get('linear', 'team:ENG'))?.cursor).toBe(saved?.cursor)
  })
})

describe('Linear webhooks', () => {
  async function webhookApp() {
    const app = Fastify()
    await app.register(linearWebhookRoutes, {
      secret: SECRET,
      publish: async (envelopes) => {
        await publishRaw(bus, envelopes)
      },
    })
    return app
  }
  const rawCount = () => bus.messages(rawTopic('linear')).length

  it('accepts a signed delivery; the later poll of the same change gives the same event', async () => {
    const app = await webhookApp()
    const at = new Date().toISOString()
    const body = fake.model.moveIssue(LINEAR_IDS.issues.platDecision, stateId('plat', 'Decided'), {
      actorId: LINEAR_IDS.users.carol,
      at,
    })
    const signed = fake.signWebhook(body, SECRET)
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/linear',
      headers: signed.headers,
      payload: signed.payload,
    })
    expect(res.statusCode).toBe(200)
    await flush()
    const statusId = eventId('linear', LINEAR_IDS.issues.platDecision, `state:${stateId('plat', 'Decided')}`)
    const callId = eventId('linear', LINEAR_IDS.issues.platDecision, 'call')
    const afterWebhook = await rows<{ id: string; type: string; actor: string }>(
      `SELECT id, type, actor FROM decision_events FINAL WHERE decision_id = 'linear:i-plat-2' ORDER BY type`,
    )
    expect(afterWebhook).toEqual([
      { id: callId, type: 'decision.decided', actor: 'carol@example.com' },
      { id: eventId('linear', LINEAR_IDS.issues.platDecision, 'raised'), type: 'decision.raised', actor: '' },
    ])
    await sync()
    await flush()
    const status = await rows<{ id: string; n: number; from_status: string }>(
      `SELECT id, count() AS n, any(from_status) AS from_status FROM workitem_events FINAL WHERE item_id = 'linear:i-plat-2' GROUP BY id`,
    )
    // one event for the webhook and the poll; the poll's history names the previous state
    expect(status).toEqual([{ id: statusId, n: 1, from_status: 'Needs Decision' }])
    const calls = await rows<{ n: number; occurred_at: string }>(
      `SELECT count() AS n, toString(any(occurred_at)) AS occurred_at FROM decision_events FINAL WHERE id = {id:String}`,
      { id: callId },
    )
    expect(calls).toEqual([{ n: 1, occurred_at: at.replace('T', ' ').replace('Z', '') }])
    // raised stays at the issue's creation (the state it was created in), not the webhook time
    const [raised] = await rows<{ occurred_at: string }>(
      `SELECT toString(occurred_at) AS occurred_at FROM decision_events FINAL WHERE decision_id = 'linear:i-plat-2' AND type = 'decision.raised'`,
    )
    expect(raised).toEqual({ occurred_at: '2026-03-10 08:00:00.000' })
  })

  it('rejects a bad signature with 401 and publishes nothing', async () => {
    const app = await webhookApp()
    const signed = fake.signWebhook(
      fake.model.addLabel(LINEAR_IDS.issues.regular, LINEAR_IDS.labels.bug),
      'not-the-secret',
    )
    const before = rawCount()
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/linear',
      headers: signed.headers,
      payload: signed.payload,
    })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ error: 'invalid Linear-Signature' })
    const tampered = fake.signWebhook(
      fake.model.addLabel(LINEAR_IDS.issues.regular, LINEAR_IDS.labels.decision),
      SECRET,
    )
    const res2 = await app.inject({
      method: 'POST',
      url: '/webhooks/linear',
      headers: tampered.headers,
      payload: tampered.payload.replace('Ordinary', 'Extraordinary'),
    })
    expect(res2.statusCode).toBe(401)
    expect(rawCount()).toBe(before)
  })

  it('rejects a delivery whose webhookTimestamp is outside the 60 s window (replay)', async () => {
    const app = await webhookApp()
    const body = fake.model.addLabel(LINEAR_IDS.issues.regular, LINEAR_IDS.labels.escalated)
    const before = rawCount()
    for (const ts of [Date.now() - 61_000, Date.now() + 61_000]) {
      const signed = fake.signWebhook(body, SECRET, ts)
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/linear',
        headers: signed.headers,
        payload: signed.payload,
      })
      expect(res.statusCode).toBe(401)
      expect(res.json().error).toMatch(/outside the 60 s window/)
    }
    expect(rawCount()).toBe(before)
  })
})

describe('Linear rate limits and credentials', () => {
  it('waits for the request budget to reset before spending the last request (measured)', async () => {
    const windowMs = 1200
    const firstRequest = fake.log.length
    const waits: number[] = []
    const c = apiClient({ onWait: ({ ms }) => waits.push(ms) })
    const q = 'query T($first: Int!) { teams(first: $first) { nodes { key } } }'
    const started = Date.now()
    fake.setLimits({ requestsLimit: 2, windowMs })
    try {
      for (let i = 0; i < 3; i++) await c.request(q, { first: 10 })
    } finally {
      fake.setLimits({ requestsLimit: 1500, windowMs: 3_600_000 })
    }
    const elapsed = Date.now() - started
    // the 2nd answer says 0 requests remain: the client waits for the window's reset once
    expect(waits).toHaveLength(1)
    expect(elapsed).toBeGreaterThanOrEqual(windowMs)
    expect(c.limits.requests?.limit).toBe(2)
    // backed off before the limit: Linear never had to refuse a request
    expect(fake.log.slice(firstRequest).map((l) => l.refused ?? 'ok')).toEqual(['ok', 'ok', 'ok'])
  })

  it('waits for the complexity budget too', async () => {
    const c = apiClient()
    const q = 'query T($first: Int!) { teams(first: $first) { nodes { key name } } }'
    const started = Date.now()
    // 1 + 2 x (1 + 2 x 0.1) = 3.4 → 4 points per query; 6 per window: the second must wait
    fake.setLimits({ complexityLimit: 6, windowMs: 800 })
    try {
      await c.request(q, { first: 2 })
      await c.request(q, { first: 2 })
    } finally {
      fake.setLimits({ complexityLimit: 250_000, windowMs: 3_600_000 })
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(800)
    expect(fake.log.slice(-2).map((l) => [l.complexity, l.refused ?? 'ok'])).toEqual([
      [4, 'ok'],
      [4, 'ok'],
    ])
  })

  it('retries RATELIMITED errors and HTTP 429 with backoff (measured)', async () => {
    fake.failNext(2, 'RATELIMITED')
    fake.failNext(1, 'http429')
    const from = fake.log.length
    const c = apiClient({ baseBackoffMs: 100 })
    const started = Date.now()
    const data = await c.request<{ teams: { nodes: { key: string }[] } }>(
      'query T($first: Int!) { teams(first: $first) { nodes { key } } }',
      { first: 10 },
    )
    const elapsed = Date.now() - started
    expect(data.teams.nodes.map((t) => t.key)).toEqual(['ENG', 'PLAT'])
    expect(fake.log.slice(from).map((l) => l.refused ?? 'ok')).toEqual([
      'RATELIMITED',
      'RATELIMITED',
      'http429',
      'ok',
    ])
    // 100 + 200 + 400 ms of backoff
    expect(elapsed).toBeGreaterThanOrEqual(700 - 20)
    expect(c.waitedMs).toBe(700)
  })

  it('keeps page sizes under the complexity budget and the fake rejects bigger queries', async () => {
    const c = apiClient({ maxRetries: 0 })
    const q = `query Big($first: Int!) { issues(first: $first) { nodes { id history(first: 250) { nodes { id actor { id name email } fromState { id name type } toState { id name type } } } } } }`
    await expect(c.request(q, { first: MAX_PAGE })).rejects.toThrow(/Query too complex/)
  })

  it('says which credential Linear rejected', async () => {
    const bad = new LinearClient({
      url: fake.url,
      credential: { kind: 'apiKey', value: 'lin_api_wrong', envName: 'LINEAR_API_KEY' },
    })
    await expect(bad.request('{ viewer { id } }')).rejects.toThrow(
      /Linear rejected the API key in LINEAR_API_KEY/,
    )
    await expect(bad.request('{ viewer { id } }')).rejects.toBeInstanceOf(LinearConfigError)
    const oauth = new LinearClient({
      url: fake.url,
      credential: credentialFromEnv(parseEnv({ LINEAR_OAUTH_TOKEN: fake.oauthToken }), linear),
    })
    expect(await oauth.request<{ viewer: { id: string } }>('{ viewer { id } }')).toEqual({
      viewer: { id: LINEAR_IDS.users.bob },
    })
    expect(() => credentialFromEnv(parseEnv({}), linear)).toThrow(
      /set LINEAR_API_KEY .* or LINEAR_OAUTH_TOKEN/,
    )
  })

  it('names the team keys it cannot see', async () => {
    await expect(
      syncLinear({ client: apiClient(), bus, cursors, durable, config: linear, teams: ['NOPE'] }),
    ).rejects.toThrow(
      'Linear team NOPE not found or not visible to this credential; visible teams: ENG, PLAT',
    )
  })
})

describe('nested pages beyond the first', () => {
  it('fetches the rest of an issue’s labels and relations, so a label past the 20th still makes a decision', async () => {
    const base = linearTestSeed()
    const { teams, users, issues } = LINEAR_IDS
    const decisionIssue = base.issues.find((i) => i.id === issues.decision)!
    // 24 filler labels first, then Decision last: the nested page of 20 does not reach it
    const filler = Array.from({ length: 24 }, (_, n) => ({ id: `l-x${n}`, name: `area-${n}` }))
    const targets = Array.from({ length: 12 }, (_, n) => ({
      id: `i-t${n}`,
      teamId: teams.plat,
      number: 100 + n,
      title: `target ${n}`,
      createdAt: '2026-03-01T09:00:00.000Z',
      stateId: stateId('plat', 'Todo'),
      creatorId: users.bob,
    }))
    const seed = {
      ...base,
      labels: [...(base.labels ?? []), ...filler],
      issues: [
        ...base.issues.filter((i) => i.id !== issues.decision),
        { ...decisionIssue, labelIds: [...filler.map((l) => l.id), ...(decisionIssue.labelIds ?? [])] },
        ...targets,
      ],
      relations: [
        ...(base.relations ?? []),
        ...targets.map((t, n) => ({
          id: `rel-x${n}`,
          type: 'blocks',
          issueId: issues.decision,
          relatedIssueId: t.id,
          createdAt: '2026-03-02T12:00:00.000Z',
        })),
      ],
    }
    const own = await startFakeLinear(seed)
    try {
      const ownBus = new MemoryBus()
      const memory = new Map<string, { cursor: string; configHash: string }>()
      await syncLinear({
        client: new LinearClient({
          url: own.url,
          credential: { kind: 'apiKey', value: own.apiKey, envName: 'LINEAR_API_KEY' },
        }),
        bus: ownBus,
        // no pipeline reads this bus: nothing to wait for
        durable: ackIsDurable,
        cursors: {
          get: async (_c, scope) => memory.get(scope) ?? null,
          set: async (_c, scope, cursor, configHash = '') => void memory.set(scope, { cursor, configHash }),
        } as Pick<CursorStore, 'get' | 'set'>,
        config: linear,
        full: true,
      })
      const published = ownBus
        .messages(rawTopic('linear'))
        .map((m) => JSON.parse(m.value.toString()) as { entity: string; payload: Record<string, unknown> })
        .find((e) => e.entity === 'issue' && e.payload.id === issues.decision)!
      const conn = (k: string) => published.payload[k] as { nodes: { id: string; name?: string }[] }
      expect(conn('labels').nodes).toHaveLength(26)
      expect(conn('labels').nodes.map((l) => l.name)).toContain('Decision')
      expect(conn('relations').nodes.filter((r) => r.id.startsWith('rel-x'))).toHaveLength(12)
    } finally {
      await own.close()
    }
  })
})
