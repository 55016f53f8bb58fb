import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { digestConfigSchema, parseEnv } from '@orgpulse/contracts'
import { type DemoCompany, loadDemo } from '@orgpulse/demo'
import { publishRaw } from '@orgpulse/kafka'
import { computeOrgMetrics, decisionItems, metricById, refreshRollups } from '@orgpulse/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime, type Runtime } from '../../../services/cli/src/runtime.ts'
import {
  buildDigest,
  formatValue,
  HEADLINE_METRICS,
  renderSlack,
  SENT_CONNECTOR,
  SentStore,
  sendDigests,
  slotOf,
  startDigestScheduler,
} from '../src/index.ts'
import { type SlackFake, type SmtpFake, startHookFake, startSlackFake, startSmtpFake } from './fakes.ts'

const DEMO = { people: 120, weeks: 26, seed: 1, end: new Date('2026-11-23T00:00:00Z') }
/** Monday 09:30 UTC after the demo's last week: the digest covers 2026-11-16 → 2026-11-23 */
const NOW = new Date('2026-11-23T09:30:00Z')
const BASE = 'https://orgpulse.example.com'

let dir: string
let rt: Runtime
let company: DemoCompany
let slack: SlackFake
let smtp: SmtpFake
let a: string
let b: string
const env = () => ({
  named: (n: string) =>
    ({ SLACK_A: `${slack.url}/a`, SLACK_B: `${slack.url}/b`, ORGPULSE_DIGEST_SMTP_URL: smtp.url })[n],
})

