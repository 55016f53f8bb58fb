import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CursorStore, queryRows } from '@orgpulse/clickhouse'
import { createJiraClient, syncJira } from '@orgpulse/connector-jira'
import { configSchema, type OrgpulseConfig, parseEnv } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira, type WebhookPayload } from '@orgpulse/fakes/jira'
import { computeOrgMetrics } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'
import { expectFigures, markJiraProjectsSynced } from './dependency-figures.ts'

/**
 * Blocking links delivered as `issuelink_created` / `issuelink_deleted` (issue 16, item 3), through
 * the api's signed Jira webhook route, with the credentials set so the route can read the linked
 * issues back (the delivery names them by numeric id only:
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/, "Issue link events"). The fake
 * Jira runs in both of its link modes: `issuelink` (only issuelink_* fires, as Jira Server/DC
 * documents linking; the Link changelog items are still recorded, which the poll sees) and `both`
 * (issuelink_* and each side's jira:issue_updated). Status changes fire jira:issue_updated in
 * both modes. Hand-computed (DESIGN "A blocking link": each link counted once, whichever side or
 * path reported it), then a full poll of the same issues must change no figure, and every
 * dependency event the webhooks produced is one the poll produces too (same id, time, teams).
 *
 * Org: dana (director) → amy (APP), ben (BILL), cal (CORE). Window [2026-07-01, 2026-08-01),
 * ages at 08-01 00:00. Links (blocker → blocked):
 * - L1 CORE-1 → APP-1, `issuelink`: made 07-02, open: 30 d.
 * - L2 APP-2 → BILL-2, `issuelink`: made 07-03, removed 07-08 (issuelink_deleted only): 5 d.
 * - L3 BILL-3 → CORE-3, `issuelink`: made 07-05; BILL-3 Done 07-09 (issue_updated): 4 d.
 * - L4 APP-4 → CORE-4, `both`: made 07-10, open: 22 d.
 * - L5 CORE-5 → BILL-5, `both`: made 07-11, removed 07-28: 17 d (> 14).
 * - L6 APP-6 → BILL-6, `issuelink`: made 07-12 while APP-6 is Done (since 06-20): resolved at
 *   once, a zero-length interval: no link.
 * - R  APP-7 relates to CORE-7, `issuelink`: not a blocking type, ignored.
 * Director: open L1 30, L4 22 → 2; p50 26; p90 (pos 0.9) 22 + 0.9 × 8 = 29.2; first resolved in
 *   the window L2 ✓, L3 ✓, L5 ✗ → 2/3; blocked item-days APP-1 30 + BILL-2 5 + CORE-3 4 + CORE-4 22
 *   + BILL-5 17 = 78.
 * Team amy (APP: L1 blocked, L2 blocker, L4 blocker): open L1, L4 → 2, 26, 29.2; resolved L2 → 1;
 *   blocked APP-1 30.
 */
const SECRET = 'jira-webhook-secret'
const ORG = `email,name,manager_email,title
dana@x.io,Dana,,Director
amy@x.io,Amy,dana@x.io,EM
ben@x.io,Ben,dana@x.io,EM
cal@x.io,Cal,dana@x.io,EM
a1@x.io,Ada,amy@x.io,Engineer
b1@x.io,Bob,ben@x.io,Engineer
c1@x.io,Cy,cal@x.io,Engineer
`
const at = (month: number, day: number, hour = 0) => Date.UTC(2026, month - 1, day, hour)
const by = 'acc-a1'

const work = mkdtempSync(join(tmpdir(), 'orgpulse-issuelink-'))
let p: EmbeddedPipeline
let app: Awaited<ReturnType<typeof buildApp>>
let jira: FakeJira
let config: OrgpulseConfig
let hookUrl: string
const answers: { status: number; event: string }[] = []
const env = parseEnv({
  JIRA_WEBHOOK_SECRET: SECRET,
  JIRA_EMAIL: 'bot@example.com',
  JIRA_API_TOKEN: 'api-token',
})

async function post(payloads: WebhookPayload[]): Promise<void> {
  for (const payload of payloads) {
    const res = await jira.deliver(hookUrl, payload, { secret: SECRET })
    answers.push({ status: res.status, event: payload.webhookEvent })
  }
}

const dependencyRows = () =>
  queryRows<{ id: string; link_id: string; type: string; reason: string; at: string }>(
    p.client,
    `SELECT id, link_id, type, reason, toString(occurred_at) AS at FROM dependency_events FINAL
     ORDER BY link_id, occurred_at, type, reason, id`,
  )

