import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { linearConnector } from '@orgpulse/connector-linear'
import { configSchema, parseEnv, syncedEnvelope } from '@orgpulse/contracts'
import { type FakeLinear, type LinearSeed, startFakeLinear, type WebhookBody } from '@orgpulse/fakes/linear'
import { publishRaw } from '@orgpulse/kafka'
import { importOrg, resolveIdentities } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'

/**
 * Linear decisions raised through signed webhooks into the api (issue 16, items 1 and 2), with
 * the fake sending what Linear sends: Issue `data` names people by `creatorId` / `assigneeId`
 * only (no user objects with emails), the top-level `actor` {id, name, email, type} is who acted.
 *
 * Org: dana (director) ─┬─ eng (team ENG → u:eng@x.io): ed
 *                       └─ plat (team PLAT → u:plat@x.io): pia
 * One `ingest linear` pull runs first (nothing in the teams yet): it writes the user directory
 * (`linear:<id>` → email) into identity_map. Then, by webhook only:
 * - A: ed creates ENG-1 with the `decision` label on 07-02 (actor ed = the creator).
 * - B: pia creates PLAT-1 on 07-02 (no label); pat labels it `decision` on 07-03 (actor pat, so
 *   the raiser is known only as creatorId = pia's Linear id); pat assigns it to dana and labels it
 *   `escalated` on 07-04 (target: assigneeId = dana's Linear id); dana moves it to Done on 07-06.
 * Window [07-01, 08-01), director dana:
 *   decisions_open 1 (A), decisions_decided 1 (B), escalation_rate 1, centralization 1 (dana
 *   decided B, raised by pia).
 * - Then ed deletes ENG-1 (action "remove", 07-10): decisions_open 0, nothing else moves.
 * - Then nia joins Linear (after the pull: the directory does not know her), creates PLAT-2 on
 *   07-11 and pat labels it `decision` on 07-12, delivered to an api that has LINEAR_API_KEY (the
 *   one above has only the webhook secret): the route looks her id up (GraphQL `user(id)`), so
 *   the decision counts at once: decisions_open 1.
 */
const SECRET = 'linear-hook-secret'
const config = configSchema.parse({
  linear: { teams: { ENG: 'u:eng@x.io', PLAT: 'u:plat@x.io' } },
})
const ORG = `email,name,manager_email,title
dana@x.io,Dana,,Director
eng@x.io,Eve,dana@x.io,EM
plat@x.io,Pat,dana@x.io,EM
e1@x.io,Ed,eng@x.io,Engineer
p1@x.io,Pia,plat@x.io,Engineer
n1@x.io,Nia,plat@x.io,Engineer
`
const iso = (month: number, day: number, hour = 9) =>
  new Date(Date.UTC(2026, month - 1, day, hour)).toISOString()
const U = {
  ed: 'u-ed-0001',
  pia: 'u-pia-0002',
  pat: 'u-pat-0003',
  dana: 'u-dana-0004',
  nia: 'u-nia-0005',
} as const
const TEAMS = { ENG: 't-eng', PLAT: 't-plat' } as const
const state = (team: keyof typeof TEAMS, name: string) => `s-${team}-${name.toLowerCase()}`
const SEED: LinearSeed = {
  users: [
    { id: U.ed, name: 'Ed', email: 'e1@x.io' },
    { id: U.pia, name: 'Pia', email: 'P1@x.io' },
    { id: U.pat, name: 'Pat', email: 'plat@x.io' },
    { id: U.dana, name: 'Dana', email: 'dana@x.io' },
  ],
  teams: [
    { id: TEAMS.ENG, key: 'ENG', name: 'Engineering' },
    { id: TEAMS.PLAT, key: 'PLAT', name: 'Platform' },
  ],
  states: (['ENG', 'PLAT'] as const).flatMap((team) =>
    (
      [
        ['Todo', 'unstarted'],
        ['Done', 'completed'],
      ] as const
    ).map(([name, type]) => ({ id: state(team, name), teamId: TEAMS[team], name, type })),
  ),
  labels: [
    { id: 'l-decision', name: 'decision' },
    { id: 'l-escalated', name: 'escalated' },
  ],
  issues: [],
}

const work = mkdtempSync(join(tmpdir(), 'orgpulse-linear-hooks-'))
let p: EmbeddedPipeline
let app: Awaited<ReturnType<typeof buildApp>>
let appWithKey: Awaited<ReturnType<typeof buildApp>>
let fake: FakeLinear
const bodies: Record<string, WebhookBody> = {}
let pulledLines: string[] = []

