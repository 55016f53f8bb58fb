import { unitIdFor } from '@orgpulse/contracts'
import { type DecisionItem, decisionItems, type OrgMetricsResult } from '@orgpulse/metrics'
import { listSnapshots, readSnapshot } from '@orgpulse/org'
import { col, num, relativeChange, text } from '../cells.ts'
import type { ReviewContext } from '../context.ts'
import { type SourceSpan, sectionCoverage } from '../coverage.ts'
import type { ReviewCell, ReviewSection } from '../model.ts'
import { snapshotAt, teamOf, unitName } from '../org.ts'
import { scopeTable } from './teams.ts'

export const CENTRALISATION_METRICS = [
  'centralization',
  'decision_depth',
  'escalation_rate',
  'decisions_decided',
] as const

/** who decides: the decider's level in the org chart (0 IC, 1 manager, 2 director, 3+ above) */
export const DECIDER_LEVELS = [
  { key: 'ic', title: 'Individual contributors', match: (l: number | null) => l === 0 },
  { key: 'manager', title: 'Managers', match: (l: number | null) => l === 1 },
  { key: 'director', title: 'Directors', match: (l: number | null) => l === 2 },
  { key: 'above', title: 'Above director', match: (l: number | null) => l !== null && l >= 3 },
  { key: 'unknown', title: 'Decider not in the org chart', match: (l: number | null) => l === null },
] as const

export function whoDecides(
  items: DecisionItem[],
): { key: string; title: string; count: number; share: number | null }[] {
  return DECIDER_LEVELS.map((lv) => {
    const count = items.filter((i) => lv.match(i.deciderLevel)).length
    return {
      key: lv.key,
      title: lv.title,
      count,
      share: items.length ? Math.round((count / items.length) * 1e6) / 1e6 : null,
    }
  })
}

export async function centralisationSection(
  ctx: ReviewContext,
  spans: SourceSpan[],
  now: OrgMetricsResult,
  base: OrgMetricsResult,
): Promise<ReviewSection> {
  const { coverage, refused } = sectionCoverage(spans, ['decisions', 'org'], ctx.window, ctx.base)
  const root = unitIdFor(ctx.director)
  const from = new Date(ctx.window.from)
  const to = new Date(ctx.window.to)
  const decided = await decisionItems(ctx.client, { scope: root, from, to, filter: 'decided' })
  const decidedBase = refused
    ? null
    : await decisionItems(ctx.client, {
        scope: root,
        from: new Date(ctx.base.from),
        to: new Date(ctx.base.to),
        filter: 'decided',
      })
  const shares = whoDecides(decided)
  const sharesBase = decidedBase ? whoDecides(decidedBase) : null
  const who = shares.map((s, i) => {
    const b = sharesBase?.[i]
    const cell = (v: number | null, p: number | null | undefined): ReviewCell =>
      b ? num(v, { previous: p ?? null, change: relativeChange(v, p) }) : num(v)
    return {
      level: text(s.title),
      decisions: {
        ...cell(s.count, b?.count),
        ...(b && ctx.partial.partial ? { change: null } : {}),
        sample: decided.length,
      },
      share: { ...cell(s.share, b?.share), sample: decided.length },
    }
  })
  const escalated = (await decisionItems(ctx.client, { scope: root, from, to, filter: 'escalated' }))
    .sort((a, b) => (b.latencyHours ?? 0) - (a.latencyHours ?? 0) || a.id.localeCompare(b.id))
    .slice(0, 10)
  const list = await listSnapshots(ctx.client)
  const eff = snapshotAt(list, new Date(to.getTime() - 1))
  const snap = eff ? await readSnapshot(ctx.client, eff) : null
  const teamName = (unit: string): string => {
    const t = snap ? teamOf(snap, root, unit) : null
    return t === null
      ? 'outside the org'
      : t === root
        ? `${ctx.director} (direct reports)`
        : unitName(snap, t)
  }
  return {
    key: 'centralisation',
    question: 'Where are decisions still too centralized?',
    title: 'Where are decisions still too centralised?',
    coverage,
    refused,
    tables: [
      scopeTable(
        'centralisation',
        'Centralisation and decision depth',
        CENTRALISATION_METRICS,
        now,
        refused ? null : base,
        {
          comparison: refused ? `${ctx.quarter} only` : `${ctx.quarter} vs ${ctx.base.quarter}`,
          partial: ctx.partial.partial,
        },
      ),
      {
        key: 'who_decides',
        title: "Who decides (decisions decided in the quarter by the decider's level)",
        columns: [
          col('level', 'Decider', 'text'),
          col('decisions', 'Decisions', 'count'),
          col('share', 'Share', 'ratio'),
        ],
        rows: who,
        comparison: refused ? `${ctx.quarter} only` : `${ctx.quarter} vs ${ctx.base.quarter}`,
      },
      {
        key: 'most_escalated',
        title: 'The decisions escalated most (longest latency first, top 10)',
        columns: [
          col('title', 'Decision', 'text'),
          col('team', 'Team', 'text'),
          col('latency', 'Latency', 'hours'),
          col('decided', 'Decided', 'date'),
          col('decider_level', 'Decider level', 'level'),
        ],
        rows: escalated.map((d) => ({
          title: text(d.title),
          team: text(teamName(d.team)),
          latency: num(d.latencyHours),
          decided: text(d.decidedAt ?? ''),
          decider_level: num(d.deciderLevel),
        })),
      },
    ],
    notes: [
      "Who decides counts the decisions the org decided in the quarter (the decision latency's sample), by the level of whoever called them.",
    ],
  }
}