const configure = (r: Runtime) => {
  r.config.digest = digestConfigSchema.parse({
    baseUrl: BASE,
    day: 1,
    hour: 9,
    directors: [
      {
        email: a,
        deliver: [
          { kind: 'slack', webhookUrlEnv: 'SLACK_A' },
          { kind: 'email', to: a },
        ],
      },
      // 09:00 in New York is 14:00 UTC: not due at NOW
      {
        email: b,
        timeZone: 'America/New_York',
        deliver: [
          { kind: 'slack', webhookUrlEnv: 'SLACK_B' },
          { kind: 'email', to: b },
        ],
      },
    ],
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-digest-'))
  rt = await openRuntime({ env: parseEnv({}), dataDir: dir })
  ;({ company } = await loadDemo(rt, { ...DEMO, edges: 'direct' }))
  await refreshRollups(rt.client, rt.config, { from: company.start, to: company.end })
  a = company.stories.centralisingDirector
  b = company.stories.reorg.from
  expect(a).not.toBe(b)
  // decisions waiting on each director, raised out of order (the demo leaves none open on them at its end)
  const people = company.snapshots.at(-1)!.people
  const ic = (dir: string) => {
    const managers = new Set(people.filter((p) => p.manager === dir).map((p) => p.email))
    return people.find((p) => managers.has(p.manager))!.email
  }
  const waiting = [
    { id: 'DIG-A-2', raisedBy: ic(a), raisedAt: '2026-11-12T12:00:00Z', expectedDecider: a },
    { id: 'DIG-A-3', raisedBy: ic(a), raisedAt: '2026-11-19T12:00:00Z', expectedDecider: a },
    { id: 'DIG-A-1', raisedBy: ic(a), raisedAt: '2026-11-05T12:00:00Z', expectedDecider: a },
    { id: 'DIG-B-1', raisedBy: ic(b), raisedAt: '2026-11-10T12:00:00Z', expectedDecider: b },
  ].map((d) => ({ ...d, title: `Digest check ${d.id}`, status: 'proposed' }))
  await publishRaw(
    rt.bus,
    waiting.map((d) => decisionEnvelope(d, { via: 'test' })),
  )
  await rt.flush()
  configure(rt)
  slack = await startSlackFake()
  smtp = await startSmtpFake()
}, 600_000)

afterAll(async () => {
  await slack?.close()
  await smtp?.close()
  await rt?.close()
})

const links = (blocks: unknown[]) =>
  [...JSON.stringify(blocks).matchAll(/<(https?:[^|>]+)\|/g)].map((m) => m[1]!)

describe('orgpulse digest send', () => {
  it('schedules by local day and hour', () => {
    expect(slotOf({ day: 1, hour: 9, timeZone: 'UTC' }, NOW)).toEqual({ week: '2026-11-23', due: true })
    expect(slotOf({ day: 1, hour: 9, timeZone: 'America/New_York' }, NOW)).toEqual({
      week: '2026-11-23',
      due: false,
    })
    // Sunday 23:30 UTC is already Monday 08:30 in Tokyo: that week, not yet 09:00
    expect(slotOf({ day: 1, hour: 9, timeZone: 'Asia/Tokyo' }, new Date('2026-11-22T23:30:00Z'))).toEqual({
      week: '2026-11-23',
      due: false,
    })
    expect(slotOf({ day: 5, hour: 17, timeZone: 'UTC' }, NOW)).toEqual({ week: '2026-11-23', due: false })
  })

  it('a dry run says what each director would get and sends and records nothing', async () => {
    const results = await sendDigests(rt.client, rt.config, env(), {
      now: NOW,
      dryRun: true,
      refreshRollups: false,
    })
    expect(results.map((r) => [r.director, r.status])).toEqual([
      [a, 'dry_run'],
      [b, 'dry_run'],
    ])
    expect(slack.requests).toBe(0)
    expect(smtp.messages).toHaveLength(0)
  }, 300_000)

  it('sends each director only their own org, when due, once per week; a restart does not resend', async () => {
    slack.rateLimitNext(1) // the first POST is answered 429 and retried
    const first = await sendDigests(rt.client, rt.config, env(), {
      now: NOW,
      dueOnly: true,
      refreshRollups: false,
      retry: { backoff: { baseMs: 1, maxMs: 5 } },
    })
    expect(first.map((r) => [r.director, r.status])).toEqual([
      [a, 'sent'],
      [b, 'not_due'],
    ])
    expect(slack.requests).toBe(2)
    expect(slack.received.get('/a')).toHaveLength(1)
    expect(slack.received.get('/b')).toBeUndefined()

    // 15:00 UTC is 10:00 in New York: now b is due; a already got this week's
    const later = new Date('2026-11-23T15:00:00Z')
    const second = await sendDigests(rt.client, rt.config, env(), {
      now: later,
      dueOnly: true,
      refreshRollups: false,
    })
    expect(second.map((r) => [r.director, r.status])).toEqual([
      [a, 'already_sent'],
      [b, 'sent'],
    ])

    // what each got: the same figures computeOrgMetrics gives for the week and the week before
    for (const [who, path] of [
      [a, '/a'],
      [b, '/b'],
    ] as const) {
      const [cur, prev] = await Promise.all([
        computeOrgMetrics(rt.client, rt.config, { director: who, from: '2026-11-16', to: '2026-11-23' }),
        computeOrgMetrics(rt.client, rt.config, { director: who, from: '2026-11-09', to: '2026-11-16' }),
      ])
      const payload = slack.received.get(path)![0]!
      const text = JSON.stringify(payload.blocks)
      for (const id of HEADLINE_METRICS) {
        const v = cur.metrics[id]
        const p = prev.metrics[id]
        const m = metricById(id)
        if (v !== null && v !== undefined)
          expect(text).toContain(
            `${m.title}: ${p === null || p === undefined || p === v ? '' : `${formatValue(m, p)} → `}${formatValue(m, v)}`,
          )
        else expect(text).toMatch(new RegExp(`${m.title}: (too few|no data|withheld|partial)`))
      }
      // every link is a page of this director's org, for the week
      const urls = links(payload.blocks)
      expect(urls.length).toBeGreaterThan(5)
      for (const u of urls) {
        expect(u.startsWith(`${BASE}/orgs/${encodeURIComponent(who)}`)).toBe(true)
        expect(u).toContain('from=2026-11-16&amp;to=2026-11-23'.replace('&amp;', '&'))
      }
      // waiting decisions: exactly decisionItems' list, oldest first, with their age
      const waiting = await decisionItems(rt.client, {
        scope: `u:${who}`,
        from: new Date('2026-11-16T00:00:00Z'),
        to: new Date('2026-11-23T00:00:00Z'),
        filter: 'waiting_on_leader',
      })
      const digest = second.concat(first).find((r) => r.director === who && r.status === 'sent')!.digest!
      expect(digest.waitingOnDirector.map((d) => d.id)).toEqual(waiting.map((d) => d.id))
      const raised = digest.waitingOnDirector.map((d) => d.raisedAt)
      expect(raised).toEqual([...raised].sort())
      for (const d of digest.waitingOnDirector)
        expect(d.ageDays).toBeCloseTo(
          (Date.parse('2026-11-23T00:00:00Z') - Date.parse(d.raisedAt)) / 86_400_000,
          5,
        )
      // the other director's org is not in it
      const other = who === a ? b : a
      expect(text).not.toContain(encodeURIComponent(other))
      expect(text).not.toContain(`${other}'s org`)
      // the email: to the director, text and HTML parts with the same lines
      const mail = smtp.messages.find((m) => m.to && JSON.stringify(m.to).includes(who))!
      expect(mail.subject).toBe(`orgpulse weekly digest — ${who}'s org, week 2026-11-16 – 2026-11-22`)
      expect(mail.text).toContain(`Decisions waiting on you (${waiting.length}), oldest first`)
      expect(mail.html).toContain(
        `${BASE}/orgs/${encodeURIComponent(who)}/decisions?filter=waiting_on_leader&amp;from=2026-11-16&amp;to=2026-11-23`,
      )
    }
    expect(smtp.messages).toHaveLength(2)

    // by hand, from the generated company: decisions raised in a's org (the org chart after the
    // re-org, in force since 2026-08-24) and called inside the week; open ones are the three added above
    const people = company.snapshots.at(-1)!.people
    const managerOf = new Map(people.map((p) => [p.email, p.manager]))
    const inOrg = (email: string, dir: string) => {
      for (let cur: string | undefined = email, i = 0; cur && i < 20; cur = managerOf.get(cur), i++)
        if (cur === dir) return true
      return false
    }
    const called = (from: string, to: string) =>
      company.decisions.filter((d) => {
        const r = d as { raisedBy: string; decidedAt?: string; status?: string }
        if (!r.decidedAt || !['decided', 'rejected'].includes(r.status ?? '')) return false
        const t = Date.parse(r.decidedAt)
        return inOrg(r.raisedBy, a) && t >= Date.parse(from) && t < Date.parse(to)
      }).length
    const decided = called('2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z')
    const decidedBefore = called('2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z')
    const aText0 = JSON.stringify(slack.received.get('/a')![0]!.blocks)
    expect(decided).toBeGreaterThan(0)
    expect(aText0).toContain(
      `Decisions decided: ${decidedBefore} → ${decided} (${decided > decidedBefore ? '+' : '−'}${Math.abs(decided - decidedBefore)})`,
    )
    expect(aText0).toContain('Open decisions: 2 → 3 (+1)')

    // the centralising director has decisions waiting on them, oldest first in the Slack text
    const centralising = second.concat(first).find((r) => r.director === a && r.status === 'sent')!.digest!
    // by hand: raised 11-05, 11-12, 11-19 at 12:00 UTC; the week ends 11-23 00:00 → 17.5, 10.5, 3.5 days
    expect(centralising.waitingOnDirector.map((d) => [d.title, d.ageDays])).toEqual([
      ['Digest check DIG-A-1', 17.5],
      ['Digest check DIG-A-2', 10.5],
      ['Digest check DIG-A-3', 3.5],
    ])
    const cleo = second.find((r) => r.director === b)!.digest!
    expect(cleo.waitingOnDirector.map((d) => [d.title, d.ageDays])).toEqual([['Digest check DIG-B-1', 12.5]])
    expect(JSON.stringify(slack.received.get('/a'))).not.toContain('DIG-B-1')
    expect(JSON.stringify(slack.received.get('/b'))).not.toContain('DIG-A-')
    expect(JSON.stringify(slack.received.get('/a'))).toContain(
      'Digest check DIG-A-1 — waiting 17 days (raised 2026-11-05',
    )
    const aText = JSON.stringify(slack.received.get('/a')![0]!.blocks)
    const positions = centralising.waitingOnDirector.slice(0, 10).map((d) => aText.indexOf(d.title || d.id))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect(positions).toEqual([...positions].sort((x, y) => x - y))

    // restart: a new runtime on the same data dir reads the recorded sends from ClickHouse
    await rt.close()
    rt = await openRuntime({ env: parseEnv({}), dataDir: dir })
    configure(rt)
    const before = slack.requests
    const third = await sendDigests(rt.client, rt.config, env(), {
      now: later,
      dueOnly: true,
      refreshRollups: false,
    })
    expect(third.map((r) => r.status)).toEqual(['already_sent', 'already_sent'])
    expect(slack.requests).toBe(before)
    expect(smtp.messages).toHaveLength(2)
    const rows = await rt.client.query({
      query: `SELECT scope, argMax(cursor, updated_at) AS cursor FROM ingest_cursors WHERE connector = '${SENT_CONNECTOR}' GROUP BY scope ORDER BY scope`,
      format: 'JSONEachRow',
    })
    const sent = (await rows.json()) as { scope: string; cursor: string }[]
    expect(sent.map((r) => r.scope)).toEqual(
      [
        a,
        `${a}|email to ${a}`,
        `${a}|slack ($SLACK_A)`,
        b,
        `${b}|email to ${b}`,
        `${b}|slack ($SLACK_B)`,
      ].sort(),
    )
    expect(new Set(sent.map((r) => r.cursor))).toEqual(new Set(['2026-11-23']))
  }, 600_000)

  it('keeps Slack messages within Block Kit limits however long the lists', async () => {
    const digest = await buildDigest(rt.client, rt.config, a, { now: NOW, refreshRollups: false })
    const many = Array.from({ length: 400 }, (_, i) => ({
      id: `d${i}`,
      raiser: 'someone@example.com',
      expectedDecider: a,
      raisedAt: '2026-11-01T00:00:00.000Z',
      ageDays: 22,
      url: digest.waitingUrls.director,
      title: `decision ${'x'.repeat(200)} ${i}`,
    }))
    const { blocks } = renderSlack({ ...digest, waitingOnDirector: many, waitingOnManagers: many })
    expect(blocks.length).toBeLessThanOrEqual(50)
    for (const b of blocks)
      if (b.type === 'section') expect((b.text as { text: string }).text.length).toBeLessThanOrEqual(3000)
    expect(JSON.stringify(blocks)).toContain('… and 390 more')
  }, 300_000)

  it('a destination that fails is not recorded and is tried again; the generic webhook gets the digest as JSON, after a 503', async () => {
    const hook = await startHookFake()
    try {
      rt.config.digest = digestConfigSchema.parse({
        baseUrl: BASE,
        directors: [
          {
            email: a,
            deliver: [
              { kind: 'webhook', urlEnv: 'HOOK_A' },
              { kind: 'slack', webhookUrlEnv: 'SLACK_A' },
            ],
          },
        ],
      })
      const nextWeek = new Date('2026-11-30T10:00:00Z')
      const without = { named: (n: string) => ({ HOOK_A: hook.url })[n] }
      hook.failNext(1)
      const fast = { backoff: { baseMs: 1, maxMs: 5 } }
      const failed = await sendDigests(rt.client, rt.config, without, {
        now: nextWeek,
        dueOnly: true,
        refreshRollups: false,
        retry: fast,
      })
      expect(failed[0]!.status).toBe('failed')
      expect(failed[0]!.deliveries).toEqual([
        { to: 'webhook ($HOOK_A)', ok: true },
        {
          to: 'slack ($SLACK_A)',
          ok: false,
          error: `digest for ${a}: slack ($SLACK_A): the env var SLACK_A is not set`,
        },
      ])
      // answered 503, retried, accepted
      expect(hook.requests).toBe(2)
      const store = new SentStore(rt.client)
      expect(await store.lastWeek(a)).toBe('2026-11-23')
      const full = { named: (n: string) => ({ HOOK_A: hook.url, SLACK_A: `${slack.url}/a` })[n] }
      const again = await sendDigests(rt.client, rt.config, full, {
        now: nextWeek,
        dueOnly: true,
        refreshRollups: false,
        retry: fast,
      })
      expect(again[0]!.status).toBe('sent')
      expect(again[0]!.deliveries).toEqual([
        { to: 'webhook ($HOOK_A)', ok: true, earlier: true },
        { to: 'slack ($SLACK_A)', ok: true },
      ])
      expect(await store.lastWeek(a)).toBe('2026-11-30')
      // the webhook, which took it in the failed round, is not sent it twice
      expect(hook.requests).toBe(2)
      expect(slack.received.get('/a')).toHaveLength(2)
      const doc = hook.received.at(-1)! as Record<string, unknown>
      expect(doc.type).toBe('orgpulse.digest.v1')
      expect(doc.director).toBe(a)
      expect(doc.week).toEqual({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' })
    } finally {
      await hook.close()
      configure(rt)
    }
  }, 300_000)

  it('digest: in orgpulse.yaml is strict', () => {
    expect(() =>
      digestConfigSchema.parse({
        directors: [{ email: a, deliver: [{ kind: 'slack', webhookUrl: 'https://x' }] }],
      }),
    ).toThrow()
    expect(() => digestConfigSchema.parse({ dayOfWeek: 1 })).toThrow()
    expect(() => digestConfigSchema.parse({ timeZone: 'Mars/Olympus' })).toThrow(/IANA/)
    expect(digestConfigSchema.parse({})).toMatchObject({
      baseUrl: 'http://127.0.0.1:3000',
      day: 1,
      hour: 8,
      timeZone: 'UTC',
      directors: [],
    })
  })

  it('the scheduler of `start` sends what is due on its first round and nothing twice', async () => {
    const before = slack.received.get('/a')?.length ?? 0
    const lines: string[] = []
    // Monday 10:00 UTC: a (UTC, 09:00) is due for the week of 2026-12-07, b (New York) is not
    const scheduler = startDigestScheduler(rt.client, rt.config, env(), {
      everyMs: 3_600_000,
      now: () => new Date('2026-12-07T10:00:00Z'),
      log: (l) => lines.push(l),
    })
    // stop waits for the round in hand: the first one, started at once
    await scheduler.stop()
    const again = await scheduler.tick()
    expect(lines).toContain(`digest for ${a} (week of 2026-12-07): sent`)
    expect(again.map((r) => r.status)).toEqual(['already_sent', 'not_due'])
    expect(slack.received.get('/a')).toHaveLength(before + 1)
  }, 300_000)
})
