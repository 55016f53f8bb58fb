import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, toClickHouseTime, unitIdFor } from '@orgpulse/contracts'
import {
  type DashboardSpec,
  dashboardSpecs,
  expandQuery,
  type PanelSpec,
  TEAM_VARIABLE_SQL,
} from '@orgpulse/dashboards'
import { refreshRollups, weekStart } from '@orgpulse/metrics'

/**
 * Panel data for the built-in pages: the Grafana panels' own SQL, expanded the way Grafana
 * would for this director (director = their unit, team = every unit in their org, range = the
 * last 26 complete weeks of activity), over the pre-computed `metric_rollups`.
 */
export const PAGE_WEEKS = 26
const WEEK = 7 * 86400000

export type PanelData =
  | { kind: 'series'; times: string[]; series: { name: string; values: (number | null)[] }[] }
  | { kind: 'table'; columns: string[]; rows: unknown[][] }

export interface RenderedPanel {
  key: string
  /** the catalog metric a stat panel shows (its reason is in OrgPage.coverage.withheld) */
  metric: string | null
  kind: PanelSpec['kind']
  title: string
  description: string
  unit: string
  thresholds: { warn: number | null; critical: number | null; direction: string } | null
  thresholdLine: PanelSpec['thresholdLine'] | null
  data: PanelData
}

/**
 * What the director's latest week rests on (DESIGN "No data is not zero"), from the rollups:
 * the calendars synced, the trackers synced, and why each empty metric is empty.
 */
export interface PageCoverage {
  week: string | null
  calendar: { covered: number; people: number; share: number | null } | null
  trackers: number | null
  /** metric id → reason (`no_data: …`, `partial_coverage: …`, `withheld: …`) */
  withheld: Record<string, string>
}

export interface OrgPage {
  director: string
  from: string
  to: string
  coverage: PageCoverage
  dashboards: { key: string; title: string; description: string; panels: RenderedPanel[] }[]
}

/** [from, to): the 26 weeks ending at the Monday after the latest activity (or this week) */
export async function pageRange(client: ClickHouseClient): Promise<{ from: Date; to: Date }> {
  const rows = await queryRows<{ t: string | null }>(
    client,
    `SELECT if(max(x) < toDateTime64('1970-01-02 00:00:00', 3, 'UTC'), NULL, toString(max(x))) AS t FROM (
       SELECT max(occurred_at) AS x FROM decision_events UNION ALL SELECT max(occurred_at) FROM dependency_events
       UNION ALL SELECT max(start) FROM meetings)`,
  )
  const latest = rows[0]?.t ? new Date(`${rows[0].t.replace(' ', 'T')}Z`) : new Date()
  const to = new Date(weekStart(latest).getTime() + WEEK)
  return { from: new Date(to.getTime() - PAGE_WEEKS * WEEK), to }
}

/**
 * Keeps the rollups the pages read current: recomputed at most every `maxAgeMs`, one refresh at
 * a time (concurrent page loads wait for the same one).
 */
export function rollupKeeper(client: ClickHouseClient, config: OrgpulseConfig, maxAgeMs = 10 * 60_000) {
  let last = 0
  let running: Promise<void> | null = null
  return async (range: { from: Date; to: Date }): Promise<void> => {
    if (Date.now() - last < maxAgeMs) return
    running ??= refreshRollups(client, config, range)
      .then(() => {
        last = Date.now()
      })
      .finally(() => {
        running = null
      })
    await running
  }
}

function toData(panel: PanelSpec, names: string[], rows: unknown[][]): PanelData {
  if (panel.kind === 'table') return { kind: 'table', columns: names, rows }
  const times = [...new Set(rows.map((r) => String(r[0])))]
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
  if (panel.seriesLabel) {
    const byLabel = new Map<string, (number | null)[]>()
    for (const r of rows) {
      const label = String(r[1])
      const values = byLabel.get(label) ?? times.map(() => null)
      values[times.indexOf(String(r[0]))] = num(r[2])
      byLabel.set(label, values)
    }
    return { kind: 'series', times, series: [...byLabel].map(([name, values]) => ({ name, values })) }
  }
  return {
    kind: 'series',
    times,
    series: names.slice(1).map((name, i) => ({ name, values: rows.map((r) => num(r[i + 1])) })),
  }
}

