import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, unitIdFor } from '@orgpulse/contracts'
import { checkAlerts } from '@orgpulse/dashboards'
import {
  computeOrgMetrics,
  type DecisionItem,
  type DependencyItem,
  decisionItems,
  dependencyItems,
  type MetricDef,
  metricById,
  rankTeamPairs,
  ritualHistory,
  unitsUnder,
  weekStart,
} from '@orgpulse/metrics'

const DAY = 86_400_000
const WEEK = 7 * DAY

/** the figures a digest leads with, in this order */
export const HEADLINE_METRICS = [
  'decisions_decided',
  'decision_latency_p50_hours',
  'decisions_open',
  'escalation_rate',
  'centralization',
  'blockers_open',
  'meeting_hours_per_person_week',
  'ritual_adherence',
  'cycle_completion_rate',
] as const

/** one headline figure: the last complete week and the week before, both as computeOrgMetrics gives them */
export interface DigestFigure {
  id: string
  title: string
  unit: MetricDef['unit']
  value: number | null
  previous: number | null
  /** the n each rests on (null when withheld for privacy) */
  sample: number | null
  previousSample: number | null
  /** why value (previous) is null: the metric's reason (`too_few: …`, `no_data: …`, `withheld: …`) */
  reason?: string
  previousReason?: string
  /** "12 → 9 (−3)", "too few (n = 2 decisions decided, minimum 3)", … */
  text: string
  url: string
}

export interface DigestAlert {
  rule: string
  title: string
  metric: string
  value: number
  threshold: number
  text: string
  url: string
}

export interface DigestDecision {
  id: string
  title: string
  raiser: string
  expectedDecider: string
  raisedAt: string
  ageDays: number
  url: string
}

export interface DigestPair {
  blockerTeam: string
  blockedTeam: string
  blockerName: string
  blockedName: string
  open: number
  oldestOpenAgeDays: number
  url: string
}

export interface DigestRitualMiss {
  name: string
  /** the cadence period it was expected in and not held: [start, end) */
  start: string
  end: string
}

/** what one director gets: their own org only */
export interface Digest {
  director: string
  /** [from, to) of the last complete week (Monday to Monday, UTC) and of the week before */
  week: { from: string; to: string }
  previousWeek: { from: string; to: string }
  people: number
  orgUrl: string
  figures: DigestFigure[]
  alerts: DigestAlert[]
  /** oldest raised first, with their age at the end of the week */
  waitingOnDirector: DigestDecision[]
  waitingOnManagers: DigestDecision[]
  waitingUrls: { director: string; managers: string }
  /** the team pair with the most open blockers at the end of the week, or null when none */
  worstPair: DigestPair | null
  dependenciesUrl: string
  ritualsMissed: DigestRitualMiss[]
  /** why rituals cannot be told (ritual_adherence withheld or no rituals configured), else null */
  ritualsNote: string | null
  loadUrl: string
}

export interface BuildOptions {
  /** the instant the digest is built at (default now); the week is the last complete one */
  now?: Date
  /** recompute the weekly rollups the alert rules read (default true; the scheduler in `start` keeps them current) */
  refreshRollups?: boolean
}

const day = (d: Date) => d.toISOString().slice(0, 10)

/** the value of a metric in words and units: "72.0 h", "30.0 %", "12" */
export function formatValue(m: Pick<MetricDef, 'unit'>, v: number): string {
  switch (m.unit) {
    case 'count':
      return String(Math.round(v))
    case 'ratio':
      return `${(Math.round(v * 1000) / 10).toFixed(1)} %`
    case 'level':
      return `${v.toFixed(2)} level`
    case 'hours':
      return `${v.toFixed(1)} h`
    case 'hours_per_week':
      return `${v.toFixed(1)} h/week`
    case 'days':
      return `${v.toFixed(1)} d`
    case 'item_days':
      return `${v.toFixed(1)} item-days`
  }
}

/** a null value in words: "too few (n = 2 decisions decided, minimum 3)", "no data", "withheld (…)" */
export function reasonWords(reason: string | undefined): string {
  if (!reason) return 'no data'
  const [kind, ...rest] = reason.split(': ')
  const detail = rest.join(': ')
  if (kind === 'too_few') return `too few (${detail})`
  if (kind === 'withheld') return `withheld (${detail})`
  if (kind === 'partial_coverage') return `partial calendar coverage (${detail})`
  if (kind === 'individual') return 'withheld (an individual figure)'
  return 'no data'
}

