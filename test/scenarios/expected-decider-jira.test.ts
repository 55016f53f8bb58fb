import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CursorStore } from '@orgpulse/clickhouse'
import { createJiraClient, syncJira } from '@orgpulse/connector-jira'
import { configSchema, type OrgpulseConfig, parseEnv } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { importOrg, unresolvedIdentities } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'

/**
 * Jira decision items' expected decider (issue 18 item 3): the assignee by default, nobody, or a
 * user-picker custom field, per `jira.decisions.expectedDecider`. The fake renders users as Jira
 * Cloud does (accountId, displayName, emailAddress only when the profile shows it); Hana's email
 * is hidden, so her issues name her `jira:<accountId>`, which `identities.aliases` maps to her.
 *
 * Org: dana (director) ─┬─ erin ── ivan
 *                       └─ hana (email hidden in Jira)
 * ENG-1 Decision, reporter ivan, assignee hana, Approver (customfield_10050) dana
 * ENG-2 Decision, reporter ivan, assignee erin
 * ENG-3 Task (not a decision), assignee dana
 */
const ORG = `email,name,manager_email,title
dana@acme.test,Dana,,Director
erin@acme.test,Erin,dana@acme.test,EM
hana@acme.test,Hana,dana@acme.test,EM
ivan@acme.test,Ivan,erin@acme.test,Engineer
hal@acme.test,Hal,hana@acme.test,Engineer
`
const HANA = '5b10ac8d82e05b22cc7d4ef5'
const USERS = [
  { accountId: 'acc-dana', displayName: 'Dana', emailAddress: 'dana@acme.test' },
  { accountId: 'acc-erin', displayName: 'Erin', emailAddress: 'erin@acme.test' },
  { accountId: 'acc-ivan', displayName: 'Ivan', emailAddress: 'ivan@acme.test' },
  // Jira hides her email: only the account id is known
  { accountId: HANA, displayName: 'Hana' },
]
const day = (d: number, h = 9) => new Date(Date.UTC(2026, 2, d, h)).toISOString()
const APPROVER = 'customfield_10050'

function configWith(expectedDecider?: string): OrgpulseConfig {
  return configSchema.parse({
    jira: {
      projects: ['ENG'],
      teams: [{ team: 'u:erin@acme.test', projects: ['ENG'] }],
      ...(expectedDecider ? { decisions: { expectedDecider } } : {}),
    },
    identities: { aliases: [{ identity: `jira:${HANA}`, email: 'hana@acme.test' }] },
  })
}

let fake: FakeJira
const work = mkdtempSync(join(tmpdir(), 'orgpulse-expected-jira-'))

/** one `ingest jira` run: the connector's client (from config and env), a pull, into the pipeline */
async function pull(p: EmbeddedPipeline, config: OrgpulseConfig, full = false): Promise<void> {
  const jira = { ...config.jira!, baseUrl: fake.url }
  const env = parseEnv({ JIRA_EMAIL: 'bot@example.com', JIRA_API_TOKEN: 'api-token' })
  await syncJira({
    client: createJiraClient(jira, { env }).client,
    bus: p.bus,
    cursors: new CursorStore(p.client),
    durable: () => p.durable(),
    config: jira,
    instance: fake.url,
    full,
  })
  await p.flush()
}