async function panelData(
  client: ClickHouseClient,
  panel: PanelSpec,
  vars: Record<string, string | string[]>,
  range: { from: Date; to: Date },
): Promise<PanelData> {
  const sql = expandQuery(panel.sql, { from: range.from, to: range.to, intervalMs: WEEK, variables: vars })
  const rs = await client.query({ query: sql, format: 'JSONCompactEachRowWithNames' })
  const [names, ...rows] = (await rs.json()) as unknown as [string[], ...unknown[][]]
  return toData(panel, names, rows)
}

async function pageCoverage(
  client: ClickHouseClient,
  unit: string,
  range: { from: Date; to: Date },
): Promise<PageCoverage> {
  const rows = await queryRows<{
    week: string
    metric: string
    withheld: string
    covered: number | null
    total: number | null
    share: number | null
  }>(
    client,
    `SELECT toString(period_start) AS week, metric, withheld, coverage_covered AS covered,
       coverage_total AS total, coverage_share AS share
     FROM metric_rollups FINAL
     WHERE scope = {unit:String} AND grain = 'week' AND period_start = (
       SELECT max(period_start) FROM metric_rollups
       WHERE scope = {unit:String} AND grain = 'week' AND period_start >= {from:DateTime64(3)} AND period_end <= {to:DateTime64(3)})`,
    { unit, from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
  )
  const meet = rows.find((r) => r.metric === 'meeting_hours_per_person_week')
  const blockers = rows.find((r) => r.metric === 'blockers_open')
  const n = (v: number | null | undefined): number | null =>
    v === null || v === undefined ? null : Number(v)
  return {
    week: rows[0]?.week.slice(0, 10) ?? null,
    calendar:
      meet && meet.covered !== null
        ? { covered: Number(meet.covered), people: Number(meet.total ?? 0), share: n(meet.share) }
        : null,
    trackers: n(blockers?.covered),
    withheld: Object.fromEntries(rows.filter((r) => r.withheld !== '').map((r) => [r.metric, r.withheld])),
  }
}

export async function orgPage(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  director: string,
  range: { from: Date; to: Date },
): Promise<OrgPage> {
  const unit = unitIdFor(director)
  const teamRows = await queryRows<Record<string, string>>(
    client,
    expandQuery(TEAM_VARIABLE_SQL, { ...range, variables: { director: unit } }),
  )
  // a team-less org still needs a value: the director's own unit stands in
  const teams = teamRows.length > 0 ? teamRows.map((r) => Object.values(r)[0]!) : [unit]
  const vars = { director: unit, team: teams }
  const dashboards = await Promise.all(
    dashboardSpecs(config).map(async (spec: DashboardSpec) => ({
      key: spec.key,
      title: spec.title,
      description: spec.description,
      panels: await Promise.all(
        spec.panels.map(async (p): Promise<RenderedPanel> => {
          const metric = p.metrics[0]
          return {
            key: `${spec.key}.${p.key}`,
            metric: metric?.id ?? null,
            kind: p.kind,
            title: p.title,
            description: p.description,
            unit: metric?.unit ?? 'count',
            thresholds:
              p.kind === 'stat' && metric ? { ...metric.thresholds, direction: metric.direction } : null,
            thresholdLine: p.thresholdLine ?? null,
            data: await panelData(client, p, vars, range),
          }
        }),
      ),
    })),
  )
  return {
    director,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    coverage: await pageCoverage(client, unit, range),
    dashboards,
  }
}