function figureText(m: MetricDef, value: number | null, previous: number | null, reason?: string): string {
  if (value === null) return reasonWords(reason)
  const now = formatValue(m, value)
  if (previous === null) return `${now} (the week before: no figure to compare)`
  if (previous === value) return `${now} (unchanged)`
  const diff = value - previous
  const sign = diff > 0 ? '+' : '−'
  const abs = Math.abs(diff)
  const delta = m.unit === 'ratio' ? `${(Math.round(abs * 1000) / 10).toFixed(1)} pts` : formatValue(m, abs)
  return `${formatValue(m, previous)} → ${now} (${sign}${delta})`
}

/** "the 4 weeks 2026-10-26 – 2026-11-22": an alert rule's window, which may be longer than the digest's week */
function windowWords(w: { from: string; to: string }): string {
  const from = Date.parse(w.from)
  const to = Date.parse(w.to)
  if (!Number.isFinite(from) || !Number.isFinite(to)) return "the rule's window"
  const weeks = Math.round((to - from) / WEEK)
  const span = weeks === 1 ? 'the week' : `the ${weeks} weeks`
  return `${span} ${day(new Date(from))} – ${day(new Date(to - DAY))}`
}

/** the url of a built-in page for the week */
export function pageUrl(
  baseUrl: string,
  director: string,
  page: string,
  query: Record<string, string>,
): string {
  const base = baseUrl.replace(/\/+$/, '')
  const qs = new URLSearchParams(query).toString()
  return `${base}/orgs/${encodeURIComponent(director)}${page}${qs ? `?${qs}` : ''}`
}

/** the weeks a digest built at `now` covers: the last complete week and the one before */
export function digestWeeks(now: Date): {
  week: { from: Date; to: Date }
  previous: { from: Date; to: Date }
} {
  const to = weekStart(now)
  const from = new Date(to.getTime() - WEEK)
  return { week: { from, to }, previous: { from: new Date(from.getTime() - WEEK), to: from } }
}

/** the worst team pair of the open links: the one ranking (packages/metrics team-pairs.ts), as the dependencies page */
export function worstPairOf(
  links: DependencyItem[],
): Omit<DigestPair, 'blockerName' | 'blockedName' | 'url'> | null {
  const [worst] = rankTeamPairs(
    links.filter((l) => l.openAtEnd),
    (l) => ({ blockerTeam: l.blockerUnit, blockedTeam: l.blockedUnit, open: true, ageDays: l.ageDays }),
  )
  return worst
    ? {
        blockerTeam: worst.blockerTeam,
        blockedTeam: worst.blockedTeam,
        open: worst.open,
        oldestOpenAgeDays: worst.oldestOpenAgeDays ?? 0,
      }
    : null
}

/**
 * The digest of one director's org for the last complete week at `now`: headline figures
 * (computeOrgMetrics over that week and the week before), the alert rules firing for this org,
 * the decisions waiting on the director and on their managers (decisionItems, oldest first),
 * the worst team pair (open blockers at the end of the week) and the rituals missed in cadence
 * periods that ended during the week. Every part is scoped to the director's own unit.
 */
