import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { computeOrgMetrics, METRICS, type OrgMetricsResult } from '@orgpulse/metrics'
import type { FastifyInstance } from 'fastify'
import { parquetReadObjects } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPORT_COLUMN_NAMES } from '../src/exports/columns.ts'
import { parseQuarter, previousQuarter } from '../src/exports/quarter.ts'
import { loadFixtureActivity, Q3_DECISION_IDS } from './fixture.ts'
import { app, config, freshClickHouse, importFixtureOrg } from './helpers.ts'

let client: ClickHouseClient
let api: FastifyInstance
let q3: OrgMetricsResult
let q2: OrgMetricsResult

type Row = Record<string, unknown>

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await loadFixtureActivity(client)
  api = await app(client, { auth: 'none' })
  q3 = await computeOrgMetrics(client, config, { director: 'dir@x.io', from: '2026-07-01', to: '2026-10-01' })
  q2 = await computeOrgMetrics(client, config, { director: 'dir@x.io', from: '2026-04-01', to: '2026-07-01' })
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

/** RFC 4180 CSV (quoted fields, doubled quotes) → rows; empty cells → null */
function parseCsv(text: string): Row[] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  let wasQuoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') {
      quoted = true
      wasQuoted = true
    } else if (c === ',' || c === '\n') {
      record.push(wasQuoted || field !== '' ? field : '\u0000')
      field = ''
      wasQuoted = false
      if (c === '\n') {
        records.push(record)
        record = []
      }
    } else field += c
  }
  const [header, ...body] = records
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] === '\u0000' ? null : r[i]])))
}

async function exportRows(
  format: 'csv' | 'json' | 'parquet',
): Promise<{ rows: Row[]; headers: Record<string, unknown> }> {
  const res = await api.inject({
    method: 'GET',
    url: `/v1/orgs/dir@x.io/exports/quarterly?quarter=2026-Q3&format=${format}`,
  })
  expect(res.statusCode).toBe(200)
  if (format === 'csv') return { rows: parseCsv(res.body), headers: res.headers }
  if (format === 'json')
    return {
      rows: res.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Row),
      headers: res.headers,
    }
  const buf = res.rawPayload
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
  return { rows: (await parquetReadObjects({ file })) as Row[], headers: res.headers }
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v))

/** the metric rows every format must carry, from computeOrgMetrics for Q3 and Q2 */
function expectedMetricRows(): {
  scope: string
  metric: string
  value: number | null
  previous: number | null
  sample: number | null
  withheld: string
  people: number
  coverage: [number | null, number | null, number | null]
}[] {
  const scopes = [
    {
      id: 'u:dir@x.io',
      cur: q3,
      prev: q2 as { metrics: Record<string, number | null> } | undefined,
      people: q3.people,
    },
    ...q3.teams.map((t) => ({
      id: t.id,
      cur: t,
      prev: q2.teams.find((p) => p.id === t.id),
      people: t.people,
    })),
  ]
  return scopes.flatMap((s) =>
    METRICS.map((m) => ({
      scope: s.id,
      metric: m.id,
      value: s.cur.metrics[m.id] ?? null,
      previous: s.prev?.metrics[m.id] ?? null,
      sample: s.cur.samples[m.id] ?? null,
      withheld: s.cur.withheld[m.id] ?? '',
      people: s.people,
      coverage: (m.family === 'meetings'
        ? [s.cur.coverage.calendar.covered, s.cur.coverage.calendar.people, s.cur.coverage.calendar.share]
        : m.requires === 'tracker'
          ? [s.cur.coverage.trackers.synced, null, null]
          : [null, null, null]) as [number | null, number | null, number | null],
    })),
  )
}

