import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface OrgResult {
  people: number
  weeks: number
  records: number
  load_s: number
  rollup_s: number | null
  metrics_p50_ms: number
  metrics_p95_ms: number
  queries: { dashboard: string; panel: string; p50: number; p95: number }[]
  peak_rss_mb: number
}

export async function metricsFigures(): Promise<Figure[]> {
  const people = small ? 500 : 5000
  const r = await runSection<OrgResult>('org', {
    people,
    weeks: 52,
    runs: small ? 5 : 15,
    dashboards: false,
  })
  const g = `metrics, ${people} people × 1 year (embedded)`
  return [
    { group: g, name: 'demo load (direct edges)', value: round(r.load_s), unit: 's' },
    { group: g, name: "one director's org, all metrics + teams: p50", value: r.metrics_p50_ms, unit: 'ms' },
    {
      group: g,
      name: "one director's org, all metrics + teams: p95",
      value: r.metrics_p95_ms,
      unit: 'ms',
      target: '< 1000',
      ok: r.metrics_p95_ms < 1000,
    },
  ]
}
