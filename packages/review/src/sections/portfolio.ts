import { queryRows } from '@orgpulse/clickhouse'
import {
  type OrgpulseConfig,
  PORTFOLIO_BUCKETS,
  type PortfolioConfig,
  type PortfolioTarget,
  portfolioConfigSchema,
  toClickHouseTime,
  unitIdFor,
} from '@orgpulse/contracts'
import { FAMILIES, metricById } from '@orgpulse/metrics'
import type { ReviewContext, ReviewWindow } from '../context.ts'
import type { ReviewCell, ReviewColumn, ReviewSection, SourceCoverage } from '../model.ts'

/**
 * "Which bet consumes attention without return?" (seed essay, quarterly review): per portfolio
 * bucket (or initiative, `portfolio.groupBy`) the decisions it raised and how fast they were
 * made, the cross-team blockers holding its work, and its cycles' scope completed vs added.
 *
 * The figures are the org metrics' own base rows (packages/metrics: the decisions, dependencies
 * and planning families for the director's org over the quarter), each joined to the raw project
 * and epic its facts carry (migration 012) and mapped to a bucket here, at query time: the
 * buckets' counts add up to the org's, and a changed mapping needs no re-ingest.
 */

/** the essay's review question, verbatim */
export const PORTFOLIO_QUESTION =
  'Which portfolio bet is consuming attention without enough strategic return?'
export const UNMAPPED = 'unmapped'
export const TOTAL = 'total'

/** what an item's facts say about where it lives */
export interface PortfolioItem {
  source: string
  /** Jira project key / Linear project id ('' for none) */
  project: string
  /** Jira epic key ('' for none) */
  epic: string
  /** the org team reference the connector gave it (cycles and the Linear team fallback) */
  team: string
}

/**
 * The mapping, compiled: a Jira epic, then a Jira or Linear project, then the item's team (the
 * Linear teams, and for cycles the Jira projects, through the connectors' own team mapping).
 */
export interface PortfolioMapper {
  groupOf(item: PortfolioItem): string
  /** the group of a cycle of the team `team` (a reference as the connectors store it) */
  groupOfTeam(team: string): string
  /** the groups a complete table lists, in order (the four buckets, or the initiatives), unmapped last */
  groups: string[]
  /** team references that map to more than one group: their cycles count as unmapped */
  ambiguousTeams: string[]
}

const own = <T>(rec: Record<string, T>, key: string): T | undefined =>
  key !== '' && Object.hasOwn(rec, key) ? rec[key] : undefined

export function portfolioMapper(config: OrgpulseConfig): PortfolioMapper {
  const p: PortfolioConfig = config.portfolio ?? portfolioConfigSchema.parse({})
  const key = (t: PortfolioTarget | undefined): string =>
    (t && (p.groupBy === 'bucket' ? t.bucket : t.initiative)) || UNMAPPED
  // team reference → group, from the Linear teams and the Jira projects' project-wide team rules
  const byTeam = new Map<string, Set<string>>()
  const addTeam = (ref: string | undefined, group: string) => {
    if (!ref || group === UNMAPPED) return
    const set = byTeam.get(ref) ?? new Set<string>()
    set.add(group)
    byTeam.set(ref, set)
  }
  for (const [linearKey, target] of Object.entries(p.linear.teams))
    addTeam(config.linear && own(config.linear.teams, linearKey), key(target))
  for (const [project, target] of Object.entries(p.jira.projects))
    for (const rule of config.jira?.teams ?? [])
      if (rule.components.length === 0 && rule.projects.includes(project)) addTeam(rule.team, key(target))
  const teamGroup = (team: string): string => {
    const set = byTeam.get(team)
    return set && set.size === 1 ? [...set][0]! : UNMAPPED
  }
  const initiatives = new Set<string>()
  for (const t of [
    ...Object.values(p.jira.projects),
    ...Object.values(p.jira.epics),
    ...Object.values(p.linear.projects),
    ...Object.values(p.linear.teams),
  ])
    if (t.initiative) initiatives.add(t.initiative)
  const linearTeamRefs = new Set(
    Object.keys(p.linear.teams).flatMap((k) => {
      const ref = config.linear && own(config.linear.teams, k)
      return ref ? [ref] : []
    }),
  )
  return {
    groupOf(item) {
      if (item.source === 'jira') {
        const g = key(own(p.jira.epics, item.epic) ?? own(p.jira.projects, item.project))
        return g
      }
      if (item.source === 'linear') {
        const byProject = own(p.linear.projects, item.project)
        if (byProject) return key(byProject)
        // a Linear item in no mapped project falls back to its (mapped) Linear team
        return linearTeamRefs.has(item.team) ? teamGroup(item.team) : UNMAPPED
      }
      return UNMAPPED
    },
    groupOfTeam: teamGroup,
    groups: [...(p.groupBy === 'bucket' ? PORTFOLIO_BUCKETS : [...initiatives].sort()), UNMAPPED],
    ambiguousTeams: [...byTeam].filter(([, s]) => s.size > 1).map(([t]) => t),
  }
}

