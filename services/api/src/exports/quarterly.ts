import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, unitIdFor } from '@orgpulse/contracts'
import {
  type Coverage,
  METRICS,
  type MetricDef,
  MetricsQueryError,
  type OrgMetricsResult,
  type Viewer,
} from '@orgpulse/metrics'
import { metricsOrThrow, OrgMetricsCache, orgMetricsForWindows } from '@orgpulse/review'
import { decisionRowsSql } from '../queries/decisions.ts'
import { dependencyRowsSql } from '../queries/dependencies.ts'
import { EXPORT_COLUMN_NAMES, EXPORT_COLUMNS, SORT_COLUMNS } from './columns.ts'
import { parseQuarter, previousQuarter, type Quarter } from './quarter.ts'
import { isChdb, streamFormatted } from './stream.ts'

export type ExportFormat = 'csv' | 'json' | 'parquet'

export const EXPORT_FORMATS: Record<
  ExportFormat,
  { clickhouse: string; contentType: string; extension: string; settings: Record<string, string | number> }
> = {
  // empty, not \N: spreadsheets read NULL as an empty cell
  csv: {
    clickhouse: 'CSVWithNames',
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    settings: { format_csv_null_representation: '' },
  },
  // newline-delimited: one object per row, streamable by any JSON-lines reader
  json: {
    clickhouse: 'JSONEachRow',
    contentType: 'application/x-ndjson',
    extension: 'ndjson',
    settings: { output_format_json_quote_64bit_integers: 0 },
  },
  // snappy: readable by every Parquet reader (ClickHouse defaults to zstd); 100k-row groups bound the
  // engine's buffer (1M-row groups cost ~300 MB RSS for a 3M-row export, 100k ~60 MB)
  parquet: {
    clickhouse: 'Parquet',
    contentType: 'application/vnd.apache.parquet',
    extension: 'parquet',
    settings: {
      output_format_parquet_compression_method: 'snappy',
      output_format_parquet_row_group_size: 100_000,
    },
  },
}

export interface QuarterlyExportRequest {
  director: string
  quarter: string
  format: ExportFormat
  /** who the export is for (default admin): decides whether individual metrics are included */
  viewer?: Viewer
}

export interface QuarterlyExport {
  quarter: Quarter
  previous: Quarter
  filename: string
  contentType: string
  rows: { metrics: number; decisions: number; dependencies: number }
  /** the rendered file; the staging table is dropped when it ends, fails or is destroyed */
  stream: Readable
}

const caches = new WeakMap<ClickHouseClient, OrgMetricsCache>()

/**
 * The figures the exports share on the embedded engine (one process owns the data, so its parts
 * are the data's version): every format of a quarter's export, and the review's, judge the
 * director's tree once while nothing is written. None on a ClickHouse server (OrgMetricsCache).
 */
export function exportMetricsCache(client: ClickHouseClient): OrgMetricsCache | undefined {
  if (!isChdb(client)) return undefined
  let cache = caches.get(client)
  if (!cache) {
    cache = new OrgMetricsCache()
    caches.set(client, cache)
  }
  return cache
}

const RANK = { metrics: 1, decisions: 2, dependencies: 3 } as const

/**
 * One quarter of a director's org, for a quarterly review: every catalog metric per scope (the
 * org, each team) for the quarter and the one before with the change, the quarter's decision
 * log, and its cross-team dependencies. The rows are staged in a ClickHouse table (metric values
 * from `computeOrgMetrics`, privacy applied; decisions and dependencies with INSERT … SELECT from
 * the catalog's base relations, never through Node), then ClickHouse renders the format.
 */
