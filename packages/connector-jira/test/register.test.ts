import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClickHouse, queryRows } from '@orgpulse/clickhouse'
import type { RawEnvelope } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orgpulseWithEnv } from '../../../test/setup/cli.ts'
import { jiraWebhookRoutes, registerJiraWebhook } from '../src/index.ts'
import { clientFor, jiraConfig, seed, tempDir, USERS } from './fixtures.ts'

/**
 * Webhook registration and deletions seen by polling, through the CLI as a user runs it
 * (embedded mode, a separate process, env pointing at the fake Jira): `ingest jira` registers
 * the admin webhook once, `ingest watch --once` finds it registered, and issues deleted while no
 * webhook reached orgpulse stop being open decisions and open blockers on the next pull.
 */

const dir = tempDir('jira-register')
const dataDir = join(dir, 'data')
const configFile = join(dir, 'orgpulse.yaml')
const PUBLIC_URL = 'https://orgpulse.example.test'
const SECRET = 'registered-secret'
let fake: FakeJira

const orgpulse = orgpulseWithEnv

const writeConfig = (file: string, webhook: Record<string, unknown> = {}) =>
  // JSON is YAML: the config names env variables, never secrets
  writeFileSync(
    file,
    JSON.stringify({
      jira: {
        projects: ['ENG', 'OPS'],
        teams: [
          { team: 'u:erin@acme.test', projects: ['ENG'] },
          { team: 'u:olga@acme.test', projects: ['OPS'] },
        ],
        sync: { sprints: false },
        webhook,
      },
    }),
  )

const env = (url = fake.url) => ({
  JIRA_BASE_URL: url,
  JIRA_EMAIL: 'bot@example.com',
  JIRA_API_TOKEN: 'api-token',
  JIRA_WEBHOOK_SECRET: SECRET,
  ORGPULSE_API_PUBLIC_URL: PUBLIC_URL,
})
const ingest = (extra: Record<string, string> = {}, config = configFile, data = dataDir) =>
  orgpulse(['ingest', 'jira', '--data-dir', data, '--config', config], { ...env(), ...extra })

