import { type OrgSnapshot, unitIdFor } from '@orgpulse/contracts'
import { listSnapshots, readSnapshot } from '@orgpulse/org'
import { col, num, relativeChange, text } from '../cells.ts'
import type { ReviewContext } from '../context.ts'
import { type SourceSpan, sectionCoverage } from '../coverage.ts'
import type { ReviewCell, ReviewSection } from '../model.ts'
import { snapshotAt, teamsOfPeople, unitName } from '../org.ts'
import { spanOf } from './shape.ts'

interface Period {
  from: Date
  to: Date
}

/** the snapshots that apply in [from, to): the one valid at `from` and every one effective inside */
async function snapshotsOver(ctx: ReviewContext, p: Period): Promise<OrgSnapshot[]> {
  const list = await listSnapshots(ctx.client)
  const first = snapshotAt(list, p.from)
  const days = list.filter(
    (e) =>
      e === first ||
      (new Date(`${e}T00:00:00Z`).getTime() > p.from.getTime() &&
        new Date(`${e}T00:00:00Z`).getTime() < p.to.getTime()),
  )
  const out: OrgSnapshot[] = []
  for (const d of days) {
    const s = await readSnapshot(ctx.client, d)
    if (s) out.push(s)
  }
  return out
}

const teamNames = (s: OrgSnapshot, root: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const u of s.units) if (u.parentId === root) out.set(u.name, u.managerId)
  return out
}

/** person id → the first person of the list with it (what a find over the list returns), built once per list */
function firstById<P extends { personId: string }>(people: readonly P[]): Map<string, P> {
  const out = new Map<string, P>()
  for (const p of people) if (!out.has(p.personId)) out.set(p.personId, p)
  return out
}

/** re-orgs (snapshot changes touching the org) and leader changes of the org's teams (by team name) over a period */
function changesOver(snaps: OrgSnapshot[], root: string, p: Period) {
  let reorgs = 0
  const managerChanges = new Map<string, number>()
  for (let i = 1; i < snaps.length; i++) {
    const a = snaps[i - 1]!
    const b = snaps[i]!
    if (new Date(`${b.effective}T00:00:00Z`).getTime() < p.from.getTime()) continue
    const ta = teamsOfPeople(a, root)
    const tb = teamsOfPeople(b, root)
    const ma = firstById(a.people)
    const mb = firstById(b.people)
    const touched = [...new Set([...ta.keys(), ...tb.keys()])].some((id) => {
      const pa = ma.get(id)
      const pb = mb.get(id)
      return !pa || !pb || pa.managerId !== pb.managerId || ta.get(id) !== tb.get(id)
    })
    if (touched) reorgs++
    const na = teamNames(a, root)
    for (const [name, manager] of teamNames(b, root))
      if (na.has(name) && na.get(name) !== manager)
        managerChanges.set(name, (managerChanges.get(name) ?? 0) + 1)
  }
  return { reorgs, managerChanges }
}

