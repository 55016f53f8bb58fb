import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { computeOrgMetrics } from '@orgpulse/metrics'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadFixtureActivity, Q3_DECISION_IDS } from './fixture.ts'
import { app, config, freshClickHouse, importFixtureOrg } from './helpers.ts'

let client: ClickHouseClient
let api: FastifyInstance

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await loadFixtureActivity(client)
  api = await app(client, { auth: 'none' })
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

const get = async (url: string) => {
  const res = await api.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}
const Q3 = 'from=2026-07-01&to=2026-10-01'
/** fixture ids without the source namespace (`decisions:D01` → `D01`) */
const short = (id: string) => id.replace(/^decisions:/, '')

interface Decision {
  id: string
  status: string
  escalated: boolean
  decidedBy: string | null
  latencyHours: number | null
  raisedAt: string
  team: string
}

async function allPages(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const { status, body } = await get(
      `/v1/orgs/dir@x.io/decisions?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
    )
    expect([status, status === 200 ? '' : body]).toEqual([200, ''])
    ids.push(...body.decisions.map((d: Decision) => short(d.id)))
    cursor = body.nextCursor
    pages++
  } while (cursor)
  return { ids, pages }
}

describe('org tree', () => {
  it('lists directors and returns a director tree', async () => {
    const orgs = await get('/v1/orgs')
    expect(orgs.body.orgs.map((d: { email: string; people: number }) => [d.email, d.people])).toEqual([
      ['ceo@x.io', 16],
      ['dir2@x.io', 5],
      ['dir@x.io', 10],
    ])
    const tree = await get('/v1/orgs/DIR@x.io')
    expect(tree.status).toBe(200)
    expect(
      tree.body.units.map((u: { unitId: string; depth: number; totalPeople: number }) => [
        u.unitId,
        u.depth,
        u.totalPeople,
      ]),
    ).toEqual([
      ['u:dir@x.io', 0, 10],
      ['u:m2@x.io', 1, 3],
      ['u:m1@x.io', 1, 6],
    ])
    expect((await get('/v1/orgs/a1@x.io')).status).toBe(404)
  })
})

describe('metrics', () => {
  it('returns exactly computeOrgMetrics for the org, weekly series included', async () => {
    const res = await get(`/v1/orgs/dir@x.io/metrics?${Q3}&grain=week`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual(
      await computeOrgMetrics(client, config, {
        director: 'dir@x.io',
        from: '2026-07-01',
        to: '2026-10-01',
        grain: 'week',
      }),
    )
    expect(res.body.metrics.decisions_decided).toBe(14)
    expect(res.body.series).toHaveLength(14)
  })

  it('per team: the same computation rooted at the team', async () => {
    const res = await get(`/v1/orgs/dir@x.io/teams/m1@x.io/metrics?${Q3}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual(
      await computeOrgMetrics(client, config, { director: 'm1@x.io', from: '2026-07-01', to: '2026-10-01' }),
    )
    // D01–D10 decided; D09, D10 by the director
    expect(res.body.metrics.decisions_decided).toBe(10)
    expect(res.body.metrics.escalation_rate).toBe(0.2)
    // the team's figures equal the team row of the org response
    const org = await get(`/v1/orgs/dir@x.io/metrics?${Q3}`)
    const row = org.body.teams.find((t: { id: string }) => t.id === 'u:m1@x.io')
    expect(row.metrics).toEqual(res.body.metrics)
  })

  it('answers 400 with the reason for bad input', async () => {
    expect(await get('/v1/orgs/dir@x.io/metrics?from=2026-07-01')).toEqual({
      status: 400,
      body: { error: expect.stringContaining('querystring') },
    })
    expect((await get('/v1/orgs/dir@x.io/metrics?from=2026-10-01&to=2026-07-01')).body).toEqual({
      error: 'to (2026-07-01) must be after from (2026-10-01)',
    })
    expect((await get(`/v1/orgs/dir@x.io/metrics?${Q3}&grain=day`)).status).toBe(400)
    expect((await get(`/v1/orgs/not-an-email/metrics?${Q3}`)).status).toBe(400)
  })

  it('takes dates in one strict format on every route: a real day, or an instant with its offset', async () => {
    const routes = [
      '/v1/orgs/dir@x.io/metrics',
      '/v1/orgs/dir@x.io/teams/m1@x.io/metrics',
      '/v1/orgs/dir@x.io/decisions',
      '/v1/orgs/dir@x.io/dependencies',
    ]
    for (const path of routes) {
      const bad = [
        ['from=2026-09-31&to=2026-10-31', '2026-09-31 is not a date: September has 30 days'],
        ['from=09/01/2026&to=2026-10-31', '"09/01/2026" is not a date: use YYYY-MM-DD'],
        ['from=2026-9-1&to=2026-10-31', '"2026-9-1" is not a date'],
        ['from=2026-09-01&to=2026-10-01T00:00:00', '"2026-10-01T00:00:00" is not a date'],
      ]
      for (const [query, message] of bad) {
        const res = await get(`${path}?${query}`)
        expect({ path, query, status: res.status }).toEqual({ path, query, status: 400 })
        expect(String(res.body.error), `${path}?${query}`).toContain(message)
      }
      // an instant with an offset is a date like any other
      const ok = await get(`${path}?from=2026-07-01T00:00:00%2B02:00&to=2026-10-01T00:00:00Z`)
      expect({ path, status: ok.status }).toEqual({ path, status: 200 })
    }
  })

  it('caps a window at 2 years (731 days) with a 400 that says so, for the org and for a team', async () => {
    // a 230-year weekly request once ran 11 s and took 0.5 GB
    for (const path of ['/v1/orgs/dir@x.io/metrics', '/v1/orgs/dir@x.io/teams/m1@x.io/metrics']) {
      const res = await get(`${path}?from=1800-01-01&to=2030-01-01&grain=week`)
      expect(res).toEqual({
        status: 400,
        body: {
          error: expect.stringMatching(/spans 84006 days; one request covers at most 731 days \(2 years/),
        },
      })
    }
    // exactly the limit is fine (2024 is a leap year: 2024-01-01 → 2026-01-01 is 731 days)
    expect((await get('/v1/orgs/dir@x.io/metrics?from=2024-01-01&to=2026-01-01&grain=week')).status).toBe(200)
    expect((await get('/v1/orgs/dir@x.io/metrics?from=2024-01-01&to=2026-01-02')).status).toBe(400)
  })
})