describe('quarterly export', () => {
  it('computes quarters in UTC', () => {
    const q = parseQuarter('2026-Q1')
    expect([q.from.toISOString(), q.to.toISOString(), previousQuarter(q).label]).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
      '2025-Q4',
    ])
    expect(() => parseQuarter('2026-Q5')).toThrow('quarter must look like 2026-Q3 (got "2026-Q5")')
  })

  for (const format of ['csv', 'json', 'parquet'] as const) {
    it(`${format}: parses back to computeOrgMetrics for the quarter and the previous one, the decision log and the blockers`, async () => {
      const { rows, headers } = await exportRows(format)
      expect(headers['x-orgpulse-rows']).toBe(`metrics=${3 * METRICS.length}, decisions=17, dependencies=3`)
      expect(headers['content-disposition']).toMatch(
        /^attachment; filename="orgpulse-dir-x-io-2026-Q3\.(csv|ndjson|parquet)"$/,
      )
      expect(Object.keys(rows[0]!)).toEqual(EXPORT_COLUMN_NAMES)
      expect(rows.map((r) => r.section)).toEqual([
        ...Array(3 * METRICS.length).fill('metrics'),
        ...Array(17).fill('decisions'),
        ...Array(3).fill('dependencies'),
      ])

      const metrics = rows.filter((r) => r.section === 'metrics')
      const expected = expectedMetricRows()
      expect(
        metrics.map((r) => ({
          scope: r.scope_id,
          metric: r.metric,
          value: num(r.value),
          previous: num(r.previous_value),
          sample: num(r.sample),
          withheld: r.withheld ?? '',
          people: num(r.people),
          coverage: [num(r.coverage_covered), num(r.coverage_people), num(r.coverage_share)],
        })),
      ).toEqual(expected)
      for (const r of metrics) {
        const v = num(r.value)
        const p = num(r.previous_value)
        expect(num(r.change)).toBe(v !== null && p !== null ? Math.round((v - p) * 1e6) / 1e6 : null)
        expect([r.org, r.quarter, r.previous_quarter]).toEqual(['dir@x.io', '2026-Q3', '2026-Q2'])
      }
      // the exact figures behind the comparison: 14 decided in Q3, 2 in Q2 (P1, P2)
      const decided = metrics.find((r) => r.scope_id === 'u:dir@x.io' && r.metric === 'decisions_decided')!
      expect([num(decided.value), num(decided.previous_value), num(decided.change)]).toEqual([14, 2, 12])
      // the n behind each value: the 14 decided decisions for their latency
      const p90 = metrics.find(
        (r) => r.scope_id === 'u:dir@x.io' && r.metric === 'decision_latency_p90_hours',
      )!
      expect(num(p90.sample)).toBe(14)
      // the Jira project behind the links is synced: L1 and L3 are open at the end of Q3, one tracker covers the org
      const open = metrics.find((r) => r.scope_id === 'u:dir@x.io' && r.metric === 'blockers_open')!
      expect([num(open.value), num(open.coverage_covered), open.withheld ?? '']).toEqual([2, 1, ''])
      // no calendar is synced in the fixture: meeting figures are no data, never 0
      const meet = metrics.find(
        (r) => r.scope_id === 'u:dir@x.io' && r.metric === 'meeting_hours_per_person_week',
      )!
      expect([num(meet.value), String(meet.withheld).slice(0, 8), num(meet.coverage_covered)]).toEqual([
        null,
        'no_data:',
        0,
      ])
      // team m2 has 3 people: people-based metrics are withheld
      const m2 = metrics.find(
        (r) => r.scope_id === 'u:m2@x.io' && r.metric === 'meeting_hours_per_person_week',
      )!
      expect([num(m2.value), m2.withheld]).toEqual([
        null,
        'withheld: group of 3 people is below privacy.minGroupSize 5',
      ])

      const decisions = rows.filter((r) => r.section === 'decisions')
      expect(decisions.map((r) => String(r.decision_id).replace('decisions:', ''))).toEqual(Q3_DECISION_IDS)
      const e1 = decisions.find((r) => r.decision_id === 'decisions:E1')!
      expect([
        e1.status,
        e1.raised_by,
        e1.decided_by,
        Boolean(e1.escalated === true || e1.escalated === 'true'),
        num(e1.latency_hours),
        e1.scope_id,
        e1.scope_name,
      ]).toEqual([
        'decided',
        'b2@x.io',
        'm2@x.io',
        true,
        48,
        'u:m2@x.io',
        q3.teams.find((t) => t.id === 'u:m2@x.io')!.name,
      ])
      const at = (v: unknown) => (v instanceof Date ? v.toISOString() : `${String(v).replace(' ', 'T')}Z`)
      expect(at(e1.raised_at)).toBe('2026-08-01T00:00:00.000Z')

      const deps = rows.filter((r) => r.section === 'dependencies')
      expect(
        deps.map((r) => [r.link_id, r.blocker_team, r.blocked_team, num(r.age_days), r.resolved_at === null]),
      ).toEqual([
        ['jira:L1', 'u:m1@x.io', 'u:m2@x.io', 92, true],
        ['jira:L2', 'u:m2@x.io', 'u:m1@x.io', 10, false],
        ['jira:L3', 'u:m1@x.io', 'u:m3@x.io', 61, true],
      ])
    })
  }

  it('drops its staging table once the file is rendered', async () => {
    await exportRows('csv')
    const staged = async () => {
      const rs = await client.query({
        query:
          "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name LIKE 'export\\_%'",
        format: 'JSONEachRow',
      })
      return Number((await rs.json<{ n: string | number }>())[0]!.n)
    }
    // the drop runs when the body stream closes, just after the response completed
    for (let i = 0; i < 50 && (await staged()) > 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(await staged()).toBe(0)
  })

  it('answers 400 for a bad quarter or format, 404 for an unknown director', async () => {
    expect(
      (await api.inject({ method: 'GET', url: '/v1/orgs/dir@x.io/exports/quarterly?quarter=2026-3' }))
        .statusCode,
    ).toBe(400)
    expect(
      (
        await api.inject({
          method: 'GET',
          url: '/v1/orgs/dir@x.io/exports/quarterly?quarter=2026-Q3&format=docx',
        })
      ).statusCode,
    ).toBe(400)
    const missing = await api.inject({
      method: 'GET',
      url: '/v1/orgs/nobody@x.io/exports/quarterly?quarter=2026-Q3',
    })
    expect(missing.statusCode).toBe(404)
  })

  it('EXPORTS.md documents exactly the exported columns, in order', () => {
    const all = readFileSync(join(import.meta.dirname, '..', 'EXPORTS.md'), 'utf8')
    const doc = all.slice(all.indexOf('### Columns'), all.indexOf('### How it is produced'))
    // cell padding may vary (markdown formatters align tables)
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` +\|/gm)].map((m) => m[1])
    expect(documented).toEqual(EXPORT_COLUMN_NAMES)
  })
})
