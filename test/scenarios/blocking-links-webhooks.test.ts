import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configSchema, parseEnv } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira, type WebhookPayload } from '@orgpulse/fakes/jira'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'
import { expectFigures, markJiraProjectsSynced, type ScopeFigures } from './dependency-figures.ts'

/**
 * Blocking links through the Jira webhook edge of the api, hand-computed (DESIGN "A blocking
 * link", "Teams"; README "Dependencies": attributed through the org valid at the end of the
 * window). The api app is built over an embedded pipeline with JIRA_WEBHOOK_SECRET set; every
 * change is a signed `jira:issue_updated` delivery (HMAC-SHA256 of the body in X-Hub-Signature,
 * X-Atlassian-Webhook-Identifier), shaped as Atlassian documents it — timestamp, webhookEvent,
 * user, issue {id, key, fields incl. status.statusCategory and issuelinks}, changelog {id,
 * items[{field: 'Link', fieldtype: 'jira', from, fromString "This issue blocks K" | "This issue
 * is blocked by K", to, toString}]}:
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/ (payload and signature) and
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-links/ (link types).
 * The bodies are the ones the fake Jira builds for each change (packages/fakes/src/jira); only the
 * deliveries listed below are sent, so "one side only" means the other side's body is never posted.
 *
 * Org (HR snapshot 2026-01-01):        dana (director)
 *                                       ├─ sam (senior manager) ─┬─ amy (team APP)
 *                                       │                        └─ ben (team BILL)
 *                                       └─ cal (team CORE)
 * Re-org, snapshot effective 2026-07-20 (inside the window): ben reports to dana, so BILL is a
 * team directly below the director and no longer inside sam's unit.
 * Jira projects → teams: APP → u:amy, BILL → u:ben, CORE → u:cal.
 *
 * Window W = [2026-07-01, 2026-08-01), ages to 08-01 00:00 UTC. Links (blocker → blocked):
 * - L1 CORE-1 → APP-1 (cal→amy), posted only by the blocked issue: made 07-02 09:00, open:
 *   29.625 d.
 * - L2 APP-2 → BILL-2 (amy→ben), posted by both: made 07-06 09:00, open: 25.625 d.
 * - L3 BILL-3 → CORE-3 (ben→cal), made 07-03 09:00 (both); removed 07-10 09:00, posted only by
 *   the blocked CORE-3: first resolved after 7 d.
 * - L4 CORE-4 → BILL-4 (cal→ben), made 07-01 12:00 (both); CORE-4 Done 07-05 12:00; unlinked two
 *   weeks later, 07-19 12:00 (both): first resolved at Done, 4 d (not 18).
 * - L5 APP-5 → CORE-5 (amy→cal), posted by the blocker: made 07-08 00:00; APP-5 Done 07-12
 *   00:00 (4 d); reopened (In Progress) 07-24 00:00 while linked: open again, 8 d old.
 * - L6 BILL-6 → APP-6 (ben→amy), made 06-10 00:00 (both); removed 07-15 00:00, posted by the
 *   blocker only: first resolved in W after 35 d (> 14).
 * - L7 BILL-1 → APP-1 (ben→amy), made 07-10 00:00, removed 07-14 00:00 (both): 4 d, inside L1's
 *   open interval on APP-1 (the union counts those days once).
 * - L8 APP-8 → CORE-8 (amy→cal), posted by the blocker: made 07-28 00:00, open: 4 d.
 *
 * Director dana (every link), W:
 *   open L1 29.625, L2 25.625, L5 8, L8 4 → blockers_open 4; sorted 4, 8, 25.625, 29.625:
 *   p50 (pos 1.5) 8 + 0.5 × 17.625 = 16.8125; p90 (pos 2.7) 25.625 + 0.7 × 4 = 28.425.
 *   first resolved in W: L3 7 ✓, L4 4 ✓, L5 4 ✓, L6 35 ✗, L7 4 ✓ → 4/5 = 0.8.
 *   blocked item-days: APP-1 [07-02 09:00, 08-01) ∪ [07-10, 07-14) = 29.625; BILL-2 25.625;
 *   CORE-3 7; BILL-4 4; CORE-5 4 + 8 = 12; APP-6 [07-01, 07-15) = 14; CORE-8 4 → 96.25.
 * Teams at W's end (org of 07-20): u:sam@x.io (amy only), u:ben@x.io, u:cal@x.io.
 *   sam (links with an APP side: L1 L2 L5 L6 L7 L8): open 4 — the same ages as the director's
 *     (16.8125 / 28.425); resolved L5 ✓ L6 ✗ L7 ✓ → 2/3; blocked APP-1 29.625 + APP-6 14 = 43.625.
 *   ben (L2 L3 L4 L6 L7): open L2 → 1, p50 = p90 = 25.625; resolved L3 ✓ L4 ✓ L6 ✗ L7 ✓ → 0.75;
 *     blocked BILL-2 25.625 + BILL-4 4 = 29.625.
 *   cal (L1 L3 L4 L5 L8): open 4, 8, 29.625 → 3, p50 8, p90 (pos 1.8) 8 + 0.8 × 21.625 = 25.3;
 *     resolved L3 L4 L5 → 1; blocked CORE-3 7 + CORE-5 12 + CORE-8 4 = 23.
 *   (43.625 + 29.625 + 23 = 96.25: each blocked item is in one team.)
 * Worst pairs (api, W; units at W's end): amy→cal (2 links, 2 open, oldest 8, total 12) before
 *   cal→amy (1, 1, 29.625) and amy→ben (1, 1, 25.625) — open links first, then the oldest; then
 *   ben→amy (2 links, 0 open), ben→cal (1, 0), cal→ben (1, 0).
 *
 * The re-org's effect: W2 = [2026-07-01, 2026-07-13) ends before it (org of 01-01), ages to
 * 07-13 00:00. Open then: L1 10.625, L2 6.625, L6 33 (made 06-10), L7 3; L8 not made yet.
 *   teams: u:sam@x.io (amy and ben), u:cal@x.io — BILL is inside sam's unit.
 *   sam (every link has an APP or BILL side): open 4; sorted 3, 6.625, 10.625, 33: p50 (pos 1.5)
 *     8.625, p90 (pos 2.7) 10.625 + 0.7 × 22.375 = 26.2875; resolved in W2 L3 L4 L5 → 1;
 *     blocked APP-1 [07-02 09:00, 07-13) = 10.625 (L7 inside it) + BILL-2 6.625 + BILL-4 4
 *     + APP-6 12 = 33.25.
 *   cal: open L1 → 1, 10.625; resolved L3 L4 L5 → 1; blocked CORE-3 7 + CORE-5 4 = 11.
 *   dana: open 4 (as sam), rate 1, blocked 33.25 + 11 = 44.25.
 * So BILL's items count for sam in W2 (33.25 with BILL-2 and BILL-4) and not in W (43.625), and
 * BILL-only links (L3, L4) count for sam in W2 but not in W.
 */