/** ClickHouse's quantileExactInclusive: linear interpolation at (n - 1)·level over the sorted values */
export function quantileInclusive(values: number[], level: number): number | null {
  if (values.length === 0) return null
  const xs = [...values].sort((a, b) => a - b)
  const h = (xs.length - 1) * level
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return xs[lo]! + (h - lo) * (xs[hi]! - xs[lo]!)
}

interface DecisionRow {
  source: string
  project: string
  epic: string
  team: string
  raised_in_window: number | boolean
  decided_in_window: number | boolean
  hours: number | null
}
interface DependencyRow {
  source: string
  project: string
  epic: string
  team: string
  open_at_end: number | boolean
  blocked_days: number
}
interface CycleRow {
  cycle_id: string
  team: string
  committed: number
  completed: number
  added: number
}

const ch = (iso: string) => toClickHouseTime(new Date(iso))

/** the decisions family's base rows for the org over the window, with each decision's project and epic */
async function decisionRows(ctx: ReviewContext, scope: string, w: ReviewWindow): Promise<DecisionRow[]> {
  return queryRows<DecisionRow>(
    ctx.client,
    `SELECT p.source AS source, p.project AS project, p.epic AS epic, p.team AS team,
       b.raised_at >= b.w_from AND b.raised_at < b.w_to AS raised_in_window,
       b.decided_in_window AS decided_in_window,
       if(b.decided_in_window, dateDiff('millisecond', b.raised_at, b.called_at) / 3600000.0, NULL) AS hours
     FROM (${FAMILIES.decisions.base}) AS b
     LEFT JOIN (
       SELECT decision_id, any(source) AS source,
         -- the newest version's epic (a re-parented issue moves); the project from any row that has one
         argMaxIf(project, (version, arrival), project != '') AS project,
         argMax(epic, (version, arrival)) AS epic,
         argMaxIf(team, (version, arrival), team != '') AS team
       FROM decision_events GROUP BY decision_id
     ) AS p ON p.decision_id = b.decision_id
     WHERE b.scope = {scope:String}`,
    { scopes: [scope], w_froms: [ch(w.from)], w_tos: [ch(w.to)], scope },
  )
}

/** the dependencies family's base rows (one per cross-team link touching the org), with the blocked item's project and epic */
async function dependencyRows(ctx: ReviewContext, scope: string, w: ReviewWindow): Promise<DependencyRow[]> {
  return queryRows<DependencyRow>(
    ctx.client,
    `SELECT p.source AS source, p.project AS project, p.epic AS epic, b.blocked_team AS team,
       b.open_at_end AS open_at_end, b.blocked_days_of_item AS blocked_days
     FROM (${FAMILIES.dependencies.base}) AS b
     LEFT JOIN (
       SELECT link_id, any(source) AS source,
         -- either side may have written the link; only the blocked side knows its epic
         argMaxIf(project, version, project != '') AS project,
         argMaxIf(epic, version, epic != '') AS epic
       FROM dependency_events FINAL GROUP BY link_id
     ) AS p ON p.link_id = b.link_id
     WHERE b.scope = {scope:String}`,
    { scopes: [scope], w_froms: [ch(w.from)], w_tos: [ch(w.to)], scope },
  )
}

async function cycleRows(ctx: ReviewContext, scope: string, w: ReviewWindow): Promise<CycleRow[]> {
  return queryRows<CycleRow>(
    ctx.client,
    `SELECT cycle_id, team, committed, completed, added FROM (${FAMILIES.planning.base}) WHERE scope = {scope:String}`,
    { scopes: [scope], w_froms: [ch(w.from)], w_tos: [ch(w.to)], scope },
  )
}

const DAY = 86_400_000

/**
 * A tracker's coverage of a period: Jira projects and Linear teams are read whole, so a sync at
 * t covers everything up to t; the period is covered from its start to its last sync (at most its end).
 */