export async function buildDigest(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  directorEmail: string,
  options: BuildOptions = {},
): Promise<Digest> {
  const director = directorEmail.trim().toLowerCase()
  const now = options.now ?? new Date()
  const { week, previous } = digestWeeks(now)
  const baseUrl = config.digest?.baseUrl ?? 'http://127.0.0.1:3000'
  const range = { from: day(week.from), to: day(week.to) }
  const url = (page: string, extra: Record<string, string> = {}) =>
    pageUrl(baseUrl, director, page, { ...extra, ...range })
  const scope = unitIdFor(director)

  const [cur, prev] = await Promise.all([
    computeOrgMetrics(client, config, { director, from: range.from, to: range.to }),
    computeOrgMetrics(client, config, { director, from: day(previous.from), to: day(previous.to) }),
  ])
  const pageOf: Record<string, string> = {
    decisions: url(''),
    dependencies: url('/dependencies'),
    meetings: url('/load'),
    planning: url(''),
  }
  const figures: DigestFigure[] = HEADLINE_METRICS.map((id) => {
    const m = metricById(id)
    const value = cur.metrics[id] ?? null
    const before = prev.metrics[id] ?? null
    const reason = cur.withheld[id]
    const previousReason = prev.withheld[id]
    return {
      id,
      title: m.title,
      unit: m.unit,
      value,
      previous: before,
      sample: cur.samples[id] ?? null,
      previousSample: prev.samples[id] ?? null,
      ...(value === null && reason ? { reason } : {}),
      ...(before === null && previousReason ? { previousReason } : {}),
      text: figureText(m, value, before, reason),
      url: pageOf[m.family] ?? url(''),
    }
  })

  const checked = await checkAlerts(client, config, {
    at: week.to,
    refresh: options.refreshRollups !== false,
  })
  const alerts: DigestAlert[] = checked.firing
    .filter((f) => f.org === director)
    .map((f) => {
      const m = metricById(f.metric)
      const shown = (v: number) => (f.condition === 'above_baseline' ? `${v.toFixed(2)}×` : formatValue(m, v))
      return {
        rule: f.rule,
        title: f.title,
        metric: f.metric,
        value: f.value,
        threshold: f.threshold,
        text: `${f.title}: ${shown(f.value)}, fires above ${shown(f.threshold)} (${windowWords(f.window)})`,
        url: pageOf[m.family] ?? url(''),
      }
    })

  const waiting = async (filter: 'waiting_on_leader' | 'waiting_on_managers') =>
    (await decisionItems(client, { scope, from: week.from, to: week.to, filter })).map(
      (d: DecisionItem): DigestDecision => ({
        id: d.id,
        title: d.title,
        raiser: d.raiser,
        expectedDecider: d.expectedDecider,
        raisedAt: d.raisedAt,
        ageDays: d.ageDays ?? 0,
        url: url('/decisions', { filter }),
      }),
    )
  const [onDirector, onManagers, open, units] = await Promise.all([
    waiting('waiting_on_leader'),
    waiting('waiting_on_managers'),
    dependencyItems(client, { scope, from: week.from, to: week.to, filter: 'open' }),
    unitsUnder(client, director, week.to),
  ])
  const names = new Map(units.map((u) => [u.unit_id, u.name]))
  const pair = worstPairOf(open)

  // rituals: the cadence periods that ended during the week (a monthly ritual's month ends inside some week)
  const ritualWindow = { from: new Date(week.to.getTime() - 35 * DAY), to: week.to }
  const adherenceReason = cur.withheld.ritual_adherence
  const configured = config.calendar?.rituals?.length ?? 0
  let ritualsMissed: DigestRitualMiss[] = []
  let ritualsNote: string | null = null
  if (configured === 0) ritualsNote = 'no rituals configured (calendar.rituals)'
  else if (adherenceReason && !adherenceReason.startsWith('too_few'))
    ritualsNote = `ritual adherence: ${reasonWords(adherenceReason)}`
  else {
    const history = await ritualHistory(client, config, { scope, ...ritualWindow })
    const weekFrom = day(week.from)
    ritualsMissed = history.flatMap((r) =>
      r.periods
        .filter((p) => p.expected && !p.held && p.end > weekFrom)
        .map((p) => ({ name: r.name, start: p.start, end: p.end })),
    )
  }

  return {
    director,
    week: { from: week.from.toISOString(), to: week.to.toISOString() },
    previousWeek: { from: previous.from.toISOString(), to: previous.to.toISOString() },
    people: cur.people,
    orgUrl: url(''),
    figures,
    alerts,
    waitingOnDirector: onDirector,
    waitingOnManagers: onManagers,
    waitingUrls: {
      director: url('/decisions', { filter: 'waiting_on_leader' }),
      managers: url('/decisions', { filter: 'waiting_on_managers' }),
    },
    worstPair: pair
      ? {
          ...pair,
          blockerName: names.get(pair.blockerTeam) ?? pair.blockerTeam,
          blockedName: names.get(pair.blockedTeam) ?? pair.blockedTeam,
          url: url('/dependencies'),
        }
      : null,
    dependenciesUrl: url('/dependencies'),
    ritualsMissed,
    ritualsNote,
    loadUrl: url('/load'),
  }
}
