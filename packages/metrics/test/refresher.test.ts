import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { queryRows } from '@orgpulse/clickhouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRollupRefresher } from '../src/index.ts'
import { config, freshClickHouse, importCsv, ingestDecisions } from './helpers.ts'

let client: ClickHouseClient

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importCsv(
    client,
    ch.dir,
    'org.csv',
    'email,name,manager_email,title\nd@x.io,D,,Dir\nm@x.io,M,d@x.io,EM\na@x.io,A,m@x.io,Eng\n',
    '2026-01-01',
  )
})
afterAll(async () => {
  await client?.close()
})

const decidedIn = async (scope: string, week: string) => {
  const rows = await queryRows<{ value: number | null }>(
    client,
    `SELECT value FROM metric_rollups FINAL WHERE scope = {scope:String} AND metric = 'decisions_decided' AND toDate(period_start) = {week:Date}`,
    { scope, week },
  )
  return rows[0]?.value ?? null
}

describe('rollup refresher', () => {
  it('fills the horizon first, then recomputes the weeks that late data touched', async () => {
    const now = new Date('2026-07-29T12:00:00Z')
    const refresher = startRollupRefresher(client, config, {
      intervalMs: 3_600_000,
      initialWeeks: 10,
      now: () => now,
    })
    await refresher.flush()
    expect(await decidedIn('u:m@x.io', '2026-07-06')).toBe(0)
    // a late decision from three weeks back arrives after the first run
    await ingestDecisions(client, [
      {
        id: 'L1',
        title: 'late',
        raisedBy: 'a@x.io',
        raisedAt: '2026-07-06T09:00:00Z',
        status: 'decided',
        decidedBy: 'm@x.io',
        decidedAt: '2026-07-07T09:00:00Z',
      },
    ])
    await refresher.flush()
    expect(await decidedIn('u:m@x.io', '2026-07-06')).toBe(1)
    expect(await decidedIn('u:d@x.io', '2026-07-06')).toBe(1)
    await refresher.stop()
  })
})
