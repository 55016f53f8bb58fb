import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { ReviewWindow } from './context.ts'
import type { SourceCoverage } from './model.ts'

const DAY = 86_400_000
export type Source = SourceCoverage['source']

/** [from, to) a source holds data for; `to` null: up to now and beyond (the org chart) */
export interface SourceSpan {
  source: Source
  from: Date
  to: Date | null
}

const parseTime = (t: string): Date => new Date(`${t.replace(' ', 'T')}Z`)

/**
 * The span each connected source covers (DESIGN "No data is not zero"):
 * - decisions: from the decision log's first record to its latest ingest (the log is read as a
 *   whole; a day without a decision in that span is a true zero, not a gap);
 * - jira / linear: from the tracker's first recorded item change, link or cycle start to its latest
 *   sync (`source_coverage`, `source.synced`) or ingest;
 * - calendar: from the earliest to the latest range a synced calendar covers (`source_coverage`,
 *   scope_kind calendar);
 * - org: from the first HR snapshot on.
 * A tracker or calendar with no data at all is not connected and not listed.
 */
export async function sourceSpans(client: ClickHouseClient): Promise<SourceSpan[]> {
  const rows = await queryRows<{ source: string; first: string | null; last: string | null }>(
    client,
    `SELECT 'decisions' AS source, toString(min(occurred_at)) AS first, toString(greatest(max(occurred_at), max(ingested_at))) AS last,
       count() AS n FROM decision_events FINAL HAVING n > 0
     UNION ALL
     SELECT source, toString(min(first)) AS first, toString(max(last)) AS last, count() AS n FROM (
       SELECT source, min(occurred_at) AS first, max(ingested_at) AS last FROM workitem_events FINAL WHERE source IN ('jira', 'linear') GROUP BY source
       UNION ALL SELECT source, min(occurred_at), max(ingested_at) FROM dependency_events FINAL WHERE source IN ('jira', 'linear') GROUP BY source
       UNION ALL SELECT source, min(least(starts_at, occurred_at)), max(ingested_at) FROM cycles FINAL WHERE source IN ('jira', 'linear') GROUP BY source
       UNION ALL SELECT source, min(occurred_at), max(covered_to) FROM source_coverage FINAL WHERE scope_kind IN ('project', 'team') GROUP BY source
     ) GROUP BY source
     UNION ALL
     SELECT 'calendar' AS source, toString(min(ifNull(covered_from, occurred_at))) AS first, toString(max(covered_to)) AS last, count() AS n
       FROM source_coverage FINAL WHERE scope_kind = 'calendar' HAVING n > 0`,
  )
  const snaps = await queryRows<{ first: string; n: number | string }>(
    client,
    'SELECT toString(min(effective)) AS first, count() AS n FROM org_snapshots FINAL',
  )
  const spans: SourceSpan[] = []
  for (const r of rows) {
    if (!r.first || !r.last) continue
    spans.push({ source: r.source as Source, from: parseTime(r.first), to: parseTime(r.last) })
  }
  if (Number(snaps[0]?.n ?? 0) > 0 && snaps[0]?.first)
    spans.push({ source: 'org', from: new Date(`${snaps[0].first}T00:00:00Z`), to: null })
  return spans
}

/**
 * A span's coverage of a period in whole days: the days of [from, to) inside the span (a day
 * counts when the span holds all of it; the period's last, possibly partial, day counts when the
 * span reaches the period's end). `enough` is the 90 % rule.
 */
export function coverageOf(
  span: SourceSpan | undefined,
  source: Source,
  period: ReviewWindow,
): SourceCoverage {
  const from = new Date(period.from).getTime()
  const to = new Date(period.to).getTime()
  const days = Math.ceil((to - from) / DAY - 1e-9)
  let daysCovered = 0
  if (span) {
    const a = Math.max(from, span.from.getTime())
    const b = Math.min(to, span.to === null ? to : span.to.getTime())
    if (b > a) {
      // whole days from the start of the period's day grid
      const firstFull = from + Math.ceil((a - from) / DAY - 1e-9) * DAY
      daysCovered =
        b >= to ? Math.ceil((to - firstFull) / DAY - 1e-9) : Math.floor((b - firstFull) / DAY + 1e-9)
      daysCovered = Math.max(0, Math.min(days, daysCovered))
    }
  }
  const share = days > 0 ? Math.round((daysCovered / days) * 1e6) / 1e6 : null
  return {
    source,
    period: { from: period.from, to: period.to },
    daysCovered,
    days,
    share,
    enough: (share ?? 0) >= 0.9,
  }
}

const NAMES: Record<Source, string> = {
  decisions: 'The decision log',
  jira: 'Jira',
  linear: 'Linear',
  calendar: 'Calendars',
  org: 'The org chart',
}

/**
 * The coverage a section states, for the quarter and the base, of the sources it reads (trackers
 * and calendars only when connected), and the refusal when any source covers under 90 % of the
 * base period's days: "Jira covered 31 of 92 days of 2026-Q2 (34 %): no comparison".
 */
export function sectionCoverage(
  spans: SourceSpan[],
  sources: Source[],
  window: ReviewWindow,
  base: ReviewWindow & { quarter: string },
): { coverage: SourceCoverage[]; refused: string | null } {
  const coverage: SourceCoverage[] = []
  const refusals: string[] = []
  for (const source of sources) {
    const span = spans.find((s) => s.source === source)
    const optional = source === 'jira' || source === 'linear' || source === 'calendar'
    if (!span && optional) continue
    coverage.push(coverageOf(span, source, window))
    const b = coverageOf(span, source, base)
    coverage.push(b)
    if (!b.enough)
      refusals.push(
        `${NAMES[source]} covered ${b.daysCovered} of ${b.days} days of ${base.quarter} (${Math.round((b.share ?? 0) * 100)} %): no comparison`,
      )
  }
  return { coverage, refused: refusals.length ? refusals.join('; ') : null }
}
