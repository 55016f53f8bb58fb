import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadFixtureActivity } from './fixture.ts'
import { app, freshClickHouse, importFixtureOrg } from './helpers.ts'

/**
 * The built-in org page and the rollups behind it say what the figures rest on: the fixture has
 * a synced Jira project (teams m1, m2, m3, synced 2026-10-15) and no calendar at all.
 */
let client: ClickHouseClient
let api: FastifyInstance
let html: string

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await loadFixtureActivity(client)
  api = await app(client, { auth: 'none' })
  const res = await api.inject({ method: 'GET', url: '/orgs/dir@x.io' })
  expect(res.statusCode).toBe(200)
  html = res.body
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

describe('coverage on the built-in page and in the rollups', () => {
  it('the weekly rollups carry the reason and the coverage (the latest week the page shows)', async () => {
    const rows = await queryRows<{
      metric: string
      value: number | null
      withheld: string
      covered: number | null
      total: number | null
      share: number | null
    }>(
      client,
      `SELECT metric, value, withheld, coverage_covered AS covered, coverage_total AS total, coverage_share AS share
       FROM metric_rollups FINAL
       WHERE scope = 'u:dir@x.io' AND grain = 'week'
         AND period_start = (SELECT max(period_start) FROM metric_rollups WHERE scope = 'u:dir@x.io')
         AND metric IN ('blockers_open', 'meeting_hours_per_person_week', 'decisions_decided')
       ORDER BY metric`,
    )
    const by = Object.fromEntries(rows.map((r) => [r.metric, r]))
    // the week of the latest activity (E1, decided 2026-08-03): L1 and L3 are open at its end,
    // and the project was synced (10-15) after it began
    expect(by.blockers_open).toMatchObject({ value: 2, withheld: '', covered: 1, total: null, share: null })
    // no calendar: no data, not 0 hours
    expect(by.meeting_hours_per_person_week!.value).toBeNull()
    expect(by.meeting_hours_per_person_week!.withheld).toMatch(/^no_data: no calendar synced/)
    expect(by.meeting_hours_per_person_week!.covered).toBe(0)
    expect(Number(by.meeting_hours_per_person_week!.total)).toBeGreaterThan(0)
    expect(by.decisions_decided).toMatchObject({ covered: null, total: null, share: null })
  })

  it('the page states the latest week’s coverage and why its empty figures are empty', () => {
    expect(html).toMatch(
      /<p class="sub" id="coverage">Week of \d{4}-\d{2}-\d{2}: calendars synced for 0 of \d+ people \(0%\)/,
    )
    const json = html.match(/<script type="application\/json" id="orgpulse-data">(.*?)<\/script>/s)![1]!
    const page = JSON.parse(json) as { coverage: { withheld: Record<string, string> } }
    expect(page.coverage.withheld.meeting_hours_per_person_week).toMatch(/^no_data: /)
    expect(page.coverage.withheld.focus_hours_per_person_week).toMatch(/^no_data: /)
  })
})