async function deliver(body: WebhookBody, to = app): Promise<void> {
  const signed = fake.signWebhook(body, SECRET)
  const res = await to.inject({
    method: 'POST',
    url: '/webhooks/linear',
    headers: signed.headers,
    payload: signed.payload,
  })
  expect(res.statusCode).toBe(200)
  await p.flush()
}

interface Metrics {
  metrics: Record<string, number | null>
  samples: Record<string, number | null>
  withheld: Record<string, string>
}
async function metrics(): Promise<Metrics> {
  const res = await app.inject({
    method: 'GET',
    url: '/v1/orgs/dana@x.io/metrics?from=2026-07-01&to=2026-08-01',
  })
  expect(res.statusCode).toBe(200)
  return res.json() as Metrics
}
const DECISION_IDS = ['decisions_open', 'decisions_decided', 'escalation_rate', 'centralization'] as const
/** each value with its n; a value under its minimum sample is the too_few reason instead */
const pick = (m: Metrics) =>
  Object.fromEntries(
    DECISION_IDS.map((id) => [id, m.metrics[id] ?? m.withheld[id] ?? null, m.samples[id]] as const).map(
      ([id, v, n]) => [id, { value: v, n }],
    ),
  )
/** one decision, decided by the director (dana) on escalation: too few for a ratio */
const ONE_DECIDED = {
  decisions_decided: { value: 1, n: 1 },
  escalation_rate: { value: 'too_few: n = 1 decisions decided (minimum 3)', n: 1 },
  centralization: {
    value: 'too_few: n = 1 decisions decided that the leader did not raise (minimum 3)',
    n: 1,
  },
}