beforeAll(async () => {
  const keys = ['APP', 'BILL', 'CORE'].flatMap((project) =>
    [1, 2, 3, 4, 5, 6, 7].map((n) => `${project}-${n}`),
  )
  jira = await startFakeJira({
    users: [{ accountId: by, displayName: 'Ada', emailAddress: 'a1@x.io' }],
    projects: [{ key: 'APP' }, { key: 'BILL' }, { key: 'CORE' }],
    issues: keys.map((key) => ({ key, reporter: by, created: '2026-06-01T09:00:00.000Z' })),
    linkEvents: 'issuelink',
    now: () => at(6, 1, 9),
  })
  config = configSchema.parse({
    jira: {
      baseUrl: jira.url,
      projects: ['APP', 'BILL', 'CORE'],
      teams: [
        { team: 'u:amy@x.io', projects: ['APP'] },
        { team: 'u:ben@x.io', projects: ['BILL'] },
        { team: 'u:cal@x.io', projects: ['CORE'] },
      ],
    },
  })
  p = await startEmbeddedPipeline(config, 'issuelink', { dataDir: join(work, 'data') })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  app = await buildApp({ client: p.client, bus: p.bus, config, flush: p.flush, auth: 'none', env })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/webhooks/jira`

  await post([jira.transition('APP-6', 'Done', { by, at: at(6, 20) })])
  await post(jira.link('CORE-1', 'APP-1', { by, at: at(7, 2) }).deliveries)
  await post(jira.link('APP-2', 'BILL-2', { by, at: at(7, 3) }).deliveries)
  await post(jira.link('BILL-3', 'CORE-3', { by, at: at(7, 5) }).deliveries)
  await post(jira.unlink('APP-2', 'BILL-2', { by, at: at(7, 8) }).deliveries)
  await post([jira.transition('BILL-3', 'Done', { by, at: at(7, 9) })])
  await post(jira.link('APP-4', 'CORE-4', { by, at: at(7, 10), events: 'both' }).deliveries)
  await post(jira.link('CORE-5', 'BILL-5', { by, at: at(7, 11), events: 'both' }).deliveries)
  await post(jira.link('APP-6', 'BILL-6', { by, at: at(7, 12) }).deliveries)
  await post(jira.link('APP-7', 'CORE-7', { by, at: at(7, 13), type: 'Relates' }).deliveries)
  await post(jira.unlink('CORE-5', 'BILL-5', { by, at: at(7, 28), events: 'both' }).deliveries)

  await markJiraProjectsSynced(p.bus)
  await p.flush()
}, 180_000)

afterAll(async () => {
  await app?.close()
  await jira?.close()
  await p?.stop()
})

async function expectWindow(): Promise<void> {
  const m = await computeOrgMetrics(p.client, config, {
    director: 'dana@x.io',
    from: '2026-07-01',
    to: '2026-08-01',
  })
  expectFigures(m, [2, 26, 29.2, 2 / 3, 78])
  const team = (id: string) => m.teams.find((t) => t.id === id)!
  expectFigures(team('u:amy@x.io'), [2, 26, 29.2, 1, 30])
}

let webhookRows: Awaited<ReturnType<typeof dependencyRows>> = []
const line = (r: { link_id: string; at: string; type: string; reason: string }) =>
  `${r.link_id} ${r.at.slice(0, 16)} ${r.type.slice(11)} ${r.reason}`.trim()

describe('blocking links delivered as issuelink_* events', () => {
  it('every delivery was accepted and published, the link events among them', () => {
    expect(answers.filter((a) => a.event.startsWith('issuelink_'))).toHaveLength(9)
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]))
  })

  it('each link change is one event from the webhooks, the one its history yields', async () => {
    webhookRows = await dependencyRows()
    // `both`: the issuelink_* event and the blocker's issue_updated name the blocker's history
    // (one id); the blocked issue's issue_updated is that issue's own record of the change
    expect(webhookRows.map(line)).toEqual([
      'jira:APP-2/blocks/BILL-2 2026-07-03 00:00 linked',
      'jira:APP-2/blocks/BILL-2 2026-07-08 00:00 resolved unlinked',
      'jira:APP-4/blocks/CORE-4 2026-07-10 00:00 linked',
      'jira:APP-4/blocks/CORE-4 2026-07-10 00:00 linked',
      'jira:APP-6/blocks/BILL-6 2026-07-12 00:00 linked',
      'jira:APP-6/blocks/BILL-6 2026-07-12 00:00 resolved blocker_done',
      'jira:BILL-3/blocks/CORE-3 2026-07-05 00:00 linked',
      'jira:BILL-3/blocks/CORE-3 2026-07-09 00:00 resolved blocker_done',
      'jira:CORE-1/blocks/APP-1 2026-07-02 00:00 linked',
      'jira:CORE-5/blocks/BILL-5 2026-07-11 00:00 linked',
      'jira:CORE-5/blocks/BILL-5 2026-07-11 00:00 linked',
      'jira:CORE-5/blocks/BILL-5 2026-07-28 00:00 resolved unlinked',
      'jira:CORE-5/blocks/BILL-5 2026-07-28 00:00 resolved unlinked',
    ])
  })

  it('the dependency metrics count each link once', async () => {
    await expectWindow()
  })

  it('a full poll of the same issues adds no dependency event and changes no figure', async () => {
    const { client, instance } = createJiraClient(config.jira!, { env })
    await syncJira({
      client,
      bus: p.bus,
      cursors: new CursorStore(p.client),
      durable: p.durable,
      config: config.jira!,
      instance,
      full: true,
    })
    await p.flush()
    const after = await dependencyRows()
    // every webhook event is one the poll yields too: same id, time, type and reason
    const byId = new Map(after.map((r) => [r.id, r]))
    for (const r of webhookRows) expect(byId.get(r.id)).toEqual(r)
    // and what it adds is the other issue's record of the issuelink-only changes, which the
    // metrics fold into the same intervals
    expect(after.map(line)).toEqual([
      'jira:APP-2/blocks/BILL-2 2026-07-03 00:00 linked',
      'jira:APP-2/blocks/BILL-2 2026-07-03 00:00 linked',
      'jira:APP-2/blocks/BILL-2 2026-07-08 00:00 resolved unlinked',
      'jira:APP-2/blocks/BILL-2 2026-07-08 00:00 resolved unlinked',
      'jira:APP-4/blocks/CORE-4 2026-07-10 00:00 linked',
      'jira:APP-4/blocks/CORE-4 2026-07-10 00:00 linked',
      'jira:APP-6/blocks/BILL-6 2026-07-12 00:00 linked',
      'jira:APP-6/blocks/BILL-6 2026-07-12 00:00 linked',
      'jira:APP-6/blocks/BILL-6 2026-07-12 00:00 resolved blocker_done',
      'jira:BILL-3/blocks/CORE-3 2026-07-05 00:00 linked',
      'jira:BILL-3/blocks/CORE-3 2026-07-05 00:00 linked',
      'jira:BILL-3/blocks/CORE-3 2026-07-09 00:00 resolved blocker_done',
      'jira:CORE-1/blocks/APP-1 2026-07-02 00:00 linked',
      'jira:CORE-1/blocks/APP-1 2026-07-02 00:00 linked',
      'jira:CORE-5/blocks/BILL-5 2026-07-11 00:00 linked',
      'jira:CORE-5/blocks/BILL-5 2026-07-11 00:00 linked',
      'jira:CORE-5/blocks/BILL-5 2026-07-28 00:00 resolved unlinked',
      'jira:CORE-5/blocks/BILL-5 2026-07-28 00:00 resolved unlinked',
    ])
    await expectWindow()
  })

  it('without Jira credentials the route cannot read the issues back: the delivery is dead-lettered with the reason', async () => {
    const bare = await buildApp({
      client: p.client,
      bus: p.bus,
      config,
      flush: p.flush,
      auth: 'none',
      env: parseEnv({ JIRA_WEBHOOK_SECRET: SECRET }),
    })
    try {
      await bare.listen({ host: '127.0.0.1', port: 0 })
      const addr = bare.server.address()
      const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/webhooks/jira`
      const { issueLink } = jira.link('CORE-6', 'APP-5', { by, at: at(7, 30) })
      const res = await jira.deliver(url, issueLink, { secret: SECRET, deliveryId: 'no-credentials' })
      expect(res.status).toBe(202)
      await p.flush()
      const dead = await queryRows<{ reason: string; key: string }>(
        p.client,
        'SELECT reason, key FROM dlq FINAL',
      )
      expect(dead).toHaveLength(1)
      expect(dead[0]!.key).toBe(`issuelink:${String((issueLink.issueLink as { id: number }).id)}`)
      expect(dead[0]!.reason).toMatch(
        /issuelink_created .*the issues' keys are not in the envelope.*Jira credentials/,
      )
    } finally {
      await bare.close()
    }
  })
})
