/**
 * Peak memory of `orgpulse start` (the built CLI) holding the 10,000-person year, with the
 * engine under its default budget (ORGPULSE_ENGINE_MEMORY_MB). The year is loaded first by a
 * process of its own (this file with `{"phase":"load"}`), then `start` opens the data dir (its
 * rollup refresher rebuilds the year's weekly rollups at start), and against it run: the metrics
 * of the biggest director's org (forwarded `orgpulse metrics`, the api's computeOrgMetrics), the
 * org, decisions, dependencies and load pages over HTTP, and every quarterly export format of
 * the whole company through the api (what `orgpulse export quarterly` runs). Its VmHWM is read after
 * each phase. Grafana never reaches the embedded engine (it is full mode only: docker-compose's
 * ClickHouse server), so the dashboard panel queries run afterwards in a process of their own on
 * the same data dir and budget (`{"phase":"dashboards"}`), and its peak is reported beside.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DEFAULT_ENGINE_MEMORY_MB, queryRows } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { DIRECTOR_VARIABLE_SQL, dashboardSpecs, expandQuery, TEAM_VARIABLE_SQL } from '@orgpulse/dashboards'
import { loadDemo } from '@orgpulse/demo'
import { openRuntime } from '../../services/cli/src/runtime.ts'
import { patientFlush } from '../export.ts'
import { ROOT, runSection, stopped } from '../proc.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as {
  phase?: 'load' | 'dashboards'
  dataDir?: string
  people?: number
  weeks?: number
  /** iterate on an already loaded data dir (kept): its director and CEO */
  reuse?: { dataDir: string; director: string; ceo: string }
}
const people = Number(args.people ?? 10_000)
const weeks = Number(args.weeks ?? 52)
const CLI = join(ROOT, 'services/cli/dist/main.js')
const END = new Date('2026-11-23T00:00:00Z')
const START = new Date(END.getTime() - weeks * 7 * 86400000)
const SEED = 11
const day = (d: Date) => d.toISOString().slice(0, 10)
const step = (m: string) => process.stderr.write(`memory bench: ${m}\n`)
// no orgpulse.yaml, no servers: embedded mode, as `pnpm start`
const env = { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: '', LOG_LEVEL: 'error' }

/** `{"phase":"load"}`: the demo year into the data dir, then exit (the engine's memory goes with the process) */
async function load(dataDir: string): Promise<void> {
  const rt = await openRuntime({ env: parseEnv(env), dataDir, logLevel: 'error' })
  const t = performance.now()
  const { company } = await loadDemo(
    { ...rt, flush: () => patientFlush(rt.flush) },
    { people, weeks, seed: SEED, end: END, edges: 'direct' },
  )
  await rt.close()
  const ceo = company.snapshots.at(-1)!.people.find((p) => p.manager === '')!.email
  process.stdout.write(
    `${JSON.stringify({ load_s: Math.round((performance.now() - t) / 1000), director: company.stories.centralisingDirector, ceo, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  )
}

/** `{"phase":"dashboards"}`: every dashboard panel and variable query, as Grafana's backend expands them */
async function dashboards(dataDir: string, directorEmail: string): Promise<void> {
  const rt = await openRuntime({ env: parseEnv(env), dataDir, logLevel: 'error' })
  const director = `u:${directorEmail}`
  const range = { from: START, to: END, intervalMs: 7 * 86400000 }
  const teams = (
    await queryRows<Record<string, string>>(
      rt.client,
      expandQuery(TEAM_VARIABLE_SQL, { ...range, variables: { director } }),
    )
  ).map((r) => Object.values(r)[0]!)
  let queries = 0
  for (const sql of [DIRECTOR_VARIABLE_SQL, TEAM_VARIABLE_SQL]) {
    await queryRows(rt.client, expandQuery(sql, { ...range, variables: { director } }))
    queries++
  }
  for (const spec of dashboardSpecs(rt.config))
    for (const panel of spec.panels) {
      await queryRows(rt.client, expandQuery(panel.sql, { ...range, variables: { director, team: teams } }))
      queries++
    }
  await rt.close()
  process.stdout.write(
    `${JSON.stringify({ queries, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  )
}

/** the process's peak resident set so far (VmHWM), MB; 0 once it has exited */
function highWater(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : 0
  } catch {
    return 0
  }
}

/**
 * GET with no time limit: fetch gives up on headers after 5 minutes, which the home page (every
 * org's figures) of the 10,000-person year can take on a loaded shared machine
 */
function getPage(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
    })
    req.once('error', reject)
  })
}

