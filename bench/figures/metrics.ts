import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface OrgResult {
  people: number
  weeks: number
  records: number
  load_s: number
  rollup_s: number | null
  rollup_baseline_s: number | null
  metrics_p50_ms: number
  metrics_p95_ms: number
  metrics_first_ms: number
  scan_p50_ms: number
  scan_p95_ms: number
  scan_tables_p50_ms: Record<string, number>
  queries: { dashboard: string; panel: string; p50: number; p95: number; scan_p95: number; ratio: number }[]
  peak_rss_mb: number
}

const only = process.env.BENCH_ONLY?.split(',')
const PEOPLE = small ? 1000 : 10_000
let run: Promise<OrgResult> | undefined

/**
 * The org section, run once for both the metrics and the dashboards figures (one 10,000-person
 * load instead of two); the dashboard queries and the rollups only when the dashboards figures
 * are asked for.
 */
export function orgRun(): Promise<OrgResult> {
  run ??= runSection<OrgResult>('org', {
    people: PEOPLE,
    weeks: 52,
    runs: small ? 5 : 15,
    dashboards: !only || only.includes('dashboards'),
  })
  return run
}

export async function metricsFigures(): Promise<Figure[]> {
  const r = await orgRun()
  const g = `metrics, ${r.people} people × 1 year (embedded)`
  const ratio = Math.round((r.metrics_p95_ms / r.scan_p95_ms) * 100) / 100
  return [
    { group: g, name: 'demo load (direct edges)', value: round(r.load_s), unit: 's' },
    { group: g, name: "one director's org, all metrics + teams: p50", value: r.metrics_p50_ms, unit: 'ms' },
    { group: g, name: "one director's org, all metrics + teams: p95", value: r.metrics_p95_ms, unit: 'ms' },
    {
      group: g,
      name: "one director's org: the first request (the rest of the tree's shape computed, not yet kept)",
      value: r.metrics_first_ms,
      unit: 'ms',
    },
    {
      group: g,
      name: `raw scan of the facts it reads, FINAL, FORMAT Null (p50 per table: ${Object.entries(
        r.scan_tables_p50_ms,
      )
        .map(([t, ms]) => `${t} ${ms}`)
        .join(', ')} ms): p95`,
      value: r.scan_p95_ms,
      unit: 'ms',
    },
    {
      group: g,
      name: "one director's metrics p95 / raw scan p95 (same run)",
      value: ratio,
      unit: '×',
      target: '≤ 3',
      ok: ratio <= 3,
      key: 'metrics_scan_ratio',
    },
  ]
}
