import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { configSchema, eventId } from '@orgpulse/contracts'
import { computeOrgMetrics, decisionItems, dependencyItems, refreshRollups } from '@orgpulse/metrics'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from '../src/auth/tokens.ts'
import { emptyLabel } from '../src/pages/html.ts'
import { pagesApp } from '../src/pages/index.ts'
import { parseRange } from '../src/pages/range.ts'
import { loadFixtureActivity } from './fixture.ts'
import {
  app,
  config,
  decisionEvents,
  type FixtureDecision,
  freshClickHouse,
  importFixtureOrg,
  insertEvents,
  linkEvents,
} from './helpers.ts'

/*
 * The built-in pages over the fixture org (helpers.ts, fixture.ts): dir leads m1 and m2, dir2
 * leads m3; decisions and blockers around 2026-Q3; a synced Jira project; no calendar at all.
 * The clock is pinned to Wednesday 2026-07-15, so the last complete week is [07-06, 07-13).
 */
const NOW = new Date('2026-07-15T12:00:00Z')
/** later, for the quarter: 2026-Q3 is over */
const LATER = new Date('2026-10-07T12:00:00Z')
let client: ClickHouseClient
let pages: FastifyInstance
let early: FastifyInstance

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await loadFixtureActivity(client)
  // October, after Q3: W1 waits on the director, W2 on one of their managers, W3 (another org)
  // on the director too; R1 is decided and then reversed
  const expecting = (d: FixtureDecision, who: string) =>
    decisionEvents(d).map((e) => ({ ...e, expectedDecider: who }))
  await insertEvents(client, [
    ...expecting({ id: 'W1', raisedBy: 'a3@x.io', raisedAt: '2026-10-02T00:00:00Z' }, 'dir@x.io'),
    ...expecting({ id: 'W2', raisedBy: 'b2@x.io', raisedAt: '2026-10-03T00:00:00Z' }, 'm1@x.io'),
    ...expecting({ id: 'W3', raisedBy: 'c1@x.io', raisedAt: '2026-10-03T00:00:00Z' }, 'dir@x.io'),
    ...decisionEvents({
      id: 'R1',
      raisedBy: 'a4@x.io',
      raisedAt: '2026-10-01T00:00:00Z',
      decidedBy: 'm1@x.io',
      decidedAt: '2026-10-02T00:00:00Z',
    }),
    {
      type: 'decision.reversed',
      id: eventId('decisions', 'R1', 'rev'),
      source: 'decisions',
      sourceId: 'R1',
      decisionId: 'decisions:R1',
      raisedBy: 'a4@x.io',
      title: 'decision R1',
      team: '',
      occurredAt: '2026-10-05T00:00:00.000Z',
      version: 1,
      actor: 'dir@x.io',
    },
  ])
  pages = await pagesApp({ client, config, now: () => LATER })
  early = await pagesApp({ client, config, now: () => NOW })
})

afterAll(async () => {
  await pages?.close()
  await early?.close()
  await client?.close()
})

const get = async (url: string, on: FastifyInstance = pages) => {
  const res = await on.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.body, headers: res.headers }
}

