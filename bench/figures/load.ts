// figures of the `load` section
import { cpus } from 'node:os'
import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface LoadResult {
  people: number
  weeks: number
  decisions: number
  events: number
  load_s: number
  cpu_s: number
  timings: Record<string, number>
  stored: { decisions: number; meetings: number; cycles: number; links: number }
  peak_rss_mb: number
}

/** the issue's target for a 10,000-person year; the 5,000-person load is printed beside it */
const TARGET_10K_S = 30

export async function loadFigures(): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const people of small ? [500, 1000] : [5000, 10_000]) {
    const r = await runSection<LoadResult>('load', { people, weeks: 52 })
    const g = `demo load, ${people} people × 1 year (direct edges, embedded), ${cpus().length} cores`
    const records = r.decisions + r.events
    // every decision record loaded is a decision in the facts: a load that dropped some fails
    const complete = r.stored.decisions === r.decisions
    const tenK = people === 10_000
    figures.push(
      {
        group: g,
        name: `load: ${records.toLocaleString('en')} records (${r.decisions.toLocaleString('en')} decision records, ${r.events.toLocaleString('en')} activity events), generated and written${complete ? '' : ` — ONLY ${r.stored.decisions} of ${r.decisions} decisions stored`}`,
        value: round(r.load_s),
        unit: 's',
        key: people === 5000 ? 'demo_load_5k_s' : tenK ? 'demo_load_10k_s' : `demo_load_${people}_s`,
        ...(tenK ? { target: `≤ ${TARGET_10K_S}`, ok: r.load_s <= TARGET_10K_S && complete } : {}),
      },
      {
        group: g,
        name: 'CPU of the loading process (every thread, the embedded engine included)',
        value: round(r.cpu_s),
        unit: 'CPU-s',
      },
      { group: g, name: 'records per second', value: Math.round(records / r.load_s), unit: '/s' },
      { group: g, name: 'peak RSS of the loading process', value: r.peak_rss_mb, unit: 'MB' },
    )
  }
  return figures
}
