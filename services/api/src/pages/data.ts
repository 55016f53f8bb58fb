import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import {
  computeOrgMetrics,
  METRICS,
  type MetricDef,
  type OrgMetricsResult,
  type Viewer,
} from '@orgpulse/metrics'
import { effectiveAt, listSnapshots } from '@orgpulse/org'
import { baselineOf, chartRange, isoDay, type PageRange, previousOf } from './range.ts'

/**
 * The figures of the built-in pages, all from computeOrgMetrics (the function behind the CLI,
 * the api and the exports): the same window gives the same number everywhere. A tile never mixes
 * windows: every figure on it, open decisions and open ages included, is for the page's window
 * ("at the end of the window" for the open ones), its previous period of the same length, and
 * the baseline the alert rules use (the 12 weeks before the window, pooled).
 */

export type Status = 'ok' | 'warn' | 'critical' | 'neutral' | 'empty'

export interface Figure {
  value: number | null
  /** why the value is null: `no_data: …`, `too_few: …`, `withheld: …`, `partial_coverage: …` */
  reason: string | null
  /** the sample the value rests on (figures' `samples`), null when the result carries none */
  n: number | null
}

export interface ItemLink {
  label: string
  href: string
  /** how many items the linked list holds: the tile's own count */
  count: number | null
}

export interface Tile {
  id: string
  title: string
  description: string
  unit: MetricDef['unit']
  direction: MetricDef['direction']
  family: MetricDef['family']
  sampleOf: string
  current: Figure
  previous: Figure
  baseline: Figure
  status: Status
  links: ItemLink[]
}

export interface TeamRow {
  id: string
  name: string
  manager: string
  people: number
  figures: Record<string, Figure & { status: Status }>
}

export interface ScopeData {
  /** whose org the page belongs to (visibility and links), and the scope shown (the org or a team) */
  director: string
  scope: { unit: string; manager: string; name: string; people: number }
  range: PageRange
  previous: { from: Date; to: Date }
  baseline: { from: Date; to: Date }
  result: OrgMetricsResult
  tiles: Tile[]
  teams: TeamRow[]
  coverage: OrgMetricsResult['coverage']
  /** weekly figures for the charts, with the org snapshot dates inside them (re-orgs) */
  chart: { weeks: string[]; series: Record<string, (number | null)[]>; reorgs: string[] }
}

export function figureOf(
  scope: {
    metrics: Record<string, number | null>
    withheld: Record<string, string>
    samples: Record<string, number | null>
  },
  m: MetricDef,
): Figure {
  const value = scope.metrics[m.id] ?? null
  const reason = value === null ? (scope.withheld[m.id] ?? 'no_data: no data in the window') : null
  const sampled = scope.samples[m.id]
  return { value, reason, n: sampled === undefined || sampled === null ? null : Number(sampled) }
}

/** the catalog's thresholds and good direction; an empty figure is never coloured */
export function statusOf(m: MetricDef, value: number | null): Status {
  if (value === null) return 'empty'
  const { warn, critical } = m.thresholds
  if (m.direction === 'neutral' || (warn === null && critical === null)) return 'neutral'
  const bad = (x: number) => (m.direction === 'lower_is_better' ? value >= x : value <= x)
  if (critical !== null && bad(critical)) return 'critical'
  if (warn !== null && bad(warn)) return 'warn'
  return 'ok'
}

export interface LinkTarget {
  page: 'decisions' | 'dependencies' | 'load'
  /** the items filter the metric's sample counts */
  filter?: string
  label: string
  /** the numerator's filter of a ratio, and its words */
  part?: { filter: string; label: string }
}

/** where each metric's number leads: the items its sample counts (and a ratio's numerator) */
export const TILE_LISTS: Record<string, LinkTarget> = {
  decisions_decided: { page: 'decisions', filter: 'decided', label: 'decided' },
  decision_latency_p50_hours: { page: 'decisions', filter: 'decided', label: 'decided' },
  decision_latency_p90_hours: { page: 'decisions', filter: 'decided', label: 'decided' },
  decisions_open: { page: 'decisions', filter: 'open', label: 'open' },
  decision_open_age_p50_days: { page: 'decisions', filter: 'open', label: 'open' },
  escalation_rate: {
    page: 'decisions',
    filter: 'decided',
    label: 'decided',
    part: { filter: 'escalated', label: 'escalated' },
  },
  centralization: {
    page: 'decisions',
    filter: 'not_by_leader',
    label: 'not raised by the leader',
    part: { filter: 'centralised', label: 'decided by the leader' },
  },
  decision_depth: { page: 'decisions', filter: 'depth', label: 'decided' },
  blockers_open: { page: 'dependencies', filter: 'open', label: 'open' },
  blocker_age_p50_days: { page: 'dependencies', filter: 'open', label: 'open' },
  blocker_age_p90_days: { page: 'dependencies', filter: 'open', label: 'open' },
  blockers_resolved_14d_rate: {
    page: 'dependencies',
    filter: 'resolved',
    label: 'resolved',
    part: { filter: 'resolved_14d', label: 'within 14 days' },
  },
  blocked_item_days: { page: 'dependencies', filter: 'blocking_days', label: 'blocked items' },
}

/** a page URL keeping the range and team */
export function pageHref(
  director: string,
  page: '' | 'decisions' | 'dependencies' | 'load' | 'review' | `teams/${string}`,
  query: Record<string, string | undefined>,
): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, v)
  const base = `/orgs/${encodeURIComponent(director)}${page ? `/${page}` : ''}`
  const s = qs.toString()
  return s ? `${base}?${s}` : base
}