/** the tile of a metric: its status, its big text, its links with their counts */
function tile(html: string, metric: string) {
  const m = new RegExp(`<div class="tile s-(\\w+)" data-metric="${metric}"[^>]*>([\\s\\S]*?)\\n</div>`).exec(
    html,
  )
  if (!m) throw new Error(`no tile ${metric}`)
  const body = m[2]!
  return {
    status: m[1]!,
    big: /<div class="big"[^>]*>([^<]*)<\/div>/.exec(body)![1]!,
    window: /<div class="win"[^>]*>([^<]*)<\/div>/.exec(body)![1]!,
    links: [...body.matchAll(/<a href="([^"]*)" data-list="[^"]*"(?: data-count="(\d+)")?>/g)].map((x) => ({
      href: x[1]!.replace(/&amp;/g, '&'),
      count: x[2] === undefined ? null : Number(x[2]),
    })),
    text: body,
  }
}
const count = (html: string) => Number(/id="count" data-count="(\d+)"/.exec(html)![1])
const titles = (html: string) =>
  [...html.matchAll(/<tr data-item="[^"]*"><td>([^<]*)<\/td>/g)].map((m) => m[1])

describe('the org page headline', () => {
  it('defaults to the last complete week, on every tile, with the sample, the previous week and the baseline', async () => {
    const { status, body } = await get('/orgs/dir%40x.io', early)
    expect(status).toBe(200)
    const decided = tile(body, 'decisions_decided')
    // D04–D08 (m1, 24 h) and D09 (dir, 48 h) were decided in [07-06, 07-13); D10's call (07-13 09:00) is next week's
    expect(decided.big).toBe('6')
    expect(decided.window).toBe('2026-07-06 → 2026-07-13')
    expect(decided.links[0]).toEqual({ href: '/orgs/dir%40x.io/decisions?filter=decided', count: 6 })
    // the week before: D01–D03
    expect(decided.text).toContain('vs previous period: +3 (was 3)')
    // the centralisation tile says what it rests on and how many the director decided
    const central = tile(body, 'centralization')
    expect(central.big).toBe('17 %')
    expect(central.links.map((l) => l.count)).toEqual([6, 1])
    // every tile carries the same window: open decisions and their age too, at its end
    const open = tile(body, 'decisions_open')
    const age = tile(body, 'decision_open_age_p50_days')
    expect(open.window).toBe(decided.window)
    expect(age.window).toBe(decided.window)
    // open at 07-13 00:00: P3 (06-20), D10 (07-11 09:00), D11 (07-12 09:00); median age 1.625 d
    expect(open.big).toBe('3')
    expect(age.big).toBe('1.6 d')
  })

  it('the figures are computeOrgMetrics’ for the same window (the CLI, api and exports)', async () => {
    const r = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-07-06',
      to: '2026-07-13',
    })
    const { body } = await get('/orgs/dir%40x.io', early)
    expect(tile(body, 'decisions_decided').big).toBe(String(r.metrics.decisions_decided))
    expect(tile(body, 'escalation_rate').big).toBe(`${Math.round(r.metrics.escalation_rate! * 100)} %`)
    // and the baseline is the 12 weeks before the window, pooled
    const base = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-04-13',
      to: '2026-07-06',
    })
    // [04-13, 07-06): P2 (escalated) and D01–D03: 1 of 4
    expect(base.metrics.escalation_rate).toBe(0.25)
    expect(tile(body, 'escalation_rate').text).toContain('vs 12-week baseline: −8 pp (was 25 %)')
    expect(tile(body, 'escalation_rate').links[0]!.count).toBe(r.samples.escalation_rate)
  })

  it('a metric without data says "no data", is never a number and never green', async () => {
    const { body } = await get('/orgs/dir%40x.io', early)
    for (const id of ['meeting_hours_per_person_week', 'focus_hours_per_person_week', 'ritual_adherence']) {
      const t = tile(body, id)
      expect(t.big, id).toBe('no data')
      expect(t.status, id).toBe('empty')
    }
    expect(body).toMatch(
      /id="coverage">Coverage over 2026-07-06 → 2026-07-13[^<]*calendars synced for 0 of \d+ people/,
    )
  })

  it('too few: a value resting on fewer than its minimum sample is shown as "too few (n = …)"', async () => {
    // [08-03, 08-10): E1 alone was decided: one latency is no p90
    const { body } = await get('/orgs/dir%40x.io?from=2026-08-03&to=2026-08-10')
    const p90 = tile(body, 'decision_latency_p90_hours')
    expect(p90.big).toBe('too few (n = 1)')
    expect(p90.status).toBe('empty')
    expect(tile(body, 'decisions_decided').big).toBe('1')
    expect(emptyLabel({ value: null, reason: 'too_few: n = 2 decisions decided (minimum 3)', n: 2 })).toBe(
      'too few (n = 2)',
    )
  })

  it('ranges: presets, quarters and strict ISO dates', async () => {
    expect(parseRange({ range: '2026-Q3' }, new Date('2026-12-01T00:00:00Z'))).toMatchObject({
      from: new Date('2026-07-01T00:00:00Z'),
      to: new Date('2026-10-01T00:00:00Z'),
    })
    expect(parseRange({ range: '4w' }, NOW)).toMatchObject({
      from: new Date('2026-06-15T00:00:00Z'),
      to: new Date('2026-07-13T00:00:00Z'),
    })
    const bad = await get('/orgs/dir%40x.io?from=2026-09-31&to=2026-10-07')
    expect(bad.status).toBe(400)
    expect(bad.body).toContain('from: 2026-09-31 is not a date: September has 30 days')
    expect(bad.body).toContain('<a href="/">')
    expect((await get('/orgs/dir%40x.io?from=09/01/2026&to=2026-10-07')).status).toBe(400)
  })

  it('every count on the page opens a list of exactly that many items (Q3, org and a team)', async () => {
    for (const page of [
      '/orgs/dir%40x.io?range=2026-Q3',
      '/orgs/dir%40x.io/teams/u%3Am1%40x.io?range=2026-Q3',
    ]) {
      const { body } = await get(page)
      const ids = [...body.matchAll(/data-metric="([a-z0-9_]+)"/g)].map((m) => m[1]!)
      let followed = 0
      for (const id of ids) {
        for (const l of tile(body, id).links) {
          if (l.count === null) continue
          const list = await get(l.href)
          expect(list.status, l.href).toBe(200)
          expect(count(list.body), `${id} → ${l.href}`).toBe(l.count)
          expect((list.body.match(/<tr data-item=/g) ?? []).length, l.href).toBe(l.count)
          followed++
        }
      }
      expect(followed, page).toBeGreaterThanOrEqual(15)
    }
  })

  it('links keep the range and the team', async () => {
    const { body } = await get('/orgs/dir%40x.io?range=2026-Q3')
    expect(tile(body, 'decisions_open').links[0]!.href).toBe(
      '/orgs/dir%40x.io/decisions?range=2026-Q3&filter=open',
    )
    const team = await get('/orgs/dir%40x.io/teams/u%3Am1%40x.io?range=2026-Q3')
    expect(tile(team.body, 'decisions_open').links[0]!.href).toBe(
      '/orgs/dir%40x.io/decisions?range=2026-Q3&team=u%3Am1%40x.io&filter=open',
    )
  })
})

