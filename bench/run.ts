import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { backfillFigures } from './figures/backfill.ts'
import { dashboardsFigures } from './figures/dashboards.ts'
import { exportFigures } from './figures/export.ts'
import { freshnessFigures } from './figures/freshness.ts'
import { loadFigures } from './figures/load.ts'
import { memoryFigures } from './figures/memory.ts'
import { metricsFigures } from './figures/metrics.ts'
import { pipelineFigures } from './figures/pipeline.ts'
import { small } from './figures/scale.ts'
import { startupFigures } from './figures/startup.ts'
import { type Figure, printTable } from './format.ts'

/**
 * `pnpm bench`: every figure measured in the same run on this machine; prints a table and writes
 * bench/results.json. Each section runs in its own process (the embedded engine binds one data
 * directory per process, and peak memory is then per section).
 * BENCH_SCALE=small runs everything on a tenth of the data for a quick look.
 */
const only = process.env.BENCH_ONLY?.split(',')

/** the sections in the order they run; each one's figures are built in bench/figures/<name>.ts */
const sections: Record<string, () => Promise<Figure[]>> = {
  startup: startupFigures,
  metrics: metricsFigures,
  dashboards: dashboardsFigures,
  pipeline: pipelineFigures,
  freshness: freshnessFigures,
  export: exportFigures,
  backfill: backfillFigures,
  load: loadFigures,
  memory: memoryFigures,
}

/** the figures that carry a `key`, as key → value (with its unit, target and verdict) */
function keyed(
  figures: Figure[],
): Record<string, { value: number | string; unit: string; target?: string; ok?: boolean }> {
  const out: Record<string, { value: number | string; unit: string; target?: string; ok?: boolean }> = {}
  for (const f of figures) {
    if (!f.key) continue
    if (out[f.key]) throw new Error(`bench: two figures carry the key ${f.key}`)
    out[f.key] = {
      value: f.value,
      unit: f.unit,
      ...(f.target ? { target: f.target } : {}),
      ...(f.ok === undefined ? {} : { ok: f.ok }),
    }
  }
  return out
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100)
  const started = new Date().toISOString()
  const figures: Figure[] = []
  for (const [name, fn] of Object.entries(sections)) {
    if (only && !only.includes(name)) continue
    process.stderr.write(`bench: ${name}…\n`)
    try {
      figures.push(...(await fn()))
    } catch (err) {
      figures.push({ group: name, name: 'FAILED', value: (err as Error).message.slice(0, 300), unit: '' })
    }
  }
  const command = [small ? 'BENCH_SCALE=small' : '', only ? `BENCH_ONLY=${only.join(',')}` : '', 'pnpm bench']
    .filter(Boolean)
    .join(' ')
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    // how busy the machine was: absolute times depend on it, the same-run ratios much less
    load_average_at_start: loadAtStart,
    load_average_at_end: loadavg().map((l) => Math.round(l * 100) / 100),
  }
  console.log(
    `${command}: ${machine.cpus} cores (${machine.model}), Node ${machine.node}, load average ${loadAtStart.join(' / ')} at start, ${machine.load_average_at_end.join(' / ')} at end (1 / 5 / 15 min)\n`,
  )
  printTable(figures)
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json')
  writeFileSync(
    out,
    `${JSON.stringify({ started, finished: new Date().toISOString(), command, machine, scale: small ? 'small' : 'full', keys: keyed(figures), figures }, null, 2)}\n`,
  )
  process.stderr.write(`bench: wrote ${out}\n`)
  if (figures.some((f) => f.name === 'FAILED')) process.exitCode = 1
}

void main()