export async function trackerCoverage(ctx: ReviewContext, w: ReviewWindow): Promise<SourceCoverage[]> {
  const rows = await queryRows<{ source: string; last: string }>(
    ctx.client,
    `SELECT source, toString(max(occurred_at)) AS last FROM source_coverage FINAL
     WHERE scope_kind IN ('project', 'team') GROUP BY source`,
  )
  const from = Date.parse(w.from)
  const to = Date.parse(w.to)
  const days = Math.round((to - from) / DAY)
  return (['jira', 'linear'] as const).map((source) => {
    const row = rows.find((r) => r.source === source)
    const last = row ? Date.parse(`${row.last.replace(' ', 'T')}Z`) : Number.NaN
    const covered = Number.isFinite(last) ? Math.max(0, Math.min(last, to) - from) : 0
    const daysCovered = Math.min(days, Math.floor(covered / DAY + 1e-9))
    const share = days > 0 ? daysCovered / days : null
    return {
      source,
      period: { from: w.from, to: w.to },
      daysCovered,
      days,
      share,
      enough: share !== null && share >= 0.9,
    }
  })
}

const COLUMNS: ReviewColumn[] = [
  { key: 'group', title: 'Bucket', unit: 'text' },
  { key: 'decisions_raised', title: 'Decisions raised', unit: 'count' },
  { key: 'decisions_decided', title: 'Decisions decided', unit: 'count', metric: 'decisions_decided' },
  {
    key: 'decision_latency_p50_hours',
    title: 'Decision latency p50',
    unit: 'hours',
    metric: 'decision_latency_p50_hours',
  },
  { key: 'blockers_open', title: 'Open blockers at the end', unit: 'count', metric: 'blockers_open' },
  { key: 'blocked_item_days', title: 'Blocked item-days', unit: 'item_days', metric: 'blocked_item_days' },
  { key: 'scope_committed', title: 'Cycle scope committed', unit: 'count' },
  { key: 'scope_completed', title: 'Cycle scope completed', unit: 'count' },
  { key: 'scope_added', title: 'Cycle scope added', unit: 'count' },
]

interface Acc {
  raised: number
  decided: number
  hours: number[]
  blockersOpen: number
  blockedDays: number
  blockedItems: number
  cycles: number
  committed: number
  completed: number
  added: number
}
const emptyAcc = (): Acc => ({
  raised: 0,
  decided: 0,
  hours: [],
  blockersOpen: 0,
  blockedDays: 0,
  blockedItems: 0,
  cycles: 0,
  committed: 0,
  completed: 0,
  added: 0,
})

const truthy = (v: number | boolean | string): boolean => v === true || v === 1 || v === '1' || v === 'true'
const round6 = (n: number): number => Math.round(n * 1e6) / 1e6

function cells(label: string, a: Acc, trackerData: boolean): Record<string, ReviewCell> {
  const p50 = metricById('decision_latency_p50_hours')
  const n = a.hours.length
  const latency: ReviewCell =
    n === 0
      ? { value: null, reason: 'no_data: no decision decided in the quarter', sample: 0, status: 'no_data' }
      : n < p50.minSample
        ? {
            value: null,
            reason: `too_few: n = ${n} ${p50.sampleOf} (minimum ${p50.minSample})`,
            sample: n,
            status: 'too_few',
          }
        : { value: round6(quantileInclusive(a.hours, 0.5)!), sample: n, status: 'none' }
  const tracker = (value: number, sample: number): ReviewCell =>
    trackerData
      ? { value: round6(value), sample, status: 'none' }
      : {
          value: null,
          reason: 'no_data: no Jira project or Linear team synced over the quarter',
          sample: null,
          status: 'no_data',
        }
  return {
    group: { value: label },
    decisions_raised: { value: a.raised, sample: a.raised, status: 'none' },
    decisions_decided: { value: a.decided, sample: a.decided, status: 'none' },
    decision_latency_p50_hours: latency,
    blockers_open: tracker(a.blockersOpen, a.blockersOpen),
    blocked_item_days: tracker(a.blockedDays, a.blockedItems),
    scope_committed: tracker(a.committed, a.cycles),
    scope_completed: tracker(a.completed, a.cycles),
    scope_added: tracker(a.added, a.cycles),
  }
}

interface Grouped {
  acc: Map<string, Acc>
  total: Acc
}