describe('the director list', () => {
  it('each org with what is red or amber over the last complete week and what moved against the week before', async () => {
    const { status, body } = await get('/', early)
    expect(status).toBe(200)
    expect(body).toContain('over the last complete week (2026-07-06 → 2026-07-13 (1 week, end exclusive))')
    const dir = /<li data-director="dir@x.io">([\s\S]*?)<\/li>/.exec(body)![1]!
    expect(dir).toContain('<a href="/orgs/dir%40x.io"><strong>Dana Director</strong></a>')
    // nothing past a threshold; the week before D01–D03 were decided by m1 (0 of 3 escalated),
    // this week D09 of 6 went to the director
    expect(dir).toContain('<span class="badge b-ok">nothing red or amber</span>')
    expect(dir).toContain(
      'vs the week before: Escalation rate 0 % → 17 % (+17 pp) · Decision centralisation 0 % → 17 % (+17 pp)',
    )
    expect(body).toContain('<li data-director="dir2@x.io">')
  })
})

describe('team pages', () => {
  it('a team manager’s own URL is their team page', async () => {
    const { status, body } = await get('/orgs/m1%40x.io?range=2026-Q3')
    expect(status).toBe(200)
    expect(body).not.toContain('leads no org of managers')
    expect(body).toContain('<h1>Mia Manager')
    // m1's team raised D01–D12 and P3; of those, D01–D10 were decided in Q3
    expect(tile(body, 'decisions_decided').big).toBe('10')
  })

  it('the team page of the org and the team selector; a team outside the org is a styled 404', async () => {
    const team = await get('/orgs/dir%40x.io/teams/u%3Am2%40x.io?range=2026-Q3')
    expect(team.status).toBe(200)
    // T1–T3 and E1
    expect(tile(team.body, 'decisions_decided').big).toBe('4')
    const select = await get('/orgs/dir%40x.io?team=u%3Am2%40x.io&range=2026-Q3')
    expect(select.status).toBe(303)
    expect(select.headers.location).toBe('/orgs/dir%40x.io/teams/u%3Am2%40x.io?range=2026-Q3')
    const outside = await get('/orgs/dir%40x.io/teams/u%3Am3%40x.io')
    expect(outside.status).toBe(404)
    expect(outside.body).toContain('class="error"')
    const nobody = await get('/orgs/nobody%40x.io')
    expect(nobody.status).toBe(404)
    expect(nobody.body).toMatch(/<style>[\s\S]*<a href="\/">Back to the directors<\/a>/)
  })
})