export async function stabilitySection(ctx: ReviewContext, spans: SourceSpan[]): Promise<ReviewSection> {
  const { coverage, refused } = sectionCoverage(spans, ['org'], ctx.window, ctx.base)
  const root = unitIdFor(ctx.director)
  const min = ctx.config.privacy.minGroupSize
  const q = { from: new Date(ctx.window.from), to: new Date(ctx.window.to) }
  const b = { from: new Date(ctx.base.from), to: new Date(ctx.base.to) }
  const snaps = await snapshotsOver(ctx, q)
  const notes = [
    `Team rows are teams of at least privacy.minGroupSize ${min} people at the end of the quarter (and at its start, unless new); smaller teams are combined into one row, withheld when even together they are fewer.`,
    'Joined / left count people entering or leaving the team (from anywhere, to anywhere); moved counts those of them who came from or went to another team of this org.',
  ]
  const start = snaps[0]
  const end = snaps[snaps.length - 1]
  const cq = changesOver(snaps, root, q)
  const cb = refused ? null : changesOver(await snapshotsOver(ctx, b), root, b)
  const cmp = (v: number, p: number | undefined): ReviewCell =>
    cb ? num(v, { previous: p ?? null, change: relativeChange(v, p) }) : num(v)
  const managerTotal = (m: Map<string, number>) => [...m.values()].reduce((a, c) => a + c, 0)
  const summary = [
    {
      team: text(ctx.director),
      reorgs: cmp(cq.reorgs, cb?.reorgs),
      manager_changes: cmp(managerTotal(cq.managerChanges), cb ? managerTotal(cb.managerChanges) : undefined),
    },
  ]
  const rows: Record<string, ReviewCell>[] = []
  if (start && end) {
    const ts = teamsOfPeople(start, root)
    const te = teamsOfPeople(end, root)
    const nameAtStart = (u: string) => unitName(start, u)
    const nameAtEnd = (u: string) => unitName(end, u)
    const teams = end.units.filter((u) => u.parentId === root)
    type Churn = {
      people: number
      /** at the start of the quarter (0: a team new in it) */
      peopleStart: number
      joined: number
      left: number
      moved: number
      managers: number
      spanFrom: number | null
      spanTo: number
    }
    const churn = (team: string): Churn => {
      const name = nameAtEnd(team)
      const was = [...ts].filter(([, t]) => nameAtStart(t) === name).map(([id]) => id)
      const is = [...te].filter(([, t]) => t === team).map(([id]) => id)
      const wasSet = new Set(was)
      const isSet = new Set(is)
      const joined = is.filter((id) => !wasSet.has(id))
      const left = was.filter((id) => !isSet.has(id))
      const moved = [...joined.filter((id) => ts.has(id)), ...left.filter((id) => te.has(id))].length
      const startUnit = start.units.find((u) => u.parentId === root && u.name === name)
      return {
        people: is.length,
        peopleStart: was.length,
        joined: joined.length,
        left: left.length,
        moved,
        managers: cq.managerChanges.get(name) ?? 0,
        spanFrom: startUnit ? spanOf(start, root, startUnit.unitId).directReports : null,
        spanTo: spanOf(end, root, team).directReports,
      }
    }
    const row = (label: string, c: Churn): Record<string, ReviewCell> => ({
      team: text(label),
      people: num(c.people),
      joined: num(c.joined),
      left: num(c.left),
      moved: num(c.moved),
      manager_changes: num(c.managers),
      span_start: num(c.spanFrom),
      span_end: num(c.spanTo),
      span_change: num(c.spanFrom === null ? null : c.spanTo - c.spanFrom),
    })
    const withheld = (label: string, people: number): Record<string, ReviewCell> => {
      const reason = `withheld: group of ${people} people is below privacy.minGroupSize ${min}`
      const w = { value: null, reason, status: 'withheld' as const }
      return {
        team: text(label),
        people: w,
        joined: w,
        left: w,
        moved: w,
        manager_changes: w,
        span_start: w,
        span_end: w,
        span_change: w,
      }
    }
    // large enough at the end and, unless new, at the start: who left a small team is as telling
    const large = (c: Churn) => c.people >= min && (c.peopleStart === 0 || c.peopleStart >= min)
    const big = teams.filter((t) => large(churn(t.unitId)))
    const small = teams.filter((t) => !large(churn(t.unitId)))
    for (const t of big) rows.push(row(t.name, churn(t.unitId)))
    if (small.length) {
      const sum = small
        .map((t) => churn(t.unitId))
        .reduce(
          (a, c) => ({
            people: a.people + c.people,
            peopleStart: a.peopleStart + c.peopleStart,
            joined: a.joined + c.joined,
            left: a.left + c.left,
            moved: a.moved + c.moved,
            managers: a.managers + c.managers,
            spanFrom: a.spanFrom === null || c.spanFrom === null ? null : a.spanFrom + c.spanFrom,
            spanTo: a.spanTo + c.spanTo,
          }),
          {
            people: 0,
            peopleStart: 0,
            joined: 0,
            left: 0,
            moved: 0,
            managers: 0,
            spanFrom: 0,
            spanTo: 0,
          } as Churn,
        )
      const label = `${small.length} smaller team${small.length > 1 ? 's' : ''} combined`
      if (large(sum)) rows.push(row(label, sum))
      else {
        rows.push(withheld(label, sum.people))
        notes.push(
          `${small.length} team(s) with ${sum.people} people together are below privacy.minGroupSize ${min}: withheld, and no org total is shown (it would reveal them).`,
        )
      }
    }
    if (!rows.some((r) => r.joined?.status === 'withheld')) {
      const all = teams.map((t) => churn(t.unitId))
      rows.unshift(
        row(`${ctx.director} (org)`, {
          people: all.reduce((a, c) => a + c.people, 0),
          peopleStart: all.reduce((a, c) => a + c.peopleStart, 0),
          joined: all.reduce((a, c) => a + c.joined, 0),
          left: all.reduce((a, c) => a + c.left, 0),
          moved: all.reduce((a, c) => a + c.moved, 0),
          managers: all.reduce((a, c) => a + c.managers, 0),
          spanFrom: spanOf(start, root, root).directReports,
          spanTo: spanOf(end, root, root).directReports,
        }),
      )
    }
  } else notes.push('No org chart for the quarter.')
  return {
    key: 'stability',
    question: 'Org stability: Does the team operate with clarity, trust, and sustainable load?',
    title: 'Org stability',
    coverage,
    refused,
    tables: [
      {
        key: 'summary',
        title: 'Re-orgs and manager changes',
        columns: [
          col('team', 'Org', 'text'),
          col('reorgs', 'Re-orgs', 'count'),
          col('manager_changes', 'Manager changes', 'count'),
        ],
        rows: summary,
        comparison: refused ? `${ctx.quarter} only` : `${ctx.quarter} vs ${ctx.base.quarter}`,
      },
      {
        key: 'teams',
        title: `Team churn and span over ${ctx.quarter} (org chart of ${start?.effective ?? '—'} → ${end?.effective ?? '—'})`,
        columns: [
          col('team', 'Team', 'text'),
          col('people', 'People at the end', 'people'),
          col('joined', 'Joined', 'people'),
          col('left', 'Left', 'people'),
          col('moved', 'Moved within the org', 'people'),
          col('manager_changes', 'Manager changes', 'count'),
          col('span_start', 'Span at the start', 'people'),
          col('span_end', 'Span at the end', 'people'),
          col('span_change', 'Span change', 'people'),
        ],
        rows,
      },
    ],
    notes,
  }
}