/** GET with a bearer token and no time limit; the body is counted and dropped; fails unless 200 */
function download(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0
      res.on('data', (d: Buffer) => {
        bytes += d.length
      })
      res.once('end', () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${url} answered ${res.statusCode}`)),
      )
    })
    req.once('error', reject)
  })
}

/** one forwarded `orgpulse …` command; fails the bench when it fails */
function cli(dataDir: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, ...argv], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout!.on('data', (d) => {
      out += d
    })
    child.stderr!.on('data', (d) => {
      err += d
    })
    child.once('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`orgpulse ${argv.join(' ')} exited with ${code}: ${err.slice(-400)}`)),
    )
  })
}

/** the last calendar quarter that ends inside the demo's range */
function lastFullQuarter(end: Date): string {
  const y = end.getUTCFullYear()
  const q = Math.floor(end.getUTCMonth() / 3)
  return q === 0 ? `${y - 1}-Q4` : `${y}-Q${q}`
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'orgpulse-bench-memory-'))
  const dataDir = args.reuse?.dataDir ?? join(work, 'data')
  try {
    step(`loading ${people} people × ${weeks} weeks in a process of its own`)
    const loaded = args.reuse
      ? { load_s: 0, peak_rss_mb: 0, ...args.reuse }
      : await runSection<{ load_s: number; director: string; ceo: string; peak_rss_mb: number }>('memory', {
          phase: 'load',
          dataDir,
          people,
          weeks,
        })
    step(`loaded in ${loaded.load_s} s; orgpulse start`)
    const t0 = performance.now()
    const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'start', '--port', '0', '--no-demo'], {
      cwd: work,
      // warnings too: a rollup refresh refused for memory is logged (and retried), never thrown
      env: { ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const refusals: string[] = []
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (/memory budget|MEMORY_LIMIT/.test(line)) refusals.push(line.slice(0, 300))
    })
    const pid = child.pid!
    // a failed phase must not leave the instance holding the data dir
    process.once('exit', () => child.kill('SIGKILL'))
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`orgpulse start exited with ${code}`)))
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /orgpulse is running in \w+ mode at (\S+)/.exec(line)
        if (m) resolve(m[1]!)
      })
    })
    const phases: { phase: string; peak_rss_mb: number; ms: number }[] = []
    const phase = async (name: string, run: () => Promise<unknown>) => {
      const t = performance.now()
      await run()
      phases.push({ phase: name, peak_rss_mb: highWater(pid), ms: Math.round(performance.now() - t) })
      step(`${name}: peak so far ${phases.at(-1)!.peak_rss_mb} MB`)
    }
    phases.push({ phase: 'started', peak_rss_mb: highWater(pid), ms: Math.round(performance.now() - t0) })
    const window = ['--from', day(START), '--to', day(END)]
    // the first forwarded command waits for the start-up rollup refresh of the whole year
    await phase('metrics (forwarded CLI), 3 runs', async () => {
      for (let i = 0; i < 3; i++)
        await cli(dataDir, ['metrics', '--org', loaded.director, ...window, '--format', 'json'])
    })
    await phase('pages (org, decisions, dependencies, load)', async () => {
      const org = encodeURIComponent(loaded.director)
      for (const path of [
        '/',
        `/orgs/${org}`,
        `/orgs/${org}/decisions`,
        `/orgs/${org}/dependencies`,
        `/orgs/${org}/load`,
      ]) {
        const status = await getPage(`${url}${path}`)
        if (status !== 200) throw new Error(`GET ${path} answered ${status}`)
      }
    })
    // exports through the api, as the export links of the pages fetch them (a forwarded `orgpulse export
    // quarterly` waits however long the export takes: services/cli/src/forward.ts). The first token
    // closes the pages to anonymous callers: made after them.
    const token = (await cli(dataDir, ['tokens', 'create', '--admin', '--name', 'memory bench'])).trim()
    const quarter = lastFullQuarter(END)
    const exports: { format: string; bytes: number; ms: number }[] = []
    for (const format of ['csv', 'json', 'parquet', 'review-zip', 'xlsx']) {
      const t = performance.now()
      let bytes = 0
      await phase(`export ${format}, CEO org (api)`, async () => {
        bytes = await download(
          `${url}/v1/orgs/${encodeURIComponent(loaded.ceo)}/exports/quarterly?quarter=${quarter}&format=${format}`,
          token,
        )
      })
      exports.push({ format, bytes, ms: Math.round(performance.now() - t) })
    }
    const startPeak = highWater(pid)
    await stopped(child, 'SIGINT')
    step(`start peak ${startPeak} MB; dashboard queries in a process of their own`)
    const dash = await runSection<{ queries: number; peak_rss_mb: number }>('memory', {
      phase: 'dashboards',
      dataDir,
      director: loaded.director,
      people,
      weeks,
    })
    process.stdout.write(
      `${JSON.stringify({
        people,
        weeks,
        budget_mb: Number(process.env.ORGPULSE_ENGINE_MEMORY_MB ?? DEFAULT_ENGINE_MEMORY_MB),
        load_s: loaded.load_s,
        load_peak_rss_mb: loaded.peak_rss_mb,
        start_peak_rss_mb: startPeak,
        memory_refusals: refusals.length,
        first_refusal: refusals[0] ?? null,
        phases,
        exports,
        dashboards: dash,
      })}\n`,
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const entry =
  args.phase === 'load'
    ? load(args.dataDir!)
    : args.phase === 'dashboards'
      ? dashboards(args.dataDir!, (args as { director?: string }).director!)
      : main()
entry.catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
