/**
 * The demo load at a large company's size: `loadDemo` with direct edges in embedded mode, as
 * `orgpulse demo --edges direct` runs it, one year of N people into a fresh data dir, timed from
 * the call to the last fact written (the pipeline flushed). One load per process: chDB binds one
 * data directory per process, and the peak RSS is then this load's.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { loadDemo } from '@orgpulse/demo'
import { openRuntime } from '../../services/cli/src/runtime.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { people?: number; weeks?: number }
const people = Number(args.people ?? 10_000)
const weeks = Number(args.weeks ?? 52)
const step = (m: string) => process.stderr.write(`load bench: ${m}\n`)

/** CPU seconds of this process so far, every thread (the embedded engine's included) */
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-bench-load-'))
  const rt = await openRuntime({
    env: parseEnv({ ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' }),
    dataDir,
    logLevel: 'error',
  })
  const end = new Date('2026-11-23T00:00:00Z')
  const cpu0 = cpu()
  const t0 = performance.now()
  const load = await loadDemo(rt, { people, weeks, seed: 11, end, edges: 'direct', retain: false })
  const ms = performance.now() - t0
  const cpuS = cpu() - cpu0
  step(`${people} people × ${weeks} weeks in ${Math.round(ms / 1000)} s (${Math.round(cpuS)} CPU-s)`)
  // what the load wrote, so a load that dropped records cannot pass for a fast one
  const [rows] = await queryRows<{ decisions: string; meetings: string; cycles: string; links: string }>(
    rt.client,
    `SELECT (SELECT uniqExact(decision_id) FROM decision_events) AS decisions,
            (SELECT uniqExact(id) FROM meetings) AS meetings,
            (SELECT uniqExact(id) FROM cycles) AS cycles,
            (SELECT uniqExact(id) FROM dependency_events) AS links`,
  )
  await rt.close()
  rmSync(dataDir, { recursive: true, force: true })
  process.stdout.write(
    `${JSON.stringify({
      people,
      weeks,
      decisions: load.counts.decisions,
      events: load.counts.events,
      load_s: ms / 1000,
      cpu_s: cpuS,
      timings: load.timings,
      stored: Object.fromEntries(Object.entries(rows ?? {}).map(([k, v]) => [k, Number(v)])),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  )
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
