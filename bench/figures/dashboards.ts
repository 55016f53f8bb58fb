import { type Figure, round } from '../format.ts'
import { orgRun } from './metrics.ts'

export async function dashboardsFigures(): Promise<Figure[]> {
  const r = await orgRun()
  const g = `dashboards, ${r.people} people × 1 year (embedded)`
  const worst = [...r.queries].sort((a, b) => b.ratio - a.ratio)
  const worstRatio = worst[0]?.ratio ?? 0
  const refreshRatio = Math.round(((r.rollup_s ?? 0) / Math.max(r.rollup_baseline_s ?? 0, 0.001)) * 100) / 100
  return [
    {
      group: g,
      name: 'rollup refresh, whole year, before issue 20 (bench/baseline, same run)',
      value: round(r.rollup_baseline_s ?? 0),
      unit: 's',
    },
    {
      group: g,
      name: 'rollup refresh, whole year',
      value: round(r.rollup_s ?? 0),
      unit: 's',
      key: 'rollup_refresh_s',
    },
    {
      group: g,
      name: 'rollup refresh / the refresh from before issue 20 (same run)',
      value: refreshRatio,
      unit: '×',
      target: '≤ 0.25',
      ok: refreshRatio <= 0.25,
      key: 'rollup_refresh_ratio',
    },
    ...worst.map((q) => ({
      group: g,
      name: `${q.dashboard} / ${q.panel}: p50 ${q.p50} ms, p95 ${q.p95} ms, raw scan of its rows p95 ${q.scan_p95} ms; ratio`,
      value: q.ratio,
      unit: '×',
      target: '≤ 2',
      ok: q.ratio <= 2,
    })),
    {
      group: g,
      name: 'worst dashboard query p95 / raw scan of the rows it reads p95 (same run)',
      value: worstRatio,
      unit: '×',
      target: '≤ 2',
      ok: worstRatio <= 2,
      key: 'dashboard_query_ratio',
    },
    { group: g, name: 'peak RSS of the process', value: r.peak_rss_mb, unit: 'MB' },
  ]
}