function tileLinks(
  m: MetricDef,
  f: Figure,
  director: string,
  query: Record<string, string | undefined>,
): ItemLink[] {
  const target = TILE_LISTS[m.id]
  if (!target) return [{ label: 'details', href: pageHref(director, 'load', query), count: null }]
  const links: ItemLink[] = [
    {
      label: target.label,
      href: pageHref(director, target.page, { ...query, filter: target.filter }),
      count: f.n,
    },
  ]
  if (target.part && f.value !== null && f.n !== null)
    links.push({
      label: target.part.label,
      href: pageHref(director, target.page, { ...query, filter: target.part.filter }),
      count: Math.round(f.value * f.n),
    })
  return links
}

/**
 * Counts and sums over a window (decided, item-days) grow with its length: the baseline's is put
 * on the window's length so the comparison means something; stocks at the end of a window (open
 * decisions, open blockers) and ratios, quantiles and means compare as they are.
 */
export const FLOW_METRICS = new Set(['decisions_decided', 'blocked_item_days'])
function scaled(
  f: Figure,
  m: MetricDef,
  base: { from: Date; to: Date },
  w: { from: Date; to: Date },
): Figure {
  if (!FLOW_METRICS.has(m.id) || f.value === null) return f
  const k = (w.to.getTime() - w.from.getTime()) / (base.to.getTime() - base.from.getTime())
  return { ...f, value: Math.round(f.value * k * 10) / 10 }
}

export interface ScopeRequest {
  director: string
  /** the manager whose unit the page shows (the director for the org page) */
  manager: string
  range: PageRange
  viewer: Viewer
  /** kept on every link: the range and, on org-level pages, the team */
  query: Record<string, string | undefined>
}

const day = isoDay

export async function scopeData(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  req: ScopeRequest,
): Promise<ScopeData> {
  const { range } = req
  const previous = previousOf(range)
  const baseline = baselineOf(range)
  const chart = chartRange(range)
  const ask = (w: { from: Date; to: Date }, grain?: 'week') =>
    computeOrgMetrics(client, config, {
      director: req.manager,
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      viewer: req.viewer,
      ...(grain ? { grain } : {}),
    })
  const [result, prev, base, weekly, snapshots] = await Promise.all([
    ask(range),
    ask(previous),
    ask(baseline),
    ask(chart, 'week'),
    listSnapshots(client),
  ])
  const tiles = METRICS.map((m): Tile => {
    const current = figureOf(result, m)
    return {
      id: m.id,
      title: m.title,
      description: m.description,
      unit: m.unit,
      direction: m.direction,
      family: m.family,
      sampleOf: m.sampleOf,
      current,
      previous: figureOf(prev, m),
      baseline: scaled(figureOf(base, m), m, baseline, range),
      status: statusOf(m, current.value),
      links: tileLinks(m, current, req.director, req.query),
    }
  })
  const teams = result.teams.map(
    (t): TeamRow => ({
      id: t.id,
      name: t.name,
      manager: t.manager,
      people: t.people,
      figures: Object.fromEntries(
        METRICS.map((m) => {
          const f = figureOf(t, m)
          return [m.id, { ...f, status: statusOf(m, f.value) }]
        }),
      ),
    }),
  )
  const series = weekly.series ?? []
  const first = series[0]?.from ?? chart.from.toISOString()
  return {
    director: req.director,
    scope: {
      unit: `u:${req.manager}`,
      manager: req.manager,
      name: '',
      people: result.people,
    },
    range,
    previous,
    baseline,
    result,
    tiles,
    teams,
    coverage: result.coverage,
    chart: {
      weeks: series.map((s) => s.from.slice(0, 10)),
      series: Object.fromEntries(METRICS.map((m) => [m.id, series.map((s) => s.metrics[m.id] ?? null)])),
      // the first snapshot is where the org begins, not a re-org
      reorgs: snapshots
        .map((s) => s.slice(0, 10))
        .filter((s, i, all) => i > 0 && s >= first.slice(0, 10) && s < day(chart.to) && all.indexOf(s) === i),
    },
  }
}

/** names of people and units in the org valid at `at` (for lists that show ids) */
export async function namesAt(
  client: ClickHouseClient,
  at: Date,
): Promise<{ people: Map<string, string>; units: Map<string, string> }> {
  const effective = await effectiveAt(client, new Date(at.getTime() - 1))
  if (!effective) return { people: new Map(), units: new Map() }
  const [people, units] = await Promise.all([
    queryRows<{ id: string; name: string }>(
      client,
      'SELECT person_id AS id, name FROM org_people WHERE effective = {d:Date}',
      { d: effective },
    ),
    queryRows<{ id: string; name: string }>(
      client,
      'SELECT unit_id AS id, name FROM org_units WHERE effective = {d:Date}',
      { d: effective },
    ),
  ])
  return {
    people: new Map(people.map((p) => [p.id, p.name])),
    units: new Map(units.map((u) => [u.id, u.name])),
  }
}

/** the units a manager leads and their place: depth-1 teams of the director's org, with the manager */
export async function teamsOf(
  client: ClickHouseClient,
  director: string,
  at: Date,
): Promise<{ id: string; name: string; manager: string }[]> {
  const effective = await effectiveAt(client, new Date(at.getTime() - 1))
  if (!effective) return []
  return queryRows<{ id: string; name: string; manager: string }>(
    client,
    `SELECT u.unit_id AS id, u.name AS name, u.manager_id AS manager
     FROM org_closure AS c INNER JOIN org_units AS u ON u.effective = c.effective AND u.unit_id = c.unit_id
     WHERE c.effective = {d:Date} AND c.ancestor_id = {root:String} AND c.depth = 1
     ORDER BY u.name`,
    { d: effective, root: `u:${director}` },
  )
}