const SECRET = 'jira-webhook-secret'
const config = configSchema.parse({
  jira: {
    baseUrl: 'https://acme.atlassian.net',
    projects: ['APP', 'BILL', 'CORE'],
    teams: [
      { team: 'u:amy@x.io', projects: ['APP'] },
      { team: 'u:ben@x.io', projects: ['BILL'] },
      { team: 'u:cal@x.io', projects: ['CORE'] },
    ],
  },
})
const ORG_JAN = `email,name,manager_email,title
dana@x.io,Dana,,Director
sam@x.io,Sam,dana@x.io,Senior Manager
amy@x.io,Amy,sam@x.io,EM
ben@x.io,Ben,sam@x.io,EM
cal@x.io,Cal,dana@x.io,EM
a1@x.io,Ada,amy@x.io,Engineer
b1@x.io,Bob,ben@x.io,Engineer
c1@x.io,Cy,cal@x.io,Engineer
`
const ORG_REORG = ORG_JAN.replace('ben@x.io,Ben,sam@x.io', 'ben@x.io,Ben,dana@x.io')

const at = (month: number, day: number, hour = 0) => Date.UTC(2026, month - 1, day, hour)
const by = 'acc-a1'

const work = mkdtempSync(join(tmpdir(), 'orgpulse-link-hooks-'))
let p: EmbeddedPipeline
let app: Awaited<ReturnType<typeof buildApp>>
let jira: FakeJira
let hookUrl: string
const answers: number[] = []

async function post(payload: WebhookPayload): Promise<void> {
  const res = await jira.deliver(hookUrl, payload, { secret: SECRET })
  answers.push(res.status)
}

