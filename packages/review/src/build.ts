import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { ADMIN_VIEWER, unitsUnder, type Viewer } from '@orgpulse/metrics'
import { metricsKey, type ReviewContext } from './context.ts'
import { sectionCoverage, sourceSpans } from './coverage.ts'
import { type OrgMetricsCache, orgMetricsForWindows } from './metrics.ts'
import { type ReviewReport, type ReviewSection, reviewReportSchema } from './model.ts'
import { measuredQuarter, parseQuarter, previousQuarter } from './quarter.ts'
import { centralisationSection } from './sections/centralisation.ts'
import { portfolioSection } from './sections/portfolio.ts'
import { shapeSection } from './sections/shape.ts'
import { stabilitySection } from './sections/stability.ts'
import { reorgWindows, structureReorgs, structureSection } from './sections/structure.ts'
import { orgMetrics, teamsSection } from './sections/teams.ts'

export interface ReviewRequest {
  director: string
  /** "2026-Q3" */
  quarter: string
  viewer?: Viewer
  now?: Date
  /** figures kept across reports and exports on the same data (the embedded engine's) */
  metricsCache?: OrgMetricsCache
}

/** The review's context: the quarter measured (through the last complete week when running) and its base. */
export function reviewContext(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  request: ReviewRequest,
): ReviewContext {
  const now = request.now ?? new Date()
  const q = parseQuarter(request.quarter)
  const b = previousQuarter(q.quarter)
  const { to, partial } = measuredQuarter(q, now)
  return {
    client,
    config,
    director: request.director.trim().toLowerCase(),
    quarter: q.quarter,
    window: { from: q.from.toISOString(), to: to.toISOString() },
    base: { quarter: b.quarter, from: b.from.toISOString(), to: b.to.toISOString() },
    viewer: request.viewer ?? ADMIN_VIEWER,
    partial,
    now,
  }
}

/**
 * The quarterly review of one director's org (issue 19): every figure through computeOrgMetrics /
 * judge and the catalog, so it is the number the pages, the api and the exports show.
 */
export async function buildReview(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  request: ReviewRequest,
): Promise<ReviewReport> {
  const ctx = reviewContext(client, config, request)
  const spans = await sourceSpans(client)
  const reorgs = await structureReorgs(ctx)
  // every window of the director the report shows, judged together: one judgeTree per distinct org
  const windows = [ctx.window, ctx.base]
  for (const r of reorgs) {
    const { before, after } = reorgWindows(ctx, spans, r)
    if (before && after) windows.push(before, after)
  }
  const batched = await orgMetricsForWindows(client, config, ctx, windows, request.metricsCache)
  ctx.metrics = new Map(windows.map((w, i) => [metricsKey(ctx.director, w), batched[i]!]))
  // not_found (no org led by the director) surfaces here, before any section
  const now = await orgMetrics(ctx, ctx.window)
  const base = await orgMetrics(ctx, ctx.base).catch(() => emptyLike(now))
  const sections: ReviewSection[] = [
    await structureSection(ctx, spans, reorgs),
    await teamsSection(ctx, spans, now, base),
    await centralisationSection(ctx, spans, now, base),
    await shapeSection(ctx, spans, now),
    // the shared coverage gate: the decisions it counts (when a decision log is connected) and the trackers
    await portfolioSection(
      ctx,
      sectionCoverage(
        spans,
        spans.some((x) => x.source === 'decisions') ? ['decisions', 'jira', 'linear'] : ['jira', 'linear'],
        ctx.window,
        ctx.base,
      ),
    ),
    await stabilitySection(ctx, spans),
  ]
  const rootUnit = (await unitsUnder(client, ctx.director, new Date(ctx.window.to))).find(
    (u) => Number(u.depth) === 0,
  )
  const rootName = rootUnit?.name ?? ctx.director
  return reviewReportSchema.parse({
    org: ctx.director,
    orgName: rootName,
    quarter: ctx.quarter,
    window: ctx.window,
    base: ctx.base,
    partial: ctx.partial,
    generatedAt: ctx.now.toISOString(),
    people: now.people,
    minGroupSize: config.privacy.minGroupSize,
    sections,
  })
}

/** the base when the director led no org then: no team has a previous figure */
function emptyLike(now: Awaited<ReturnType<typeof orgMetrics>>): Awaited<ReturnType<typeof orgMetrics>> {
  return {
    ...now,
    metrics: Object.fromEntries(Object.keys(now.metrics).map((k) => [k, null])),
    withheld: Object.fromEntries(
      Object.keys(now.metrics).map((k) => [k, 'no_data: no org led by the director then']),
    ),
    teams: [],
  }
}