describe('decisions', () => {
  it('lists the decisions active in a window, oldest raised first, ties by id', async () => {
    const { body } = await get(`/v1/orgs/dir@x.io/decisions?${Q3}&limit=1000`)
    expect(body.decisions.map((d: Decision) => short(d.id))).toEqual(Q3_DECISION_IDS)
    expect(body.nextCursor).toBeNull()
    const d09 = body.decisions.find((d: Decision) => d.id === 'decisions:D09')
    expect(d09).toEqual({
      id: 'decisions:D09',
      title: 'decision D09',
      status: 'decided',
      raisedBy: 'a4@x.io',
      raisedAt: '2026-07-10T09:00:00.000Z',
      decidedBy: 'dir@x.io',
      decidedAt: '2026-07-12T09:00:00.000Z',
      expectedDecider: null,
      escalated: true,
      deciderLevel: 2,
      latencyHours: 48,
      team: 'u:m1@x.io',
    })
  })

  it('pages with an opaque cursor: complete, no repeats, same order as one page, stable across equal timestamps', async () => {
    const whole = (await get('/v1/orgs/dir@x.io/decisions?limit=1000')).body.decisions.map((d: Decision) =>
      short(d.id),
    )
    expect(whole).toHaveLength(19)
    for (const limit of [1, 2, 3, 4, 7]) {
      const { ids, pages } = await allPages('', limit)
      expect(ids).toEqual(whole)
      expect(pages).toBe(Math.ceil(19 / limit))
    }
    // a page boundary inside the T1–T3 tie (same raised_at) neither skips nor repeats
    const { ids } = await allPages(Q3, 14)
    expect(ids).toEqual(Q3_DECISION_IDS)
    expect((await get('/v1/orgs/dir@x.io/decisions?cursor=garbage')).body).toEqual({
      error: 'cursor is not one this api issued (use nextCursor from the previous page)',
    })
  })

  it('filters by status, escalation, decider and team', async () => {
    const ids = async (q: string) =>
      (await get(`/v1/orgs/dir@x.io/decisions?${Q3}&${q}`)).body.decisions.map((d: Decision) => short(d.id))
    expect(await ids('status=rejected')).toEqual(['T3'])
    expect(await ids('status=withdrawn')).toEqual(['D12'])
    expect(await ids('status=proposed')).toEqual(['P3', 'D11'])
    expect((await ids('status=decided')).length).toBe(13)
    expect(await ids('escalated=true')).toEqual(['D09', 'D10', 'E1'])
    expect((await ids('escalated=false')).length).toBe(14)
    expect(await ids('decider=dir@x.io')).toEqual(['D09', 'D10'])
    expect(await ids('team=m2@x.io')).toEqual(['T1', 'T2', 'T3', 'E1'])
    expect(await ids('team=u:m2@x.io&status=decided')).toEqual(['T1', 'T2', 'E1'])
    // without a window: P2 (decided by dir in Q2) too
    expect(
      (await get('/v1/orgs/dir@x.io/decisions?decider=dir@x.io')).body.decisions.map((d: Decision) =>
        short(d.id),
      ),
    ).toEqual(['P2', 'D09', 'D10'])
    expect((await get('/v1/orgs/dir@x.io/decisions?team=m3@x.io')).status).toBe(404)
    expect((await get('/v1/orgs/dir@x.io/decisions?status=maybe')).status).toBe(400)
  })
})