beforeAll(async () => {
  fake = await startFakeJira(seed())
  writeConfig(configFile)
  // a cross-team blocker and a second blocker inside ENG, seen by the first pull
  fake.link('ENG-1', 'OPS-1', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 7, 10) })
  fake.link('ENG-2', 'ENG-4', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 7, 11) })
})
afterAll(async () => {
  await fake?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('Jira webhook registration (admin webhook, /rest/webhooks/1.0/webhook)', () => {
  it('`ingest jira` registers it once with the secret; `ingest watch --once` finds it already registered', async () => {
    const first = await ingest()
    expect(first.stderr).not.toMatch(/error/i)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`jira webhook: registered (admin webhook 1 → ${PUBLIC_URL}/webhooks/jira)`)
    const hooks = fake.adminWebhooks()
    expect(hooks).toHaveLength(1)
    expect(hooks[0]).toMatchObject({
      name: 'orgpulse',
      url: `${PUBLIC_URL}/webhooks/jira`,
      filters: { 'issue-related-events-section': 'project in (ENG, OPS)' },
      secret: SECRET,
      excludeBody: false,
    })
    expect([...hooks[0]!.events].sort()).toEqual([
      'issuelink_created',
      'issuelink_deleted',
      'jira:issue_created',
      'jira:issue_deleted',
      'jira:issue_updated',
    ])

    const round = await orgpulse(
      ['ingest', 'watch', '--once', '--data-dir', dataDir, '--config', configFile],
      env(),
    )
    expect(round.code).toBe(0)
    expect(round.stdout).toContain(
      `jira webhook: already registered (admin webhook 1 → ${PUBLIC_URL}/webhooks/jira)`,
    )
    expect(fake.adminWebhooks()).toHaveLength(1)
    expect(fake.count('/rest/webhooks/1.0/webhook', 'POST')).toBe(1)
  }, 180_000)

  it('a changed project list updates the webhook in place instead of adding one', async () => {
    const narrowed = join(dir, 'eng-only.yaml')
    writeFileSync(
      narrowed,
      JSON.stringify({
        jira: {
          projects: ['ENG'],
          teams: [{ team: 'u:erin@acme.test', projects: ['ENG'] }],
          sync: { sprints: false, reconcileDeletions: false },
        },
      }),
    )
    const run = await ingest({}, narrowed, join(dir, 'eng-data'))
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('jira webhook: updated (admin webhook 1')
    expect(fake.adminWebhooks()).toHaveLength(1)
    expect(fake.adminWebhooks()[0]!.filters).toEqual({ 'issue-related-events-section': 'project in (ENG)' })
    // back to both projects for the tests below
    expect((await ingest()).stdout).toContain('jira webhook: updated (admin webhook 1')
  }, 180_000)

  it('says why it is off: no secret, no public URL, not an administrator, dynamic asked for', async () => {
    const noSecret = await ingest({ JIRA_WEBHOOK_SECRET: '' })
    expect(noSecret.code).toBe(0)
    expect(noSecret.stdout).toContain('jira webhook: off: set JIRA_WEBHOOK_SECRET')
    const noUrl = await ingest({ ORGPULSE_API_PUBLIC_URL: '' })
    expect(noUrl.stdout).toContain(
      'jira webhook: off: no public URL for Jira to call: set jira.webhook.url or ORGPULSE_API_PUBLIC_URL',
    )

    const plain = await startFakeJira(seed({ siteAdmin: false }))
    try {
      const notAdmin = await orgpulse(
        ['ingest', 'jira', '--data-dir', join(dir, 'plain-data'), '--config', configFile],
        env(plain.url),
      )
      // the poll still runs: registration is reported, never fatal
      expect(notAdmin.code).toBe(0)
      expect(notAdmin.stdout).toContain(
        'jira webhook: off: the Jira account is not a Jira administrator (403 on /rest/webhooks/1.0/webhook)',
      )
      expect(notAdmin.stdout).toMatch(/jira ENG: full sync/)
      expect(plain.adminWebhooks()).toEqual([])
    } finally {
      await plain.close()
    }

    const dynamic = join(dir, 'dynamic.yaml')
    writeConfig(dynamic, { registration: 'dynamic' })
    const dyn = await ingest({}, dynamic, join(dir, 'dyn-data'))
    expect(dyn.code).toBe(0)
    expect(dyn.stdout).toContain(
      'jira webhook: off: dynamic webhooks (/rest/api/3/webhook, 30-day expiry, JWT-signed) can only be registered by an OAuth 2.0 or Connect app',
    )
    expect(fake.count('/rest/api/3/webhook')).toBe(0)
  }, 240_000)
})

describe('Jira deletions seen by polling', () => {
  const open = async () => {
    const client = createClickHouse({ dataDir })
    try {
      const decisions = await queryRows<{ decision_id: string; last: string }>(
        client,
        `SELECT decision_id, argMax(type, tuple(occurred_at, version)) AS last
         FROM decision_events FINAL WHERE source = 'jira' GROUP BY decision_id ORDER BY decision_id`,
      )
      const links = await queryRows<{ link_id: string; last: string; reason: string }>(
        client,
        `SELECT link_id, argMax(type, tuple(occurred_at, version)) AS last,
           argMax(reason, tuple(occurred_at, version)) AS reason
         FROM dependency_events FINAL WHERE source = 'jira' GROUP BY link_id ORDER BY link_id`,
      )
      return { decisions, links }
    } finally {
      await client.close()
    }
  }

  it('issues deleted with no webhook stop being open decisions and blockers after the next pull', async () => {
    const before = await open()
    expect(before.decisions).toEqual([{ decision_id: 'jira:ENG-3', last: 'decision.raised' }])
    expect(before.links).toEqual([
      { link_id: 'jira:ENG-1/blocks/OPS-1', last: 'dependency.linked', reason: '' },
      { link_id: 'jira:ENG-2/blocks/ENG-4', last: 'dependency.linked', reason: '' },
    ])

    // deleted in Jira; the webhook payloads are dropped, as when no webhook was registered
    fake.deleteIssue('ENG-3', { by: USERS.erin.accountId })
    fake.deleteIssue('OPS-1', { by: USERS.olga.accountId })
    const run = await ingest()
    expect(run.code).toBe(0)
    // ENG: the decision ENG-3 and the blocker ENG-1 asked about (ENG-2 and ENG-4, re-read inside
    // the cursor's lag, are known to exist), in one bulk request plus one confirming the deletion
    expect(run.stdout).toMatch(/jira ENG: .*; 1 of 2 open item\(s\) deleted in Jira \(2 request\(s\)\)/)
    expect(run.stdout).toMatch(/jira OPS: .*; 1 of 1 open item\(s\) deleted in Jira \(2 request\(s\)\)/)

    const after = await open()
    expect(after.decisions).toEqual([{ decision_id: 'jira:ENG-3', last: 'decision.withdrawn' }])
    expect(after.links).toEqual([
      { link_id: 'jira:ENG-1/blocks/OPS-1', last: 'dependency.resolved', reason: 'unlinked' },
      { link_id: 'jira:ENG-2/blocks/ENG-4', last: 'dependency.linked', reason: '' },
    ])

    // nothing is open behind a deleted issue any more: the next pull has nothing to ask about
    const before2 = fake.count('/rest/api/3/issue/bulkfetch', 'POST')
    const again = await ingest()
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/deleted in Jira/)
    expect(fake.count('/rest/api/3/issue/bulkfetch', 'POST')).toBe(before2)
  }, 180_000)

  it('on Data Center: `key in (...)` searches that tolerate the deleted key, then the same events', async () => {
    const dc = await startFakeJira(seed({ flavor: 'datacenter' }))
    const dcConfig = join(dir, 'dc.yaml')
    const dcData = join(dir, 'dc-data')
    writeFileSync(
      dcConfig,
      JSON.stringify({
        jira: {
          deployment: 'datacenter',
          projects: ['ENG'],
          teams: [{ team: 'u:erin@acme.test', projects: ['ENG'] }],
          sync: { sprints: false },
        },
      }),
    )
    const dcEnv = { JIRA_BASE_URL: dc.url, JIRA_PAT: 'pat-token', JIRA_WEBHOOK_SECRET: '' }
    const run = (extra: Record<string, string> = {}) =>
      orgpulse(['ingest', 'jira', '--data-dir', dcData, '--config', dcConfig], { ...dcEnv, ...extra })
    try {
      expect((await run()).code).toBe(0)
      // an hour on, so the next pull's lag window does not re-read it
      dc.transition('ENG-1', 'In Progress', { by: USERS.erin.accountId, at: Date.UTC(2026, 2, 8, 12) })
      dc.deleteIssue('ENG-3', { by: USERS.erin.accountId })
      const second = await run()
      expect(second.code).toBe(0)
      expect(second.stdout).toMatch(/jira ENG: .*; 1 of 1 open item\(s\) deleted in Jira \(2 request\(s\)\)/)
      const client = createClickHouse({ dataDir: dcData })
      try {
        expect(
          await queryRows(
            client,
            `SELECT argMax(type, tuple(occurred_at, version)) AS last FROM decision_events FINAL
             WHERE decision_id = 'jira:ENG-3'`,
          ),
        ).toEqual([{ last: 'decision.withdrawn' }])
      } finally {
        await client.close()
      }
    } finally {
      await dc.close()
    }
  }, 180_000)
})