beforeAll(async () => {
  p = await startEmbeddedPipeline(config, 'link-hooks', { dataDir: join(work, 'data') })
  for (const [name, csv, effective] of [
    ['jan.csv', ORG_JAN, '2026-01-01'],
    ['reorg.csv', ORG_REORG, '2026-07-20'],
  ] as const) {
    writeFileSync(join(work, name), csv)
    await importOrg({ client: p.client, file: join(work, name), effective })
  }
  app = await buildApp({
    client: p.client,
    bus: p.bus,
    config,
    flush: p.flush,
    auth: 'none',
    env: parseEnv({ JIRA_WEBHOOK_SECRET: SECRET }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/webhooks/jira`

  const keys = [
    'APP-1',
    'APP-2',
    'APP-5',
    'APP-6',
    'APP-8',
    'BILL-1',
    'BILL-2',
    'BILL-3',
    'BILL-4',
    'BILL-6',
    'CORE-1',
    'CORE-3',
    'CORE-4',
    'CORE-5',
    'CORE-8',
  ]
  jira = await startFakeJira({
    users: [{ accountId: by, displayName: 'Ada', emailAddress: 'a1@x.io' }],
    projects: [{ key: 'APP' }, { key: 'BILL' }, { key: 'CORE' }],
    issues: keys.map((key) => ({ key, reporter: by, created: '2026-06-01T09:00:00.000Z' })),
    now: () => at(6, 1, 9),
  })

  // every change in time order; `blocker` / `blocked` are the two sides' issue_updated bodies
  const l6 = jira.link('BILL-6', 'APP-6', { by, at: at(6, 10) })
  await post(l6.blocker)
  await post(l6.blocked)
  const l4 = jira.link('CORE-4', 'BILL-4', { by, at: at(7, 1, 12) })
  await post(l4.blocker)
  await post(l4.blocked)
  await post(jira.link('CORE-1', 'APP-1', { by, at: at(7, 2, 9) }).blocked) // L1: blocked side only
  const l3 = jira.link('BILL-3', 'CORE-3', { by, at: at(7, 3, 9) })
  await post(l3.blocker)
  await post(l3.blocked)
  await post(jira.transition('CORE-4', 'Done', { by, at: at(7, 5, 12) })) // L4's blocker done
  const l2 = jira.link('APP-2', 'BILL-2', { by, at: at(7, 6, 9) })
  await post(l2.blocked)
  await post(l2.blocker)
  await post(jira.link('APP-5', 'CORE-5', { by, at: at(7, 8) }).blocker) // L5: blocker side
  const l7 = jira.link('BILL-1', 'APP-1', { by, at: at(7, 10) })
  await post(l7.blocker)
  await post(l7.blocked)
  await post(jira.unlink('BILL-3', 'CORE-3', { by, at: at(7, 10, 9) }).blocked) // L3: removal on the blocked side only
  await post(jira.transition('APP-5', 'Done', { by, at: at(7, 12) }))
  const l7off = jira.unlink('BILL-1', 'APP-1', { by, at: at(7, 14) })
  await post(l7off.blocked)
  await post(l7off.blocker)
  await post(jira.unlink('BILL-6', 'APP-6', { by, at: at(7, 15) }).blocker) // L6: removal on the blocker only
  const l4off = jira.unlink('CORE-4', 'BILL-4', { by, at: at(7, 19, 12) }) // two weeks after Done
  await post(l4off.blocker)
  await post(l4off.blocked)
  await post(jira.transition('APP-5', 'In Progress', { by, at: at(7, 24) })) // reopened while linked
  await post(jira.link('APP-8', 'CORE-8', { by, at: at(7, 28) }).blocker)

  // the projects were synced after both windows began (as `ingest jira` records it)
  await markJiraProjectsSynced(p.bus)
  await p.flush()
}, 180_000)

afterAll(async () => {
  await app?.close()
  await jira?.close()
  await p?.stop()
})

interface Result extends ScopeFigures {
  teams: ({ id: string } & ScopeFigures)[]
}

async function metrics(from: string, to: string): Promise<Result> {
  const res = await app.inject({ method: 'GET', url: `/v1/orgs/dana@x.io/metrics?from=${from}&to=${to}` })
  expect(res.statusCode).toBe(200)
  return res.json() as Result
}

describe('blocking links through the Jira webhook edge', () => {
  it('every signed delivery was accepted', () => {
    expect(answers).toHaveLength(22)
    expect(new Set(answers)).toEqual(new Set([202]))
  })

  it('the director and each team below it, through the org at the end of the window', async () => {
    const m = await metrics('2026-07-01', '2026-08-01')
    expectFigures(m, [4, 16.8125, 28.425, 0.8, 96.25])
    expect(m.teams.map((t) => t.id).sort()).toEqual(['u:ben@x.io', 'u:cal@x.io', 'u:sam@x.io'])
    const team = (id: string) => m.teams.find((t) => t.id === id)!
    // the senior manager's unit holds its remaining team (APP) only after the re-org
    expectFigures(team('u:sam@x.io'), [4, 16.8125, 28.425, 2 / 3, 43.625])
    expectFigures(team('u:ben@x.io'), [1, 25.625, 25.625, 0.75, 29.625])
    expectFigures(team('u:cal@x.io'), [3, 8, 25.3, 1, 23])
  })

  it('a window ending before the re-org attributes through the org of that time', async () => {
    const m = await metrics('2026-07-01', '2026-07-13')
    expectFigures(m, [4, 8.625, 26.2875, 1, 44.25])
    expect(m.teams.map((t) => t.id).sort()).toEqual(['u:cal@x.io', 'u:sam@x.io'])
    const team = (id: string) => m.teams.find((t) => t.id === id)!
    // BILL inside sam's unit: its items and its links with CORE count for sam
    expectFigures(team('u:sam@x.io'), [4, 8.625, 26.2875, 1, 33.25])
    expectFigures(team('u:cal@x.io'), [1, 10.625, 10.625, 1, 11])
  })

  it('the worst team pairs: open links first, then the oldest open link', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/orgs/dana@x.io/dependencies?from=2026-07-01&to=2026-08-01',
    })
    expect(res.statusCode).toBe(200)
    const body = res.json() as {
      pairs: unknown[]
      links: {
        linkId: string
        open: boolean
        ageDays: number
        createdAt: string
        resolvedAt: string | null
      }[]
    }
    const pair = (
      blockerTeam: string,
      blockedTeam: string,
      links: number,
      open: number,
      oldestOpenAgeDays: number | null,
      openAgeDaysTotal: number,
    ) => ({ blockerTeam, blockedTeam, links, open, oldestOpenAgeDays, openAgeDaysTotal })
    expect(body.pairs).toEqual([
      pair('u:amy@x.io', 'u:cal@x.io', 2, 2, 8, 12),
      pair('u:cal@x.io', 'u:amy@x.io', 1, 1, 29.625, 29.625),
      pair('u:amy@x.io', 'u:ben@x.io', 1, 1, 25.625, 25.625),
      pair('u:ben@x.io', 'u:amy@x.io', 2, 0, null, 0),
      pair('u:ben@x.io', 'u:cal@x.io', 1, 0, null, 0),
      pair('u:cal@x.io', 'u:ben@x.io', 1, 0, null, 0),
    ])
    const links = Object.fromEntries(body.links.map((l) => [l.linkId, l]))
    expect(Object.keys(links).sort()).toEqual(
      [
        'jira:APP-2/blocks/BILL-2',
        'jira:APP-5/blocks/CORE-5',
        'jira:APP-8/blocks/CORE-8',
        'jira:BILL-1/blocks/APP-1',
        'jira:BILL-3/blocks/CORE-3',
        'jira:BILL-6/blocks/APP-6',
        'jira:CORE-1/blocks/APP-1',
        'jira:CORE-4/blocks/BILL-4',
      ].sort(),
    )
    // one-sided, both-sided: one link each, open since it was made
    expect(links['jira:CORE-1/blocks/APP-1']).toMatchObject({
      open: true,
      ageDays: 29.625,
      createdAt: '2026-07-02T09:00:00.000Z',
      resolvedAt: null,
    })
    expect(links['jira:APP-2/blocks/BILL-2']).toMatchObject({ open: true, ageDays: 25.625 })
    // removal seen on the blocked side only
    expect(links['jira:BILL-3/blocks/CORE-3']).toMatchObject({
      open: false,
      resolvedAt: '2026-07-10T09:00:00.000Z',
      ageDays: 7,
    })
    // Done, then unlinked two weeks later: resolved at Done
    expect(links['jira:CORE-4/blocks/BILL-4']).toMatchObject({
      open: false,
      resolvedAt: '2026-07-05T12:00:00.000Z',
      ageDays: 4,
    })
    // reopened while linked: open again, aged since the reopening; created at the first opening
    expect(links['jira:APP-5/blocks/CORE-5']).toMatchObject({
      open: true,
      ageDays: 8,
      createdAt: '2026-07-08T00:00:00.000Z',
    })
  })
})
