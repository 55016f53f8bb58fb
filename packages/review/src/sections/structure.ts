import { type OrgSnapshot, unitIdFor } from '@orgpulse/contracts'
import type { OrgMetricsResult } from '@orgpulse/metrics'
import { diffPeople, listSnapshots, type OrgChanges, readSnapshot } from '@orgpulse/org'
import { col, metricCell, metricColumn, num, text } from '../cells.ts'
import type { ReviewContext } from '../context.ts'
import { type SourceSpan, sectionCoverage } from '../coverage.ts'
import type { ReviewCell, ReviewSection, ReviewTable } from '../model.ts'
import { teamsOfPeople } from '../org.ts'
import { orgMetrics } from './teams.ts'

const DAY = 86_400_000
/** the before and after windows of a re-org: 6 weeks each side, clipped to the data, kept equal */
export const REORG_WINDOW_DAYS = 42

export const STRUCTURE_METRICS = [
  'decision_latency_p50_hours',
  'escalation_rate',
  'centralization',
  'decisions_decided',
  'blockers_open',
  'cycle_completion_rate',
] as const

export interface Reorg {
  effective: string
  previous: string
  before: OrgSnapshot
  after: OrgSnapshot
  changes: OrgChanges
  /** the director's teams (unit ids) a changed person was in, before or after */
  teams: string[]
}

/** the re-orgs (consecutive HR snapshots that differ) effective in [from, to) that touch the director's org */
export async function reorgsIn(ctx: ReviewContext, from: Date, to: Date): Promise<Reorg[]> {
  const list = await listSnapshots(ctx.client)
  const root = unitIdFor(ctx.director)
  const out: Reorg[] = []
  for (let i = 1; i < list.length; i++) {
    const e = new Date(`${list[i]}T00:00:00Z`).getTime()
    if (e < from.getTime() || e >= to.getTime()) continue
    const before = await readSnapshot(ctx.client, list[i - 1]!)
    const after = await readSnapshot(ctx.client, list[i]!)
    if (!before || !after) continue
    const changes = diffPeople(before.people, after.people)
    const tb = teamsOfPeople(before, root)
    const ta = teamsOfPeople(after, root)
    const teams = new Set<string>()
    const touch = (id: string) => {
      const a = tb.get(id)
      const b = ta.get(id)
      if (a) teams.add(a)
      if (b) teams.add(b)
    }
    for (const p of changes.added) touch(p.personId)
    for (const p of changes.removed) touch(p.personId)
    for (const p of changes.moved) touch(p.personId)
    if (teams.size === 0) continue
    out.push({
      effective: list[i]!,
      previous: list[i - 1]!,
      before,
      after,
      changes,
      teams: [...teams].sort(),
    })
  }
  return out
}

/**
 * A team on one side of a re-org that was (or is) outside the director's org: its own figures
 * for the window, as its manager's org (a team that joined the org is compared with itself
 * before it joined); undefined when it was not a unit then.
 */
async function ownFigures(
  ctx: ReviewContext,
  unit: string,
  w: { from: string; to: string },
): Promise<OrgMetricsResult | undefined> {
  if (!unit.startsWith('u:')) return undefined
  try {
    return await orgMetrics({ ...ctx, director: unit.slice(2) }, w)
  } catch {
    return undefined
  }
}

/**
 * The affected teams of a re-org, each as its unit before and after: a unit is its manager's, so
 * a team whose manager changed is a new unit id under the same name; it is paired by name.
 */
export function pairTeams(
  r: Reorg,
  root: string,
): { name: string; before: string | null; after: string | null }[] {
  const out = new Map<string, { name: string; before: string | null; after: string | null }>()
  for (const u of r.teams) {
    if (u === root) continue
    const inAfter = r.after.units.find((x) => x.unitId === u)
    const inBefore = r.before.units.find((x) => x.unitId === u)
    const name = inAfter?.name ?? inBefore?.name ?? u
    const p = out.get(name) ?? { name, before: null, after: null }
    if (inAfter) p.after = u
    if (inBefore) p.before = u
    out.set(name, p)
  }
  return [...out.values()]
}

const isoDay = (t: number): string => new Date(t).toISOString().slice(0, 10)

/** the re-orgs the structure section shows: effective in the quarter or in the one before it */
export const structureReorgs = (ctx: ReviewContext): Promise<Reorg[]> =>
  // a re-org late in the base quarter shows its effect now
  reorgsIn(ctx, new Date(ctx.base.from), new Date(ctx.window.to))

/**
 * A re-org's equal windows each side: `days` (at most REORG_WINDOW_DAYS, shortened where the
 * decision log begins later or the quarter ends sooner) and, from a week on, the two windows.
 */