async function open(config: OrgpulseConfig, name: string) {
  const p = await startEmbeddedPipeline(config, name, { dataDir: join(work, name) })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01', config })
  const app = await buildApp({
    client: p.client,
    bus: p.bus,
    config,
    flush: p.flush,
    auth: 'none',
    env: parseEnv({}),
  })
  const decisions = async (query = '') => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/orgs/dana@acme.test/decisions?limit=1000${query}`,
    })
    expect([res.statusCode, res.statusCode === 200 ? '' : res.body]).toEqual([200, ''])
    return (res.json() as { decisions: { id: string; expectedDecider: string | null }[] }).decisions
  }
  return {
    p,
    app,
    expectedOf: async () => Object.fromEntries((await decisions()).map((d) => [d.id, d.expectedDecider])),
    waitingOn: async (email: string) => (await decisions(`&waitingOn=${email}`)).map((d) => d.id),
  }
}

beforeAll(async () => {
  fake = await startFakeJira({
    users: USERS,
    projects: [{ key: 'ENG', name: 'Engineering' }],
    issues: [
      {
        key: 'ENG-1',
        type: 'Decision',
        summary: 'Adopt Kafka?',
        reporter: 'acc-ivan',
        assignee: HANA,
        userFields: { [APPROVER]: 'acc-dana' },
        created: day(2),
      },
      {
        key: 'ENG-2',
        type: 'Decision',
        summary: 'Pick a queue',
        reporter: 'acc-ivan',
        assignee: 'acc-erin',
        created: day(3),
      },
      { key: 'ENG-3', summary: 'Refactor', reporter: 'acc-ivan', assignee: 'acc-dana', created: day(4) },
    ],
  })
}, 60_000)

afterAll(async () => {
  await fake?.close()
})

describe('Jira: the assignee is the expected decider by default', () => {
  let s: Awaited<ReturnType<typeof open>>
  beforeAll(async () => {
    s = await open(configWith(), 'assignee')
    await pull(s.p, configWith())
  }, 180_000)
  afterAll(async () => {
    await s?.app.close()
    await s?.p.stop()
  })

  it('an assignee whose email Jira hides resolves through the identity alias', async () => {
    expect(await s.expectedOf()).toEqual({ 'jira:ENG-1': 'hana@acme.test', 'jira:ENG-2': 'erin@acme.test' })
    expect(await s.waitingOn('hana@acme.test')).toEqual(['jira:ENG-1'])
    expect(await s.waitingOn('erin@acme.test')).toEqual(['jira:ENG-2'])
    // ENG-3 is assigned to dana but is no decision
    expect(await s.waitingOn('dana@acme.test')).toEqual([])
    expect((await unresolvedIdentities(s.p.client)).map((u) => u.identity)).not.toContain(`jira:${HANA}`)
  })

  it('a reassignment moves it, unassigning clears it, and a decision made waits on nobody', async () => {
    fake.assign('ENG-1', 'acc-erin', { by: 'acc-ivan', at: Date.UTC(2026, 2, 10, 9) })
    fake.assign('ENG-2', null, { by: 'acc-erin', at: Date.UTC(2026, 2, 10, 10) })
    await pull(s.p, configWith())
    expect(await s.expectedOf()).toEqual({ 'jira:ENG-1': 'erin@acme.test', 'jira:ENG-2': null })
    expect(await s.waitingOn('hana@acme.test')).toEqual([])
    expect(await s.waitingOn('erin@acme.test')).toEqual(['jira:ENG-1'])
    fake.transition('ENG-1', 'Decided', { by: 'acc-erin', at: Date.UTC(2026, 2, 11, 9) })
    await pull(s.p, configWith())
    expect(await s.waitingOn('erin@acme.test')).toEqual([])
    expect((await s.expectedOf())['jira:ENG-1']).toBe('erin@acme.test')
  })
})

describe('Jira: a user-picker custom field, or nobody, when configured', () => {
  let s: Awaited<ReturnType<typeof open>>
  beforeAll(async () => {
    s = await open(configWith(APPROVER), 'custom-field')
    await pull(s.p, configWith(APPROVER))
  }, 180_000)
  afterAll(async () => {
    await s?.app.close()
    await s?.p.stop()
  })

  it('reads the configured field (the client asks Jira for it)', async () => {
    expect(await s.expectedOf()).toEqual({ 'jira:ENG-1': 'dana@acme.test', 'jira:ENG-2': null })
    fake.setUserField('ENG-2', APPROVER, HANA, {
      by: 'acc-ivan',
      at: Date.UTC(2026, 2, 12, 9),
      fieldName: 'Approver',
    })
    await pull(s.p, configWith(APPROVER))
    expect(await s.waitingOn('hana@acme.test')).toEqual(['jira:ENG-2'])
  })

  it('`none` names nobody', async () => {
    await s.app.close()
    await s.p.stop()
    s = await open(configWith('none'), 'none')
    await pull(s.p, configWith('none'))
    expect(Object.values(await s.expectedOf())).toEqual([null, null])
  })
})