describe('the decisions page', () => {
  it('each filter lists the decisions its metric counts over 2026-Q3', async () => {
    const q = (filter: string) => get(`/orgs/dir%40x.io/decisions?range=2026-Q3&filter=${filter}`)
    const decided = await q('decided')
    expect(count(decided.body)).toBe(14)
    const open = await q('open')
    // oldest first: P3 (06-20), D11 (07-12); D12 was withdrawn
    expect(titles(open.body)).toEqual(['decision P3', 'decision D11'])
    expect(titles((await q('escalated')).body)).toEqual(['decision D09', 'decision D10', 'decision E1'])
    expect(titles((await q('by_leader')).body)).toEqual(['decision D09', 'decision D10'])
    expect(count((await q('reversed')).body)).toBe(0)
    // the same counts as the metrics of the same window
    const r = await computeOrgMetrics(client, config, {
      director: 'dir@x.io',
      from: '2026-07-01',
      to: '2026-10-01',
    })
    expect(count(decided.body)).toBe(r.metrics.decisions_decided)
    expect(count(open.body)).toBe(r.metrics.decisions_open)
    expect(r.metrics.escalation_rate).toBeCloseTo(3 / 14, 6)
    // a team's list: m2's team
    const m2 = await get('/orgs/dir%40x.io/decisions?range=2026-Q3&filter=decided&team=u%3Am2%40x.io')
    expect(titles(m2.body)).toEqual(['decision T1', 'decision T2', 'decision T3', 'decision E1'])
  })

  it('waiting on me, waiting on my managers, reversed: by the expected decider and the live steps', async () => {
    const q = (filter: string) =>
      get(`/orgs/dir%40x.io/decisions?from=2026-10-01&to=2026-10-08&filter=${filter}`)
    expect(titles((await q('waiting_on_leader')).body)).toEqual(['decision W1'])
    const managers = await q('waiting_on_managers')
    expect(titles(managers.body)).toEqual(['decision W2'])
    expect(managers.body).toContain('<td>Mia Manager <span class="sub">(m1@x.io)</span></td>')
    expect(titles((await q('reversed')).body)).toEqual(['decision R1'])
    expect((await q('reversed')).body).toContain('<td>reversed</td>')
    // open, oldest first, at the end of the window
    expect(titles((await q('open')).body)).toEqual([
      'decision P3',
      'decision D11',
      'decision W1',
      'decision W2',
    ])
  })

  it('a row says who raised it, when, its age, status, decider, latency, escalation and team', async () => {
    const { body } = await get('/orgs/dir%40x.io/decisions?range=2026-Q3&filter=open')
    const p3 = /<tr data-item="decisions:P3">([\s\S]*?)<\/tr>/.exec(body)![1]!
    expect(p3).toContain('Abe <span class="sub">(a2@x.io)</span>')
    expect(p3).toContain('2026-06-20 00:00')
    // open at 10-01: 103 days
    expect(p3).toContain('103.0 d')
    expect(p3).toContain('<td>proposed</td>')
    expect(p3).toContain('<td>Mia Manager&#39;s team</td>')
    const escalated = await get('/orgs/dir%40x.io/decisions?range=2026-Q3&filter=escalated')
    const e1 = /<tr data-item="decisions:E1">([\s\S]*?)<\/tr>/.exec(escalated.body)![1]!
    expect(e1).toContain('48.0 h')
    expect(e1).toContain('<td>yes</td>')
    expect((await get('/orgs/dir%40x.io/decisions?filter=everything')).status).toBe(400)
  })

  it('the items module selects from the same relation as the metrics (a direct check)', async () => {
    const w = {
      scope: 'u:dir@x.io',
      from: new Date('2026-07-01T00:00:00Z'),
      to: new Date('2026-10-01T00:00:00Z'),
    }
    expect((await decisionItems(client, { ...w, filter: 'not_by_leader' })).length).toBe(14)
    expect((await decisionItems(client, { ...w, filter: 'centralised' })).map((d) => d.id)).toEqual([
      'decisions:D09',
      'decisions:D10',
    ])
    const open = await dependencyItems(client, { ...w, filter: 'open' })
    expect(open.map((l) => l.linkId).sort()).toEqual(['jira:L1', 'jira:L3'])
  })
})

