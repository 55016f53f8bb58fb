import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import type { OrgResult } from './metrics.ts'
import { small } from './scale.ts'

export async function dashboardsFigures(): Promise<Figure[]> {
  const people = small ? 1000 : 10_000
  const r = await runSection<OrgResult>('org', { people, weeks: 52, runs: small ? 5 : 20 })
  const g = `dashboards, ${people} people × 1 year (embedded)`
  const worst = [...r.queries].sort((a, b) => b.p95 - a.p95)
  return [
    { group: g, name: 'demo load (direct edges)', value: round(r.load_s), unit: 's' },
    { group: g, name: 'rollup refresh, whole year', value: round(r.rollup_s ?? 0), unit: 's' },
    { group: g, name: 'metrics for one director: p95', value: r.metrics_p95_ms, unit: 'ms' },
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
