import { computeOrgMetrics, type OrgMetricsResult } from '@orgpulse/metrics'
import { col, metricCell, metricColumn, num, relativeChange, text } from '../cells.ts'
import { metricsKey, type ReviewContext } from '../context.ts'
import type { Source, SourceSpan } from '../coverage.ts'
import { sectionCoverage } from '../coverage.ts'
import { metricsOrThrow } from '../metrics.ts'
import type { ReviewCell, ReviewSection, ReviewTable } from '../model.ts'

export const TEAM_METRICS = [
  'decision_latency_p50_hours',
  'decision_latency_p90_hours',
  'escalation_rate',
  'blockers_open',
  'cycle_completion_rate',
] as const

/** totals over the window (not rates, quantiles or states at its end): a partial window holds less of them */
export const FLOW_TOTALS = new Set(['decisions_decided', 'blocked_item_days'])

/** the director's figures for a window: the ones batched in `ctx.metrics` when there, else computeOrgMetrics */
export const orgMetrics = async (
  ctx: ReviewContext,
  w: { from: string; to: string },
): Promise<OrgMetricsResult> => {
  const batched = ctx.metrics?.get(metricsKey(ctx.director, w))
  if (batched) return metricsOrThrow(batched)
  return computeOrgMetrics(ctx.client, ctx.config, {
    director: ctx.director,
    from: w.from,
    to: w.to,
    viewer: ctx.viewer,
  })
}

type Scope = OrgMetricsResult['teams'][number] | OrgMetricsResult

/**
 * Rows of the org and its teams for `metrics`: each cell against `base` (the same scope in the
 * comparison period, when compared) and, with `vsOrg`, a `<metric>_vs_org` column: the team's
 * relative difference from the org's own figure for the same window (the org's baseline).
 */
export function scopeTable(
  key: string,
  title: string,
  metrics: readonly string[],
  now: OrgMetricsResult,
  base: OrgMetricsResult | null,
  options: { vsOrg?: boolean; comparison?: string; partial?: boolean } = {},
): ReviewTable {
  const columns = [col('team', 'Team', 'text'), col('people', 'People', 'people')]
  for (const id of metrics) {
    columns.push(metricColumn(id))
    if (options.vsOrg) columns.push({ ...col(`${id}_vs_org`, `vs org`, 'ratio') })
  }
  const row = (name: string, scope: Scope, before: Scope | null | undefined, isOrg: boolean) => {
    const r: Record<string, ReviewCell> = { team: text(name), people: num(scope.people) }
    for (const id of metrics) {
      r[id] = base ? metricCell(scope, id, before ?? null) : metricCell(scope, id)
      // a running quarter's totals are not compared with a whole quarter's
      if (options.partial && FLOW_TOTALS.has(id) && r[id].change !== undefined) r[id].change = null
      if (options.vsOrg) {
        const v = scope.metrics[id] ?? null
        const o = now.metrics[id] ?? null
        r[`${id}_vs_org`] = isOrg
          ? num(null, { reason: 'the org itself' })
          : num(
              relativeChange(v, o),
              v === null || o === null ? { reason: 'no_data: no figure to compare' } : {},
            )
      }
    }
    return r
  }
  const rows = [row(`${now.org} (org)`, now, base, true)]
  for (const t of now.teams)
    rows.push(
      row(
        t.name,
        t,
        base?.teams.find((b) => b.id === t.id),
        false,
      ),
    )
  const table: ReviewTable = { key, title, columns, rows }
  if (options.comparison) table.comparison = options.comparison
  return table
}

export const TEAM_SOURCES: Source[] = ['decisions', 'jira', 'linear', 'org']

export async function teamsSection(
  ctx: ReviewContext,
  spans: SourceSpan[],
  now: OrgMetricsResult,
  base: OrgMetricsResult,
): Promise<ReviewSection> {
  const { coverage, refused } = sectionCoverage(spans, TEAM_SOURCES, ctx.window, ctx.base)
  const notes = [
    'Teams, never individuals: a team is a unit directly below the director, over its own subtree.',
    "\"vs org\" is the team's relative difference from the whole org's figure for the quarter (the org's baseline).",
  ]
  if (ctx.partial.partial)
    notes.push(
      `The quarter is running: figures through ${ctx.partial.through.slice(0, 10)} (${ctx.partial.daysElapsed} of ${ctx.partial.days} days) against the whole of ${ctx.base.quarter}; counts such as open blockers are at the end of each period.`,
    )
  return {
    key: 'teams',
    question: 'Which managers got stronger, and what evidence shows it?',
    title: 'Which teams got stronger?',
    coverage,
    refused,
    tables: [
      scopeTable('teams', 'Teams this quarter', TEAM_METRICS, now, refused ? null : base, {
        partial: ctx.partial.partial,
        vsOrg: true,
        comparison: refused ? `${ctx.quarter} only` : `${ctx.quarter} vs ${ctx.base.quarter}`,
      }),
    ],
    notes,
  }
}
