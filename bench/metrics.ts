import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadDemo } from '../packages/cli/src/demo/load.ts'
import { openRuntime } from '../packages/cli/src/runtime.ts'
import { computeOrgMetrics } from '@orgpulse/metrics'
import { listDirectors } from '@orgpulse/org'
import { type Figure, round, sample, timed } from './format.ts'

/**
 * Metrics for a director's org on one year of a 5,000-person demo company, embedded mode
 * (chDB in-process): the CLI/api path, per director, p50/p95 over repeated runs.
 */
export async function benchMetrics(options: { people: number; weeks: number; runs: number }): Promise<Figure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-bench-metrics-'))
  const rt = await openRuntime({ dataDir, logLevel: 'error' })
  const figures: Figure[] = []
  try {
    const end = new Date('2026-11-23T00:00:00Z')
    const load = await timed(() => loadDemo(rt, { people: options.people, weeks: options.weeks, seed: 7, end }))
    const company = load.value.company
    const records = company.decisions.length + company.events.length
    figures.push(
      { group: 'embedded load', name: `demo ${options.people} people × ${options.weeks} weeks`, value: records, unit: 'records' },
      { group: 'embedded load', name: 'load rate (raw → ClickHouse, in-process bus)', value: round(records / (load.ms / 1000), 0), unit: 'records/s' },
    )
    const directors = (await listDirectors(rt.client, new Date(end.getTime() - 1))).filter((d) => d.level === 2)
    const from = new Date(end.getTime() - 364 * 86400000).toISOString().slice(0, 10)
    const to = end.toISOString().slice(0, 10)
    const director = directors.find((d) => d.email === company.stories.centralisingDirector) ?? directors[0]!
    const year = await sample(options.runs, () => computeOrgMetrics(rt.client, rt.config, { director: director.email, from, to }))
    figures.push({
      group: 'metrics (embedded)',
      name: `one director's org (${director.people} people), 1 year, all metrics + teams: p50`,
      value: year.p50,
      unit: 'ms',
    })
    figures.push({ group: 'metrics (embedded)', name: 'same: p95', value: year.p95, unit: 'ms', target: '< 1000 ms', ok: year.p95 < 1000 })
    const weekly = await sample(Math.max(3, Math.floor(options.runs / 3)), () =>
      computeOrgMetrics(rt.client, rt.config, { director: director.email, from, to, grain: 'week' }),
    )
    figures.push({ group: 'metrics (embedded)', name: 'same with a 52-week series: p95', value: weekly.p95, unit: 'ms' })
  } finally {
    await rt.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
  return figures
}
