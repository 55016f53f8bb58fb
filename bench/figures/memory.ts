import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface MemoryResult {
  people: number
  weeks: number
  budget_mb: number
  load_s: number
  load_peak_rss_mb: number
  start_peak_rss_mb: number
  /** lines `start` logged about a query refused for memory (a rollup refresh is retried, not thrown) */
  memory_refusals: number
  first_refusal: string | null
  phases: { phase: string; peak_rss_mb: number; ms: number }[]
  exports: { format: string; bytes: number; ms: number }[]
  dashboards: { queries: number; peak_rss_mb: number }
}

const TARGET_MB = 1536

export async function memoryFigures(): Promise<Figure[]> {
  const r = await runSection<MemoryResult>('memory', { people: small ? 1000 : 10_000, weeks: 52 })
  const g = `memory of orgpulse start, ${r.people} people × 1 year (engine budget ${r.budget_mb} MiB)`
  const size = (format: string) => r.exports.find((e) => e.format === format)?.bytes ?? 0
  return [
    { group: g, name: 'demo load (its own process)', value: r.load_s, unit: 's' },
    ...r.phases.map((p) => ({
      group: g,
      name: `peak RSS after ${p.phase}${/^export (\S+),/.test(p.phase) ? ` (${round(size(/^export (\S+),/.exec(p.phase)![1]!) / 1048576)} MiB file)` : ''}`,
      value: p.peak_rss_mb,
      unit: 'MB',
    })),
    {
      group: g,
      name: 'peak RSS of orgpulse start over it all',
      value: r.start_peak_rss_mb,
      unit: 'MB',
      key: 'start_peak_rss_mb',
      target: `≤ ${TARGET_MB}`,
      ok: r.start_peak_rss_mb <= TARGET_MB,
    },
    {
      group: g,
      name: `queries refused for the budget in start's log${r.first_refusal ? ` (first: ${r.first_refusal.slice(0, 120)})` : ''}`,
      value: r.memory_refusals,
      unit: '',
      target: '0',
      ok: r.memory_refusals === 0,
    },
    {
      group: g,
      name: `peak RSS of a process running the ${r.dashboards.queries} dashboard queries (Grafana reaches no embedded engine)`,
      value: r.dashboards.peak_rss_mb,
      unit: 'MB',
      target: `≤ ${TARGET_MB}`,
      ok: r.dashboards.peak_rss_mb <= TARGET_MB,
    },
  ]
}
