import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CursorStore, queryRows } from '@orgpulse/clickhouse'
import { createJiraClient, syncJira } from '@orgpulse/connector-jira'
import { configSchema, eventId, type OrgpulseConfig, parseEnv } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira, type WebhookPayload } from '@orgpulse/fakes/jira'
import { computeOrgMetrics } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'
import { expectFigures, markJiraProjectsSynced } from './dependency-figures.ts'

/**
 * A site whose changelog records no links (issue 16, item 3: the fake Jira's
 * `issuelink-unrecorded` mode): link changes reach orgpulse only as `issuelink_created` /
 * `issuelink_deleted`, and a poll sees only the links that exist now, in `issuelinks`, with no
 * history to date them. Through the api's signed Jira webhook route with the credentials set, then
 * a full poll. The deliveries are keyed by the Jira link id; the poll keys the links it finds the
 * same way (both sides), dated by the issues' creation, an older version that the delivery's
 * real time outranks: one row per link change, and the figures stay as the deliveries set them.
 *
 * Org: dana (director) → amy (APP), ben (BILL), cal (CORE). Window [2026-07-01, 2026-08-01), ages
 * at 08-01 00:00; issues created 06-01 09:00. Links (blocker → blocked):
 * - U1 CORE-1 → APP-1: made 07-02, open: 30 d (61.625 d if the poll's creation date won).
 * - U2 APP-2 → BILL-2: made 07-03, removed 07-08 (the poll never sees it): 5 d.
 * Director: open 1, p50 = p90 = 30; first resolved in the window U2 ✓ → 1; blocked item-days
 *   APP-1 30 + BILL-2 5 = 35.
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

const work = mkdtempSync(join(tmpdir(), 'orgpulse-issuelink-unrecorded-'))
let p: EmbeddedPipeline
let app: Awaited<ReturnType<typeof buildApp>>
let jira: FakeJira
let config: OrgpulseConfig
let hookUrl: string
const answers: number[] = []
const linkIds: string[] = []
const env = parseEnv({
  JIRA_WEBHOOK_SECRET: SECRET,
  JIRA_EMAIL: 'bot@example.com',
  JIRA_API_TOKEN: 'api-token',
})

async function post(payloads: WebhookPayload[]): Promise<void> {
  for (const payload of payloads) {
    const res = await jira.deliver(hookUrl, payload, { secret: SECRET })
    answers.push(res.status)
  }
}

const dependencyRows = () =>
  queryRows<{ id: string; link_id: string; type: string; reason: string; at: string }>(
    p.client,
    `SELECT id, link_id, type, reason, toString(occurred_at) AS at FROM dependency_events FINAL
     ORDER BY link_id, occurred_at, type, reason, id`,
  )
const line = (r: { link_id: string; at: string; type: string; reason: string }) =>
  `${r.link_id} ${r.at.slice(0, 16)} ${r.type.slice(11)} ${r.reason}`.trim()

beforeAll(async () => {
  jira = await startFakeJira({
    users: [{ accountId: by, displayName: 'Ada', emailAddress: 'a1@x.io' }],
    projects: [{ key: 'APP' }, { key: 'BILL' }, { key: 'CORE' }],
    issues: ['APP-1', 'APP-2', 'BILL-2', 'CORE-1'].map((key) => ({
      key,
      reporter: by,
      created: '2026-06-01T09:00:00.000Z',
    })),
    linkEvents: 'issuelink-unrecorded',
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
  p = await startEmbeddedPipeline(config, 'issuelink-unrecorded', { dataDir: join(work, 'data') })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  app = await buildApp({ client: p.client, bus: p.bus, config, flush: p.flush, auth: 'none', env })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/webhooks/jira`

  for (const change of [
    jira.link('CORE-1', 'APP-1', { by, at: at(7, 2) }),
    jira.link('APP-2', 'BILL-2', { by, at: at(7, 3) }),
    jira.unlink('APP-2', 'BILL-2', { by, at: at(7, 8) }),
  ]) {
    linkIds.push(String((change.issueLink.issueLink as { id: number }).id))
    await post(change.deliveries)
  }

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
  expectFigures(m, [1, 30, 30, 1, 35])
}

let webhookRows: Awaited<ReturnType<typeof dependencyRows>> = []

describe('a site whose changelog records no links', () => {
  it('the deliveries alone make and remove the links, keyed by the Jira link id', async () => {
    expect(new Set(answers)).toEqual(new Set([202]))
    webhookRows = await dependencyRows()
    expect(webhookRows.map(line)).toEqual([
      'jira:APP-2/blocks/BILL-2 2026-07-03 00:00 linked',
      'jira:APP-2/blocks/BILL-2 2026-07-08 00:00 resolved unlinked',
      'jira:CORE-1/blocks/APP-1 2026-07-02 00:00 linked',
    ])
    expect(webhookRows.find((r) => r.link_id === 'jira:CORE-1/blocks/APP-1')!.id).toBe(
      eventId('jira', 'jira:CORE-1/blocks/APP-1', `linked:link:${linkIds[0]}`),
    )
    await expectWindow()
  })

  it('a full poll finds the link that exists under the same id, and the delivery keeps its date', async () => {
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
    expect(await dependencyRows()).toEqual(webhookRows)
    await expectWindow()
  })
})