describe('the registered admin webhook, delivering', () => {
  it('Jira signs its deliveries with the registered secret: the webhook route accepts them', async () => {
    const jira = await startFakeJira(seed())
    const published: RawEnvelope[][] = []
    const app = Fastify()
    await app.register(jiraWebhookRoutes, {
      secret: SECRET,
      publish: async (envelopes) => {
        published.push(envelopes)
      },
    })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const config = jiraConfig({ webhook: { url: base } })
    const named = { named: (n: string) => ({ JIRA_WEBHOOK_SECRET: SECRET })[n] }
    try {
      const r = await registerJiraWebhook({ client: clientFor(jira.url), config, env: named })
      expect(r).toEqual({ state: 'registered', url: `${base}/webhooks/jira`, id: '1' })
      const [res] = await jira.deliverToRegistered(
        jira.transition('ENG-1', 'In Progress', { by: USERS.ivan.accountId }),
      )
      expect(res!.status).toBe(202)
      expect(published.flat().map((e) => e.sourceId)).toEqual(['ENG-1'])

      // paused by an administrator: reported, and left paused
      jira.setAdminWebhookEnabled(1, false)
      const paused = await registerJiraWebhook({ client: clientFor(jira.url), config, env: named })
      expect(paused).toEqual({
        state: 'off',
        reason: `admin webhook 1 for ${base}/webhooks/jira is disabled in Jira; enable it there (Jira settings → System → WebHooks)`,
      })
      expect(jira.adminWebhooks()[0]!.enabled).toBe(false)
      expect(jira.count('/rest/webhooks/1.0/webhook', 'PUT')).toBe(0)
    } finally {
      await app.close()
      await jira.close()
    }
  })
})