/** the window's base rows, mapped to groups */
async function grouped(ctx: ReviewContext, mapper: PortfolioMapper, w: ReviewWindow): Promise<Grouped> {
  const scope = unitIdFor(ctx.director)
  const [decisions, dependencies, cycles] = await Promise.all([
    decisionRows(ctx, scope, w),
    dependencyRows(ctx, scope, w),
    cycleRows(ctx, scope, w),
  ])
  const acc = new Map<string, Acc>(mapper.groups.map((g) => [g, emptyAcc()]))
  const total = emptyAcc()
  const of = (g: string): Acc => {
    const a = acc.get(g) ?? emptyAcc()
    acc.set(g, a)
    return a
  }
  const item = (r: { source: string; project: string; epic: string; team: string }): PortfolioItem => ({
    source: r.source ?? '',
    project: r.project ?? '',
    epic: r.epic ?? '',
    team: r.team ?? '',
  })
  for (const d of decisions) {
    for (const t of [of(mapper.groupOf(item(d))), total]) {
      if (truthy(d.raised_in_window)) t.raised++
      if (truthy(d.decided_in_window)) {
        t.decided++
        if (d.hours !== null) t.hours.push(Number(d.hours))
      }
    }
  }
  for (const r of dependencies) {
    for (const t of [of(mapper.groupOf(item(r))), total]) {
      if (truthy(r.open_at_end)) t.blockersOpen++
      t.blockedDays += Number(r.blocked_days)
      if (Number(r.blocked_days) > 0) t.blockedItems++
    }
  }
  for (const c of cycles) {
    for (const t of [of(mapper.groupOfTeam(c.team)), total]) {
      t.cycles++
      t.committed += Number(c.committed)
      t.completed += Number(c.completed)
      t.added += Number(c.added)
    }
  }
  return { acc, total }
}

/** totals over the window (not a quantile or a state at its end): a running quarter holds less of them */
const FLOW_TOTALS = new Set([
  'decisions_raised',
  'decisions_decided',
  'blocked_item_days',
  'scope_committed',
  'scope_completed',
  'scope_added',
])

/**
 * The previous quarter's value and the relative change (null when either is null or the base is
 * 0; null too for a total in a running quarter, which is not compared with a whole quarter's).
 */
function compared(
  now: Record<string, ReviewCell>,
  before: Record<string, ReviewCell>,
  partial: boolean,
): Record<string, ReviewCell> {
  const out: Record<string, ReviewCell> = {}
  for (const [k, cell] of Object.entries(now)) {
    if (k === 'group') {
      out[k] = cell
      continue
    }
    const prev = before[k]?.value
    const previous = typeof prev === 'number' ? prev : null
    const change =
      !(partial && FLOW_TOTALS.has(k)) &&
      typeof cell.value === 'number' &&
      previous !== null &&
      previous !== 0
        ? round6((cell.value - previous) / previous)
        : null
    out[k] = { ...cell, previous, change }
  }
  return out
}

const SOURCE_NAME = { jira: 'Jira', linear: 'Linear' } as const

/**
 * The coverage gate a report builder may pass instead of this section's own (the report's shared
 * `sectionCoverage`, so every section states the same days for a source): the coverage entries of
 * both periods, and the refusal of the comparison.
 */
export interface CoverageGate {
  coverage: SourceCoverage[]
  refused: string | null
}

/** this section's own gate: the Jira and Linear coverage of the quarter and the base (trackerCoverage) */
async function ownGate(ctx: ReviewContext): Promise<CoverageGate> {
  const [allCoverage, allBaseCoverage] = await Promise.all([
    trackerCoverage(ctx, ctx.window),
    trackerCoverage(ctx, ctx.base),
  ])
  // the trackers this instance uses: configured, or synced at some point
  const used = (c: SourceCoverage) =>
    (c.source === 'jira' && ctx.config.jira !== undefined) ||
    (c.source === 'linear' && ctx.config.linear !== undefined) ||
    c.daysCovered > 0
  const coverage = allCoverage.filter(used)
  const baseCoverage = allBaseCoverage.filter((c) => coverage.some((q) => q.source === c.source))
  const thinBase = baseCoverage.filter((c) => !c.enough)
  const refused =
    thinBase.length > 0
      ? `No comparison with ${ctx.base.quarter}: ${thinBase
          .map(
            (c) =>
              `${SOURCE_NAME[c.source as 'jira' | 'linear']} covered ${c.daysCovered} of its ${c.days} days`,
          )
          .join(', ')} (a comparison needs 90 %).`
      : null
  return { coverage: [...coverage, ...baseCoverage], refused }
}

