import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { linearConnector } from '@orgpulse/connector-linear'
import { configSchema, type OrgpulseConfig, parseEnv } from '@orgpulse/contracts'
import { type FakeLinear, type LinearSeed, startFakeLinear, type WebhookBody } from '@orgpulse/fakes/linear'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'

/**
 * Linear decision items' expected decider (issue 18 item 3): the assignee, per
 * `linear.decisions.expectedDecider`. Linear's Issue deliveries name the assignee by `assigneeId`
 * only (IssueWebhookPayload; the fake sends no `assignee` object), resolved through the user
 * directory the pull writes into identity_map; the GraphQL poll reads `Issue.assignee: User`.
 *
 * Org: dana (director) ─┬─ eng ── ed
 *                       └─ plat ── pia
 * ENG-1: ed creates it with the `decision` label, assigned to dana (delivered by webhook).
 * Then it is reassigned to eng (Eve): the delivery of an assignment alone carries no decision
 * step, so the next pull's complete read moves it.
 */
const SECRET = 'linear-hook-secret'
const ORG = `email,name,manager_email,title
dana@x.io,Dana,,Director
eng@x.io,Eve,dana@x.io,EM
plat@x.io,Pat,dana@x.io,EM
e1@x.io,Ed,eng@x.io,Engineer
p1@x.io,Pia,plat@x.io,Engineer
`
const U = { ed: 'u-ed-0001', eve: 'u-eve-0002', dana: 'u-dana-0004' } as const
const SEED: LinearSeed = {
  users: [
    { id: U.ed, name: 'Ed', email: 'e1@x.io' },
    { id: U.eve, name: 'Eve', email: 'eng@x.io' },
    { id: U.dana, name: 'Dana', email: 'dana@x.io' },
  ],
  teams: [{ id: 't-eng', key: 'ENG', name: 'Engineering' }],
  states: [
    { id: 's-todo', teamId: 't-eng', name: 'Todo', type: 'unstarted' },
    { id: 's-done', teamId: 't-eng', name: 'Done', type: 'completed' },
  ],
  labels: [{ id: 'l-decision', name: 'decision' }],
  issues: [],
}
const iso = (day: number, hour = 9) => new Date(Date.UTC(2026, 6, day, hour)).toISOString()
const configWith = (expectedDecider?: string): OrgpulseConfig =>
  configSchema.parse({
    linear: { teams: { ENG: 'u:eng@x.io' }, ...(expectedDecider ? { decisions: { expectedDecider } } : {}) },
  })

const work = mkdtempSync(join(tmpdir(), 'orgpulse-expected-linear-'))
let fake: FakeLinear
let created: WebhookBody

async function open(config: OrgpulseConfig, name: string) {
  const dataDir = join(work, name)
  const p: EmbeddedPipeline = await startEmbeddedPipeline(config, name, { dataDir })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  const env = parseEnv({
    LINEAR_API_KEY: fake.apiKey,
    LINEAR_API_URL: fake.url,
    LINEAR_WEBHOOK_SECRET: SECRET,
  })
  // this api has only the webhook secret: ids resolve through the pull's directory alone
  const app = await buildApp({
    client: p.client,
    bus: p.bus,
    config,
    flush: p.flush,
    auth: 'none',
    env: parseEnv({ LINEAR_WEBHOOK_SECRET: SECRET }),
  })
  // `ingest linear` as the CLI runs it
  const pull = async () => {
    await linearConnector.sync({
      mode: 'embedded',
      dataDir,
      config,
      env,
      client: p.client,
      bus: p.bus,
      log: { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<
        typeof linearConnector.sync
      >[0]['log'],
      flush: p.flush,
      durable: () => p.durable(),
    })
    await p.flush()
  }
  const deliver = async (body: WebhookBody) => {
    const signed = fake.signWebhook(body, SECRET)
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/linear',
      headers: signed.headers,
      payload: signed.payload,
    })
    expect(res.statusCode).toBe(200)
    await p.flush()
  }
  const decisions = async (query = '') => {
    const res = await app.inject({ method: 'GET', url: `/v1/orgs/dana@x.io/decisions?limit=1000${query}` })
    expect([res.statusCode, res.statusCode === 200 ? '' : res.body]).toEqual([200, ''])
    return (res.json() as { decisions: { id: string; expectedDecider: string | null }[] }).decisions
  }
  return {
    p,
    app,
    pull,
    deliver,
    expectedOf: async () => Object.fromEntries((await decisions()).map((d) => [d.id, d.expectedDecider])),
    waitingOn: async (email: string) => (await decisions(`&waitingOn=${email}`)).map((d) => d.id),
  }
}

beforeAll(async () => {
  fake = await startFakeLinear(SEED)
}, 60_000)
afterAll(async () => {
  await fake?.close()
})

describe('Linear: the assignee is the expected decider', () => {
  let s: Awaited<ReturnType<typeof open>>
  beforeAll(async () => {
    s = await open(configWith(), 'assignee')
    // the user directory first (nothing in the team yet), as `ingest linear` writes it
    await s.pull()
    created = fake.model.createIssue(
      {
        id: 'i-eng-1',
        teamId: 't-eng',
        number: 1,
        title: 'Pick a queue',
        stateId: 's-todo',
        labelIds: ['l-decision'],
        assigneeId: U.dana,
      },
      { actorId: U.ed, at: iso(2) },
    )
    await s.deliver(created)
  }, 180_000)
  afterAll(async () => {
    await s?.app.close()
    await s?.p.stop()
  })

  it('a delivery naming the assignee by assigneeId only resolves through the directory', async () => {
    expect(created.data).toMatchObject({ assigneeId: U.dana })
    expect(created.data).not.toHaveProperty('assignee')
    expect(await s.expectedOf()).toEqual({ 'linear:i-eng-1': 'dana@x.io' })
    expect(await s.waitingOn('dana@x.io')).toEqual(['linear:i-eng-1'])
  })

  it('a reassignment moves it at the next pull (GraphQL Issue.assignee), the call ends the wait', async () => {
    await s.deliver(fake.model.assign('i-eng-1', U.eve, { actorId: U.ed, at: iso(3) }))
    await s.pull()
    expect(await s.expectedOf()).toEqual({ 'linear:i-eng-1': 'eng@x.io' })
    expect(await s.waitingOn('dana@x.io')).toEqual([])
    expect(await s.waitingOn('eng@x.io')).toEqual(['linear:i-eng-1'])
    await s.deliver(fake.model.moveIssue('i-eng-1', 's-done', { actorId: U.eve, at: iso(4) }))
    expect(await s.waitingOn('eng@x.io')).toEqual([])
  })
})

describe('Linear: `none` names nobody', () => {
  it('not even the assignee', async () => {
    const s = await open(configWith('none'), 'none')
    try {
      await s.pull()
      expect(await s.expectedOf()).toEqual({ 'linear:i-eng-1': null })
    } finally {
      await s.app.close()
      await s.p.stop()
    }
  }, 180_000)
})
