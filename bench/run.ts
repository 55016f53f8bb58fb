import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Figure, printTable } from './format.ts'
import { benchMetrics } from './metrics.ts'

/**
 * `pnpm bench`: every figure measured in the same run on this machine; prints a table and writes
 * bench/results.json. BENCH_PEOPLE / BENCH_WEEKS / BENCH_RUNS scale it down for a quick look.
 */
const people = Number(process.env.BENCH_PEOPLE ?? 5000)
const weeks = Number(process.env.BENCH_WEEKS ?? 52)
const runs = Number(process.env.BENCH_RUNS ?? 15)

async function main(): Promise<void> {
  const started = new Date().toISOString()
  const figures: Figure[] = []
  const section = async (name: string, fn: () => Promise<Figure[]>) => {
    process.stderr.write(`bench: ${name}…\n`)
    try {
      figures.push(...(await fn()))
    } catch (err) {
      figures.push({ group: name, name: 'FAILED', value: (err as Error).message, unit: '' })
    }
  }
  await section('metrics', () => benchMetrics({ people, weeks, runs }))
  printTable(figures)
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify({ started, finished: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, figures }, null, 2)}\n`)
  process.stderr.write(`bench: wrote ${out}\n`)
  if (figures.some((f) => f.name === 'FAILED')) process.exitCode = 1
}

void main()
