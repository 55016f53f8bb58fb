import { type OrgSnapshot, unitIdFor } from '@orgpulse/contracts'
import { dependencyItems, type OrgMetricsResult } from '@orgpulse/metrics'
import { listSnapshots, readSnapshot } from '@orgpulse/org'
import { col, num, text } from '../cells.ts'
import type { ReviewContext } from '../context.ts'
import { type SourceSpan, sectionCoverage } from '../coverage.ts'
import type { ReviewCell, ReviewSection } from '../model.ts'
import { snapshotAt, teamOf, teamsOfPeople, unitName } from '../org.ts'
import { scopeTable } from './teams.ts'

export const LOAD_METRICS = ['decisions_decided', 'blockers_open', 'meeting_hours_per_person_week'] as const

/** span and depth of one unit's subtree: people, the manager's direct reports, management layers below the manager */
export function spanOf(
  snapshot: OrgSnapshot,
  root: string,
  team: string,
): { people: number; directReports: number; levels: number } {
  const unit = snapshot.units.find((u) => u.unitId === team)
  const manager = unit?.managerId ?? ''
  const teams = teamsOfPeople(snapshot, root)
  const members = snapshot.people.filter((p) =>
    team === root ? teams.has(p.personId) : teams.get(p.personId) === team,
  )
  const byId = new Map(snapshot.people.map((p) => [p.personId, p]))
  let levels = 0
  for (const p of members) {
    let d = 0
    let cur = p
    const seen = new Set<string>()
    while (cur.personId !== manager && cur.managerId && !seen.has(cur.personId)) {
      seen.add(cur.personId)
      d++
      const next = byId.get(cur.managerId)
      if (!next) break
      cur = next
    }
    levels = Math.max(levels, d)
  }
  return {
    people: members.length,
    directReports: snapshot.people.filter((p) => p.managerId === manager).length,
    levels,
  }
}

export async function shapeSection(
  ctx: ReviewContext,
  spans: SourceSpan[],
  now: OrgMetricsResult,
): Promise<ReviewSection> {
  const { coverage } = sectionCoverage(
    spans,
    ['org', 'decisions', 'jira', 'linear', 'calendar'],
    ctx.window,
    ctx.base,
  )
  const root = unitIdFor(ctx.director)
  const from = new Date(ctx.window.from)
  const to = new Date(ctx.window.to)
  const eff = snapshotAt(await listSnapshots(ctx.client), new Date(to.getTime() - 1))
  const snap = eff ? await readSnapshot(ctx.client, eff) : null
  const spanRows: Record<string, ReviewCell>[] = []
  if (snap) {
    const o = spanOf(snap, root, root)
    spanRows.push({
      team: text(`${ctx.director} (org)`),
      people: num(o.people),
      direct_reports: num(o.directReports),
      levels: num(o.levels),
    })
    for (const t of now.teams) {
      const s = spanOf(snap, root, t.id)
      spanRows.push({
        team: text(t.name),
        people: num(s.people),
        direct_reports: num(s.directReports),
        levels: num(s.levels),
      })
    }
  }
  const load = scopeTable('load', 'Load per team (the quarter)', LOAD_METRICS, now, null)
  load.columns.splice(3, 0, col('decisions_per_person', 'Decisions decided per person', 'ratio'))
  const scopes = [now, ...now.teams]
  load.rows.forEach((r, i) => {
    const s = scopes[i]!
    const d = s.metrics.decisions_decided ?? null
    r.decisions_per_person = num(d !== null && s.people > 0 ? Math.round((d / s.people) * 1e6) / 1e6 : null, {
      sample: s.people,
    })
  })
  // the links blocking an item of the org, open at the end of the quarter or resolved in it
  const links = new Map<string, { blocker: string; blocked: string; open: boolean }>()
  for (const filter of ['open', 'resolved'] as const)
    for (const l of await dependencyItems(ctx.client, { scope: root, from, to, filter }))
      links.set(l.linkId, { blocker: l.blockerUnit, blocked: l.blockedUnit, open: l.openAtEnd })
  const teamLabel = (unit: string): string => {
    const t = snap && unit ? teamOf(snap, root, unit) : null
    return t === null
      ? 'outside the org'
      : t === root
        ? `${ctx.director} (direct reports)`
        : unitName(snap, t)
  }
  const pairs = new Map<string, { blocker: string; blocked: string; links: number; open: number }>()
  for (const l of links.values()) {
    const blocker = teamLabel(l.blocker)
    const blocked = teamLabel(l.blocked)
    if (blocker === blocked) continue
    const k = `${blocker}\u0000${blocked}`
    const p = pairs.get(k) ?? { blocker, blocked, links: 0, open: 0 }
    p.links++
    if (l.open) p.open++
    pairs.set(k, p)
  }
  const top = [...pairs.values()]
    .sort((a, b) => b.links - a.links || b.open - a.open || a.blocker.localeCompare(b.blocker))
    .slice(0, 10)
  return {
    key: 'shape',
    question: 'Which team is under-scoped, over-scoped, or poorly placed?',
    title: 'Which team is under-scoped, over-scoped or poorly placed?',
    coverage,
    // the quarter's own shape and load: nothing here is compared with the base
    refused: null,
    tables: [
      {
        key: 'span',
        title: `Span of control and depth (org chart of ${eff ?? 'none'})`,
        columns: [
          col('team', 'Team', 'text'),
          col('people', 'People', 'people'),
          col('direct_reports', "Manager's direct reports", 'people'),
          col('levels', 'Levels below the manager', 'level'),
        ],
        rows: spanRows,
      },
      load,
      {
        key: 'blocking_pairs',
        title:
          'Team pairs that block each other most (links open at the end of the quarter or resolved in it)',
        columns: [
          col('blocker', 'Blocking team', 'text'),
          col('blocked', 'Blocked team', 'text'),
          col('links', 'Links', 'count'),
          col('open', 'Open at the end', 'count'),
        ],
        rows: top.map((p) => ({
          blocker: text(p.blocker),
          blocked: text(p.blocked),
          links: num(p.links),
          open: num(p.open),
        })),
      },
    ],
    notes: [
      "People counts a team's members, its manager included (as the metrics do); levels are the management layers between the manager and the deepest member (1: everyone reports to the manager).",
      'Shape and load describe the quarter alone; no comparison.',
    ],
  }
}