describe('the dependencies and load pages', () => {
  it('lists team pairs and the open blockers behind them, the count the blocker tile shows', async () => {
    const { status, body } = await get('/orgs/dir%40x.io/dependencies?range=2026-Q3')
    expect(status).toBe(200)
    expect(count(body)).toBe(2)
    expect(body).toContain(
      '<td>Mia Manager&#39;s team → Max Manager&#39;s team</td><td class="num">1</td><td class="num">92.0 d</td>',
    )
    const org = await get('/orgs/dir%40x.io?range=2026-Q3')
    expect(tile(org.body, 'blockers_open').links[0]!.count).toBe(2)
    expect(tile(org.body, 'blockers_open').big).toBe('2')
  })

  it('a Jira item links to its browse URL when jira.baseUrl is set', async () => {
    // October: a link between two Jira issues, m1 blocks m2 (not in Q3)
    await insertEvents(client, [
      ...linkEvents('OCT', 'u:m1@x.io', 'u:m2@x.io', '2026-10-02T00:00:00Z').map((e) => ({
        ...e,
        blockerItem: 'jira:ENG-7',
        blockedItem: 'jira:ENG-9',
      })),
    ])
    const withJira = configSchema.parse({
      jira: { baseUrl: 'https://acme.atlassian.net', projects: ['ENG'] },
    })
    const p = await pagesApp({ client, config: withJira, now: () => LATER })
    const { body } = await get('/orgs/dir%40x.io/dependencies?from=2026-10-01&to=2026-10-05', p)
    await p.close()
    expect(body).toContain(
      '<a href="https://acme.atlassian.net/browse/ENG-7" rel="noreferrer">jira:ENG-7</a>',
    )
    expect(body).toContain(
      '<a href="https://acme.atlassian.net/browse/ENG-9" rel="noreferrer">jira:ENG-9</a>',
    )
  })

  it('the load page says no ritual is configured, and meeting figures say no data', async () => {
    const { status, body } = await get('/orgs/dir%40x.io/load?range=2026-Q3')
    expect(status).toBe(200)
    expect(body).toContain('no rituals configured — see README Configuration › Rituals')
    expect(tile(body, 'meeting_hours_per_person_week').big).toBe('no data')
  })
})