export function reorgWindows(
  ctx: ReviewContext,
  spans: SourceSpan[],
  r: Reorg,
): { days: number; e: number; before?: { from: string; to: string }; after?: { from: string; to: string } } {
  const dataFrom = spans.find((s) => s.source === 'decisions')?.from.getTime() ?? Number.NEGATIVE_INFINITY
  const end = new Date(ctx.window.to).getTime()
  const e = new Date(`${r.effective}T00:00:00Z`).getTime()
  const beforeDays = Math.floor((e - Math.max(e - REORG_WINDOW_DAYS * DAY, dataFrom)) / DAY)
  const afterDays = Math.floor((Math.min(e + REORG_WINDOW_DAYS * DAY, end) - e) / DAY)
  const days = Math.max(0, Math.min(REORG_WINDOW_DAYS, beforeDays, afterDays))
  if (days < 7) return { days, e }
  return {
    days,
    e,
    before: { from: new Date(e - days * DAY).toISOString(), to: new Date(e).toISOString() },
    after: { from: new Date(e).toISOString(), to: new Date(e + days * DAY).toISOString() },
  }
}

export async function structureSection(
  ctx: ReviewContext,
  spans: SourceSpan[],
  /** structureReorgs(ctx), when the caller has read them already */
  known?: Reorg[],
): Promise<ReviewSection> {
  const sources = ['decisions', 'jira', 'linear', 'org'] as const
  const { coverage } = sectionCoverage(spans, [...sources], ctx.window, ctx.base)
  const refusals: string[] = []
  const root = unitIdFor(ctx.director)
  const reorgs = known ?? (await structureReorgs(ctx))
  const notes = [
    `Each re-org's teams before and after it over equal windows: ${REORG_WINDOW_DAYS / 7} weeks each side, shortened (both sides alike) where the decision log begins later or the quarter ends sooner. Re-orgs effective in ${ctx.base.quarter} or ${ctx.quarter}.`,
  ]
  const summary: Record<string, ReviewCell>[] = []
  const tables: ReviewTable[] = []
  for (const r of reorgs) {
    const { days, e, before, after } = reorgWindows(ctx, spans, r)
    summary.push({
      effective: text(r.effective),
      teams: text(
        pairTeams(r, root)
          .map((t) => t.name)
          .join(', '),
      ),
      moved: num(r.changes.moved.length),
      joined: num(r.changes.added.length),
      left: num(r.changes.removed.length),
      window_days: num(days),
    })
    if (!before || !after) {
      notes.push(`${r.effective}: under a week of data on one side (${days} days): no before/after figures.`)
      continue
    }
    // the comparison here is before vs after: the gate is the sources' coverage of the before window
    const gate = sectionCoverage(spans, [...sources], after, {
      ...before,
      quarter: `the ${days} days before ${r.effective}`,
    })
    const refused = gate.refused
    if (refused) {
      refusals.push(`${r.effective}: ${refused}`)
      notes.push(`${r.effective}: ${refused}`)
    }
    let mb: OrgMetricsResult
    let ma: OrgMetricsResult
    try {
      mb = await orgMetrics(ctx, before)
      ma = await orgMetrics(ctx, after)
    } catch (err) {
      notes.push(`${r.effective}: ${(err as Error).message}`)
      continue
    }
    const columns = [col('team', 'Team', 'text'), col('people', 'People after', 'people')]
    for (const id of STRUCTURE_METRICS) columns.push(metricColumn(id))
    const rows: Record<string, ReviewCell>[] = []
    const row = (
      label: string,
      a: OrgMetricsResult['teams'][number] | OrgMetricsResult | undefined,
      b: typeof a,
    ) => {
      const cells: Record<string, ReviewCell> = { team: text(label), people: num(a?.people ?? null) }
      for (const id of STRUCTURE_METRICS)
        cells[id] = a
          ? refused
            ? metricCell(a, id)
            : metricCell(a, id, b ?? null)
          : { value: null, reason: 'no_data: the team does not exist after the re-org', status: 'no_data' }
      rows.push(cells)
    }
    row(`${ctx.director} (org)`, ma, mb)
    for (const t of pairTeams(r, root)) {
      const a = t.after
        ? (ma.teams.find((x) => x.id === t.after) ?? (await ownFigures(ctx, t.after, after)))
        : undefined
      const b = t.before
        ? (mb.teams.find((x) => x.id === t.before) ?? (await ownFigures(ctx, t.before, before)))
        : undefined
      row(t.name, a, b)
    }
    tables.push({
      key: `reorg_${r.effective.replaceAll('-', '_')}`,
      title: `Re-org of ${r.effective}: the affected teams before and after`,
      columns,
      rows,
      comparison: `${days / 7 === Math.floor(days / 7) ? `${days / 7} weeks` : `${days} days`} before (${isoDay(e - days * DAY)} → ${r.effective}) vs after (${r.effective} → ${isoDay(e + days * DAY)})`,
    })
  }
  if (reorgs.length === 0) notes.push(`No re-org touched this org in ${ctx.base.quarter} or ${ctx.quarter}.`)
  return {
    key: 'structure_changes',
    question: 'What improved because of better structure?',
    title: 'What improved because of better structure?',
    coverage,
    refused: refusals.length > 0 && refusals.length === tables.length ? refusals.join('; ') : null,
    tables: [
      {
        key: 'reorgs',
        title: 'Re-orgs',
        columns: [
          col('effective', 'Effective', 'date'),
          col('teams', 'Teams affected', 'text'),
          col('moved', 'People moved', 'people'),
          col('joined', 'Joined', 'people'),
          col('left', 'Left', 'people'),
          col('window_days', 'Days each side', 'days'),
        ],
        rows: summary,
      },
      ...tables,
    ],
    notes,
  }
}