export async function quarterlyExport(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  request: QuarterlyExportRequest,
): Promise<QuarterlyExport> {
  const director = request.director.trim().toLowerCase()
  const quarter = parseQuarter(request.quarter)
  const previous = previousQuarter(quarter)
  const window = (q: Quarter) => ({ from: q.from.toISOString(), to: q.to.toISOString() })
  // both quarters judged together: one judgeTree when both end in the same org
  const [now, then] = await orgMetricsForWindows(
    client,
    config,
    { director, viewer: request.viewer },
    [window(quarter), window(previous)],
    exportMetricsCache(client),
  )
  // throws a not_found MetricsQueryError for an unknown director before anything is staged
  const current = metricsOrThrow(now!)
  // the director may not have led an org at the end of the previous quarter: then no previous values
  if (!then!.ok && !(then!.error instanceof MetricsQueryError && then!.error.kind === 'not_found'))
    throw then!.error
  const before = then!.ok ? then!.value : null

  // a generated identifier, not a value: the only name in these statements that is not a parameter
  const table = `export_${randomBytes(8).toString('hex')}`
  const format = EXPORT_FORMATS[request.format]
  await client.command({
    query: `CREATE TABLE ${table} (${EXPORT_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')}, ${SORT_COLUMNS})
      ENGINE = MergeTree ORDER BY (_rank, _seq, _t, _id)`,
  })
  const drop = () => client.command({ query: `DROP TABLE IF EXISTS ${table}` }).then(() => undefined)
  try {
    await stageMetrics(client, table, director, quarter, previous, current, before)
    const common = { org: director, quarter: quarter.label }
    const scope = unitIdFor(director)
    const decisions = decisionRowsSql({ scope, from: quarter.from, to: quarter.to })
    await client.command({
      query: `INSERT INTO ${table} (section, org, quarter, scope_id, scope_name, scope_kind, decision_id, title, status, raised_by, raised_at,
          decided_by, decided_at, escalated, decider_level, latency_hours, _rank, _seq, _t, _id)
        WITH names AS (SELECT unit_id, argMax(name, effective) AS name FROM org_units GROUP BY unit_id)
        SELECT 'decisions', {x_org:String}, {x_quarter:String}, d.team, n.name, 'team', d.decision_id, d.title, d.status, d.raised_by,
          d.raised_at, d.decided_by, d.decided_at, d.escalated, d.decider_level, d.latency_hours, ${RANK.decisions}, 0, d.raised_at, d.decision_id
        FROM (${decisions.sql}) AS d LEFT JOIN names AS n ON n.unit_id = d.team`,
      query_params: { ...decisions.params, x_org: common.org, x_quarter: common.quarter },
      clickhouse_settings: { async_insert: 0 },
    })
    const deps = dependencyRowsSql({ scope, from: quarter.from, to: quarter.to })
    await client.command({
      query: `INSERT INTO ${table} (section, org, quarter, link_id, blocker_item, blocked_item, blocker_team, blocked_team, created_at,
          resolved_at, open_at_end, age_days, _rank, _seq, _t, _id)
        SELECT 'dependencies', {x_org:String}, {x_quarter:String}, l.link_id, l.blocker_item, l.blocked_item, l.blocker_team, l.blocked_team,
          l.created_at, l.resolved_at, l.open_at_end, l.age_days, ${RANK.dependencies}, 0, l.created_at, l.link_id
        FROM (${deps.sql}) AS l`,
      query_params: { ...deps.params, x_org: common.org, x_quarter: common.quarter },
      clickhouse_settings: { async_insert: 0 },
    })
    const counts = await queryRows<{ rank: number; n: string }>(
      client,
      `SELECT _rank AS rank, count() AS n FROM ${table} GROUP BY _rank`,
    )
    const count = (rank: number) => Number(counts.find((c) => Number(c.rank) === rank)?.n ?? 0)
    const stream = await streamFormatted(
      client,
      `SELECT ${EXPORT_COLUMN_NAMES.join(', ')} FROM ${table} ORDER BY _rank, _seq, _t, _id`,
      format.clickhouse,
      format.settings,
    )
    // dropped once the file is rendered (embedded) or the response body is consumed (server)
    let dropped = false
    const dropOnce = () => {
      if (dropped) return
      dropped = true
      drop().catch(() => {})
    }
    stream.once('close', dropOnce)
    stream.once('end', dropOnce)
    stream.once('error', dropOnce)
    return {
      quarter,
      previous,
      filename: `orgpulse-${director.replace(/[^a-z0-9]+/g, '-')}-${quarter.label}.${format.extension}`,
      contentType: format.contentType,
      rows: {
        metrics: count(RANK.metrics),
        decisions: count(RANK.decisions),
        dependencies: count(RANK.dependencies),
      },
      stream,
    }
  } catch (err) {
    await drop().catch(() => {})
    throw err
  }
}

async function stageMetrics(
  client: ClickHouseClient,
  table: string,
  director: string,
  quarter: Quarter,
  previous: Quarter,
  current: OrgMetricsResult,
  before: OrgMetricsResult | null,
): Promise<void> {
  const root = unitIdFor(director)
  const names = await queryRows<{ unit_id: string; name: string }>(
    client,
    'SELECT unit_id, argMax(name, effective) AS name FROM org_units WHERE unit_id = {root:String} GROUP BY unit_id',
    { root },
  )
  const scopes = [
    {
      id: root,
      name: names[0]?.name ?? director,
      kind: 'org',
      people: current.people,
      metrics: current.metrics,
      samples: current.samples,
      withheld: current.withheld,
      coverage: current.coverage,
      prev: before?.metrics,
    },
    ...current.teams.map((t) => ({
      id: t.id,
      name: t.name,
      kind: 'team',
      people: t.people,
      metrics: t.metrics,
      samples: t.samples,
      withheld: t.withheld,
      coverage: t.coverage,
      prev: before?.teams.find((p) => p.id === t.id)?.metrics,
    })),
  ]
  let seq = 0
  const values = scopes.flatMap((s) =>
    METRICS.map((m) => {
      const value = s.metrics[m.id] ?? null
      const prev = s.prev?.[m.id] ?? null
      return {
        section: 'metrics',
        org: director,
        quarter: quarter.label,
        scope_id: s.id,
        scope_name: s.name,
        scope_kind: s.kind,
        people: s.people,
        metric: m.id,
        metric_title: m.title,
        unit: m.unit,
        value,
        previous_quarter: previous.label,
        previous_value: prev,
        change: value !== null && prev !== null ? Math.round((value - prev) * 1e6) / 1e6 : null,
        sample: s.samples[m.id] ?? null,
        withheld: s.withheld[m.id] ?? '',
        ...coverageColumns(m, s.coverage),
        _rank: RANK.metrics,
        _seq: seq++,
        _t: '1970-01-01 00:00:00.000',
        _id: '',
      }
    }),
  )
  await client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
}

/** The coverage behind one metric row: calendars for the meetings family, trackers for dependencies and planning. */
function coverageColumns(
  m: MetricDef,
  c: Coverage,
): { coverage_covered: number | null; coverage_people: number | null; coverage_share: number | null } {
  if (m.family === 'meetings')
    return {
      coverage_covered: c.calendar.covered,
      coverage_people: c.calendar.people,
      coverage_share: c.calendar.share,
    }
  if (m.requires === 'tracker')
    return { coverage_covered: c.trackers.synced, coverage_people: null, coverage_share: null }
  return { coverage_covered: null, coverage_people: null, coverage_share: null }
}