describe('rituals on the load page', () => {
  it('a configured ritual is named; without calendars its weeks are not shown as missed', async () => {
    const withRitual = configSchema.parse({
      calendar: { rituals: [{ name: 'weekly director sync', cadence: 'weekly' }] },
    })
    const p = await pagesApp({ client, config: withRitual, now: () => LATER })
    const { status, body } = await get('/orgs/dir%40x.io/load?range=2026-Q3', p)
    await p.close()
    expect(status).toBe(200)
    expect(body).toContain(
      '1 ritual(s) configured (weekly director sync); their weeks are not shown: no_data',
    )
    expect(body).not.toContain('missed</span>')
  })
})

describe('who sees which pages (tokens)', () => {
  let api: FastifyInstance
  let orgToken: string
  beforeAll(async () => {
    api = await app(client, { auth: 'tokens' })
    orgToken = (await createToken(client, { scope: 'read', org: 'dir@x.io' })).token
  })
  afterAll(async () => api?.close())
  const as = (url: string, token?: string) =>
    api.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} })

  it('an org token opens its own org’s pages and lists only its org; another org is a 404', async () => {
    const own = await as('/orgs/dir%40x.io?range=2026-Q3', orgToken)
    expect(own.statusCode).toBe(200)
    expect(own.body).toContain('data-metric="decisions_decided"')
    expect((await as('/orgs/dir%40x.io/decisions?range=2026-Q3', orgToken)).statusCode).toBe(200)
    const other = await as('/orgs/dir2%40x.io', orgToken)
    expect(other.statusCode).toBe(404)
    const index = await as('/', orgToken)
    expect(index.statusCode).toBe(200)
    expect(index.body).toContain('data-director="dir@x.io"')
    expect(index.body).not.toContain('data-director="dir2@x.io"')
  })

  it('a team manager’s token opens their team page, from / too', async () => {
    const m1 = (await createToken(client, { scope: 'read', org: 'm1@x.io' })).token
    const index = await as('/', m1)
    expect(index.body).toContain('<p id="own">Your team: <a href="/orgs/m1%40x.io">m1@x.io</a></p>')
    const page = await as('/orgs/m1%40x.io?range=2026-Q3', m1)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('data-metric="decisions_decided"')
    expect((await as('/orgs/dir%40x.io', m1)).statusCode).toBe(404)
  })

  it('an admin token lists every director', async () => {
    const admin = (await createToken(client, { scope: 'admin' })).token
    const index = await as('/', admin)
    expect(index.body).toContain('data-director="dir@x.io"')
    expect(index.body).toContain('data-director="dir2@x.io"')
  })
})

describe('rollups (Grafana) keep the reason and the coverage', () => {
  it('the weekly rollups carry the reason and the coverage', async () => {
    await refreshRollups(client, config, {
      from: new Date('2026-07-27T00:00:00Z'),
      to: new Date('2026-08-10T00:00:00Z'),
    })
    const rows = await queryRows<{
      metric: string
      value: number | null
      withheld: string
      covered: number | null
    }>(
      client,
      `SELECT metric, value, withheld, coverage_covered AS covered FROM metric_rollups FINAL
       WHERE scope = 'u:dir@x.io' AND grain = 'week' AND period_start = '2026-08-03 00:00:00.000'
         AND metric IN ('blockers_open', 'meeting_hours_per_person_week') ORDER BY metric`,
    )
    const by = Object.fromEntries(rows.map((r) => [r.metric, r]))
    expect(by.blockers_open).toMatchObject({ value: 2, withheld: '', covered: 1 })
    expect(by.meeting_hours_per_person_week!.value).toBeNull()
    expect(by.meeting_hours_per_person_week!.withheld).toMatch(/^no_data: no calendar synced/)
  })
})
