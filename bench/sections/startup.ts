/**
 * Start-up of the built `orgpulse` command (what `pnpm orgpulse` and `pnpm start` run): a cold
 * `--help`, a `metrics` command forwarded to a running `orgpulse start` on a demo data dir, and
 * `orgpulse start` until its first page (GET /) answers 200, on a fresh data dir (the demo loads
 * first) and again on the loaded one. Each figure is one whole process, timed from spawn to exit
 * (or to the first page), as a user waits for it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { generateDemo } from '@orgpulse/demo'
import { quantile, round } from '../format.ts'
import { cpuSeconds, ROOT, stopped } from '../proc.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { runs?: number }
const runs = Number(args.runs ?? 7)
const CLI = join(ROOT, 'services/cli/dist/main.js')
const work = mkdtempSync(join(tmpdir(), 'orgpulse-bench-startup-'))
const dataDir = join(work, 'data')
// no orgpulse.yaml and no servers: embedded mode with the demo, as `pnpm start` on a fresh clone
const env = { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: '', LOG_LEVEL: 'error' }
const step = (m: string) => process.stderr.write(`startup bench: ${m}\n`)

export interface Spread {
  median_ms: number
  min_ms: number
  max_ms: number
  runs: number
}

const spread = (ms: number[]): Spread => {
  const s = [...ms].sort((a, b) => a - b)
  return {
    median_ms: round(quantile(s, 0.5)),
    min_ms: round(s[0]!),
    max_ms: round(s.at(-1)!),
    runs: s.length,
  }
}

/** one `orgpulse …` process, spawn to exit */
function timedRun(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, ...argv], {
      cwd: work,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr!.on('data', (d) => {
      err += d
    })
    child.once('exit', (code) =>
      code === 0
        ? resolve(performance.now() - t)
        : reject(new Error(`orgpulse ${argv.join(' ')} exited with ${code}: ${err.slice(-300)}`)),
    )
  })
}

async function series(argv: string[]): Promise<Spread> {
  await timedRun(argv) // warm-up: the file system cache, not the process, is what it warms
  const ms: number[] = []
  for (let i = 0; i < runs; i++) ms.push(await timedRun(argv))
  return spread(ms)
}

/** `orgpulse start` until GET / answers 200: the time and the running process */
async function startToFirstPage(): Promise<{ ms: number; child: ChildProcess }> {
  const t = performance.now()
  const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'start', '--port', '0'], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr!.resume()
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`orgpulse start exited with ${code}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /orgpulse is running in \w+ mode at (\S+)/.exec(line)
      if (m) resolve(m[1]!)
    })
  })
  for (;;) {
    const res = await fetch(`${url}/`).catch(() => null)
    if (res?.status === 200) {
      await res.text()
      return { ms: performance.now() - t, child }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Until the instance uses under a tenth of a core for a second (at most two minutes): a fresh
 * start refreshes a year of rollups first, and a command forwarded meanwhile waits for the engine.
 */
async function settled(pid: number): Promise<number> {
  const t = performance.now()
  let before = cpuSeconds(pid)
  while (performance.now() - t < 120_000) {
    await new Promise((r) => setTimeout(r, 1000))
    const now = cpuSeconds(pid)
    if (now - before < 0.1) break
    before = now
  }
  return performance.now() - t
}

async function main(): Promise<void> {
  step(`cold --help × ${runs}`)
  const help = await series(['--help'])
  step('start on a fresh data dir (loads the demo)')
  const fresh = await startToFirstPage()
  // the director and range `pnpm start` prints for the demo it loads (same size and seed)
  const demo = generateDemo({ people: 120, weeks: 26, seed: 1 })
  const day = (d: Date) => d.toISOString().slice(0, 10)
  const metricsArgv = [
    'metrics',
    '--org',
    demo.stories.centralisingDirector,
    '--from',
    day(demo.start),
    '--to',
    day(demo.end),
  ]
  const firstForward = await timedRun(metricsArgv)
  const settle = await settled(fresh.child.pid!)
  step(`instance idle after ${Math.round(settle / 1000)} s; forwarded metrics × ${runs}`)
  const metrics = await series(metricsArgv)
  await stopped(fresh.child, 'SIGINT')
  step('start again on the loaded data dir')
  const again = await startToFirstPage()
  await stopped(again.child, 'SIGINT')
  rmSync(work, { recursive: true, force: true })
  process.stdout.write(
    `${JSON.stringify({ help, metrics, first_forward_ms: round(firstForward, 0), first_page_fresh_ms: round(fresh.ms, 0), first_page_loaded_ms: round(again.ms, 0) })}\n`,
  )
}

void main()
