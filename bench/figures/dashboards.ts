import { type Figure, round } from '../format.ts'
import { orgRun } from './metrics.ts'

export async function dashboardsFigures(): Promise<Figure[]> {
  const r = await orgRun()
  const g = `dashboards, ${r.people} people × 1 year (embedded)`
  const worst = [...r.queries].sort((a, b) => b.p95 - a.p95)
  return [
    { group: g, name: 'rollup refresh, whole year', value: round(r.rollup_s ?? 0), unit: 's' },
    ...worst.map((q) => ({
      group: g,
      name: `${q.dashboard} / ${q.panel}: p50 ${q.p50} ms, p95`,
      value: q.p95,
      unit: 'ms',
      target: '< 200',
      ok: q.p95 < 200,
    })),
    { group: g, name: 'peak RSS of the process', value: r.peak_rss_mb, unit: 'MB' },
  ]
}