beforeAll(async () => {
  p = await startEmbeddedPipeline(config, 'linear-hooks', { dataDir: join(work, 'data') })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  fake = await startFakeLinear(SEED)
  const env = parseEnv({
    LINEAR_API_KEY: fake.apiKey,
    LINEAR_API_URL: fake.url,
    LINEAR_WEBHOOK_SECRET: SECRET,
  })
  // this api has no Linear credential: ids without an email resolve through the pull's directory only
  app = await buildApp({
    client: p.client,
    bus: p.bus,
    config,
    flush: p.flush,
    auth: 'none',
    env: parseEnv({ LINEAR_WEBHOOK_SECRET: SECRET }),
  })
  appWithKey = await buildApp({ client: p.client, bus: p.bus, config, flush: p.flush, auth: 'none', env })

  // `ingest linear` as the CLI runs it: the connector's own sync, with its directory wiring
  const ctx: Parameters<typeof linearConnector.sync>[0] = {
    mode: 'embedded',
    dataDir: join(work, 'data'),
    config,
    env,
    client: p.client,
    bus: p.bus,
    log: { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<
      typeof linearConnector.sync
    >[0]['log'],
    flush: p.flush,
    durable: () => p.durable(),
  }
  pulledLines = (await linearConnector.sync(ctx)).lines
  await p.flush()
  // the teams were read up to after the window (as `ingest linear` records it)
  await publishRaw(
    p.bus,
    (['ENG', 'PLAT'] as const).map((key) =>
      syncedEnvelope('linear', {
        scopeKind: 'team',
        scope: key,
        mode: 'full',
        coveredFrom: null,
        coveredTo: '2026-08-02T00:00:00.000Z',
        teams: [config.linear!.teams[key]!],
      }),
    ),
  )
  await p.flush()

  const m = fake.model
  bodies.a = m.createIssue(
    {
      id: 'i-eng-1',
      teamId: TEAMS.ENG,
      number: 1,
      title: 'Pick a queue',
      stateId: state('ENG', 'Todo'),
      labelIds: ['l-decision'],
    },
    { actorId: U.ed, at: iso(7, 2) },
  )
  m.createIssue(
    { id: 'i-plat-1', teamId: TEAMS.PLAT, number: 1, title: 'Shard the DB?', stateId: state('PLAT', 'Todo') },
    { actorId: U.pia, at: iso(7, 2, 10) },
  )
  bodies.bLabel = m.addLabel('i-plat-1', 'l-decision', { actorId: U.pat, at: iso(7, 3) })
  m.assign('i-plat-1', U.dana, { actorId: U.pat, at: iso(7, 4) })
  bodies.bEscalated = m.addLabel('i-plat-1', 'l-escalated', { actorId: U.pat, at: iso(7, 4, 10) })
  bodies.bDone = m.moveIssue('i-plat-1', state('PLAT', 'Done'), { actorId: U.dana, at: iso(7, 6) })
  for (const b of [bodies.a, bodies.bLabel, bodies.bEscalated, bodies.bDone]) await deliver(b!)
}, 180_000)

afterAll(async () => {
  await app?.close()
  await appWithKey?.close()
  await fake?.close()
  await p?.stop()
})

describe('Linear decisions through signed webhooks into the api', () => {
  it('the fake sends people as ids, as Linear does: no creator/assignee objects with emails', () => {
    expect(pulledLines).toContain('  users: 4 in the directory')
    const data = bodies.bEscalated!.data
    expect(data).toMatchObject({ creatorId: U.pia, assigneeId: U.dana })
    expect(data).not.toHaveProperty('creator')
    expect(data).not.toHaveProperty('assignee')
    expect(bodies.bEscalated!.actor).toMatchObject({ id: U.pat, email: 'plat@x.io', type: 'user' })
  })

  it("count for the raiser's org: the creator from the actor on create, else from the user directory", async () => {
    expect(pick(await metrics())).toEqual({ decisions_open: { value: 1, n: 1 }, ...ONE_DECIDED })
    const rows = await queryRows<{
      decision_id: string
      type: string
      raised_by: string
      actor: string
      targets: string[]
    }>(
      p.client,
      `SELECT decision_id, type, raised_by, actor, targets FROM decision_events FINAL
       WHERE source = 'linear' ORDER BY decision_id, type`,
    )
    expect(rows).toEqual([
      {
        decision_id: 'linear:i-eng-1',
        type: 'decision.raised',
        raised_by: 'e1@x.io',
        actor: '',
        targets: [],
      },
      {
        decision_id: 'linear:i-plat-1',
        type: 'decision.decided',
        raised_by: `linear:${U.pia}`,
        actor: 'dana@x.io',
        targets: [],
      },
      {
        decision_id: 'linear:i-plat-1',
        type: 'decision.escalated',
        raised_by: `linear:${U.pia}`,
        actor: 'plat@x.io',
        targets: [`linear:${U.dana}`],
      },
      {
        decision_id: 'linear:i-plat-1',
        type: 'decision.raised',
        raised_by: `linear:${U.pia}`,
        actor: '',
        targets: [],
      },
    ])
    // the ids resolve at query time through the directory the pull wrote (emails lower-cased)
    const resolved = await resolveIdentities(p.client, [`linear:${U.pia}`, `linear:${U.dana}`])
    expect(Object.fromEntries(resolved)).toEqual({
      [`linear:${U.pia}`]: 'p1@x.io',
      [`linear:${U.dana}`]: 'dana@x.io',
    })
  })

  it('a "remove" delivery (issue deleted) makes the decision stop counting as open', async () => {
    const removed = fake.model.removeIssue('i-eng-1', { actorId: U.ed, at: iso(7, 10) })
    expect([removed.action, removed.data.trashed]).toEqual(['remove', true])
    await deliver(removed)
    expect(pick(await metrics())).toEqual({ decisions_open: { value: 0, n: 0 }, ...ONE_DECIDED })
    const [gone] = await queryRows<{ type: string; occurred_at: string; actor: string }>(
      p.client,
      `SELECT type, toString(occurred_at) AS occurred_at, actor FROM decision_events FINAL
       WHERE decision_id = 'linear:i-eng-1' AND type != 'decision.raised'`,
    )
    expect(gone).toEqual({
      type: 'decision.withdrawn',
      occurred_at: '2026-07-10 09:00:00.000',
      actor: 'e1@x.io',
    })
    const [status] = await queryRows<{ to_status: string; category: string }>(
      p.client,
      `SELECT to_status, toString(category) AS category FROM workitem_events FINAL WHERE item_id = 'linear:i-eng-1'`,
    )
    expect(status).toEqual({ to_status: 'Deleted', category: 'cancelled' })
  })

  it('an id the directory has not seen yet is looked up by the webhook route and counts at once', async () => {
    fake.model.users.set(U.nia, { id: U.nia, name: 'Nia', email: 'n1@x.io' })
    await deliver(
      fake.model.createIssue(
        {
          id: 'i-plat-2',
          teamId: TEAMS.PLAT,
          number: 2,
          title: 'Cache TTL?',
          stateId: state('PLAT', 'Todo'),
        },
        { actorId: U.nia, at: iso(7, 11) },
      ),
      appWithKey,
    )
    const labelled = fake.model.addLabel('i-plat-2', 'l-decision', { actorId: U.pat, at: iso(7, 12) })
    expect(labelled.data).toMatchObject({ creatorId: U.nia })
    await deliver(labelled, appWithKey)
    const [raised] = await queryRows<{ raised_by: string }>(
      p.client,
      `SELECT raised_by FROM decision_events FINAL WHERE decision_id = 'linear:i-plat-2' AND type = 'decision.raised'`,
    )
    expect(raised).toEqual({ raised_by: 'n1@x.io' })
    expect(pick(await metrics())).toMatchObject({
      decisions_open: { value: 1 },
      decisions_decided: { value: 1 },
    })
  })
})
