// figures of the `startup` section
import { cpus } from 'node:os'
import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface Spread {
  median_ms: number
  min_ms: number
  max_ms: number
  runs: number
}

export interface StartupResult {
  help: Spread
  metrics: Spread
  first_forward_ms: number
  first_page_fresh_ms: number
  first_page_loaded_ms: number
}

export async function startupFigures(): Promise<Figure[]> {
  const r = await runSection<StartupResult>('startup', { runs: small ? 5 : 7 })
  const g = `start-up of the built orgpulse command, ${cpus().length} cores`
  const spread = (s: Spread) => `median of ${s.runs} (min ${s.min_ms}, max ${s.max_ms} ms)`
  return [
    {
      group: g,
      name: `cold \`orgpulse --help\`: ${spread(r.help)}`,
      value: r.help.median_ms,
      unit: 'ms',
      target: '< 300',
      ok: r.help.median_ms < 300,
    },
    {
      group: g,
      name: `\`orgpulse metrics\` on the demo, forwarded to a running start (idle): ${spread(r.metrics)}`,
      value: r.metrics.median_ms,
      unit: 'ms',
      target: '< 1000',
      ok: r.metrics.median_ms < 1000,
    },
    {
      group: g,
      name: 'the same, forwarded right after the first page (the start-up rollup refresh still running)',
      value: r.first_forward_ms,
      unit: 'ms',
    },
    {
      group: g,
      name: '`orgpulse start` → first page (GET / 200), fresh data dir: the default demo loaded first',
      value: round(r.first_page_fresh_ms / 1000),
      unit: 's',
      key: 'demo_first_page_s',
      target: '≤ 15',
      ok: r.first_page_fresh_ms <= 15_000,
    },
    {
      group: g,
      name: '`orgpulse start` → first page (GET / 200), data dir already loaded',
      value: r.first_page_loaded_ms,
      unit: 'ms',
    },
    {
      group: g,
      // the two starts of this run: what loading the demo adds to a start, whatever the machine's pace
      name: 'fresh start → first page ÷ start on the loaded data dir → first page (same run)',
      value: round(r.first_page_fresh_ms / r.first_page_loaded_ms, 2),
      unit: '×',
    },
  ]
}