/**
 * The portfolio section of the quarterly review (key `portfolio`). `gate` replaces the section's
 * own coverage and refusal (see CoverageGate); without it the section measures Jira and Linear itself.
 */
export async function portfolioSection(ctx: ReviewContext, gate?: CoverageGate): Promise<ReviewSection> {
  if (!ctx.config.portfolio) {
    return {
      key: 'portfolio',
      question: PORTFOLIO_QUESTION,
      title: 'Portfolio: attention per bet',
      coverage: (gate ?? (await ownGate(ctx))).coverage,
      refused: 'no portfolio configured',
      tables: [],
      notes: [
        'Map Jira projects and epics, Linear projects and teams to the buckets (core, growth, strategic enablers, experimental) or to initiatives with a `portfolio:` section in orgpulse.yaml (README "Portfolio").',
      ],
    }
  }
  const mapper = portfolioMapper(ctx.config)
  const [now, before, { coverage: allCoverage, refused }] = await Promise.all([
    grouped(ctx, mapper, ctx.window),
    grouped(ctx, mapper, ctx.base),
    gate ? Promise.resolve(gate) : ownGate(ctx),
  ])
  const tracker = (c: SourceCoverage) => c.source === 'jira' || c.source === 'linear'
  const coverage = allCoverage.filter((c) => tracker(c) && c.period.from === ctx.window.from)
  const baseCoverage = allCoverage.filter((c) => tracker(c) && c.period.from === ctx.base.from)
  const trackerData = coverage.some((c) => c.daysCovered > 0)
  const baseTrackerData = baseCoverage.some((c) => c.daysCovered > 0)
  const row = (g: string, a: Acc, b: Acc) => {
    const cur = cells(g, a, trackerData)
    return refused ? cur : compared(cur, cells(g, b, baseTrackerData), ctx.partial.partial)
  }
  const rows = [...now.acc].map(([g, a]) => row(g, a, before.acc.get(g) ?? emptyAcc()))
  rows.push(row(TOTAL, now.total, before.total))

  const p = ctx.config.portfolio
  const notes = [
    `Items are mapped to ${p?.groupBy === 'initiative' ? 'initiatives' : 'buckets'} by the \`portfolio:\` configuration at the time of the review (a Jira epic first, then its project; a Linear project, then its Linear team); the rest, decision-log records included, is "unmapped". The rows add up to the org's figures (total).`,
    'Blockers and blocked item-days belong to the blocked item’s bucket: the bet whose work waited.',
    'Cycles and sprints are attributed by their team: a Linear team mapped under portfolio.linear.teams, or the team a mapped Jira project is assigned to (jira.teams); a team under several buckets counts as unmapped. Scope is in points, or issue counts for unestimated cycles.',
    'Meeting hours in cross-team meetings are not attributed to buckets: calendar events carry no project, and orgpulse stores no meeting titles to tell them by.',
  ]
  if (mapper.ambiguousTeams.length > 0)
    notes.push(
      `Teams mapped to several buckets (their cycles are unmapped): ${mapper.ambiguousTeams.join(', ')}.`,
    )
  if (ctx.partial.partial && !refused)
    notes.push(
      `${ctx.quarter} is running (${ctx.partial.daysElapsed} of ${ctx.partial.days} days): its totals show ${ctx.base.quarter}'s whole-quarter value but no change; the latency and the blockers open at the end compare.`,
    )
  const thin = coverage.filter((c) => !c.enough)
  return {
    key: 'portfolio',
    question: PORTFOLIO_QUESTION,
    title: 'Portfolio: attention per bet',
    coverage: allCoverage,
    refused,
    tables: [
      {
        key: 'portfolio_buckets',
        title: p?.groupBy === 'initiative' ? 'Per initiative' : 'Per bucket',
        columns: COLUMNS.map((c) =>
          c.key === 'group' && p?.groupBy === 'initiative' ? { ...c, title: 'Initiative' } : c,
        ),
        rows,
        comparison: `${ctx.quarter}${ctx.partial.partial ? ` through ${ctx.partial.through.slice(0, 10)}` : ''}${refused ? '' : ` vs ${ctx.base.quarter}`}`,
      },
    ],
    notes: [
      ...notes,
      ...thin.map(
        (c) =>
          `${c.source === 'jira' ? 'Jira' : 'Linear'} covered ${c.daysCovered} of the quarter's ${c.days} days: its figures may be incomplete.`,
      ),
    ],
  }
}