describe('dependencies', () => {
  it('lists cross-team links touching the org in the window and ranks the team pairs', async () => {
    const { status, body } = await get(`/v1/orgs/dir@x.io/dependencies?${Q3}`)
    expect(status).toBe(200)
    expect(
      body.links.map((l: { linkId: string; open: boolean; ageDays: number; resolvedAt: string | null }) => [
        l.linkId,
        l.open,
        l.ageDays,
        l.resolvedAt,
      ]),
    ).toEqual([
      ['jira:L1', true, 92, null],
      ['jira:L2', false, 10, '2026-07-20T00:00:00.000Z'],
      ['jira:L3', true, 61, null],
    ])
    expect(body.pairs).toEqual([
      {
        blockerTeam: 'u:m1@x.io',
        blockedTeam: 'u:m2@x.io',
        links: 1,
        open: 1,
        oldestOpenAgeDays: 92,
        openAgeDaysTotal: 92,
      },
      {
        blockerTeam: 'u:m1@x.io',
        blockedTeam: 'u:m3@x.io',
        links: 1,
        open: 1,
        oldestOpenAgeDays: 61,
        openAgeDaysTotal: 61,
      },
      {
        blockerTeam: 'u:m2@x.io',
        blockedTeam: 'u:m1@x.io',
        links: 1,
        open: 0,
        oldestOpenAgeDays: null,
        openAgeDaysTotal: 0,
      },
    ])
    const open = await get(`/v1/orgs/dir@x.io/dependencies?${Q3}&open=true`)
    expect(open.body.links.map((l: { linkId: string }) => l.linkId)).toEqual(['jira:L1', 'jira:L3'])
    // dir2's org sees L3 (blocked team m3) but not the same-team L4
    const other = await get(`/v1/orgs/dir2@x.io/dependencies?${Q3}`)
    expect(other.body.links.map((l: { linkId: string }) => l.linkId)).toEqual(['jira:L3'])
  })
})
