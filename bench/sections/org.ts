/**
 * One year of a large demo org (10,000 people by default), embedded engine: the metrics path
 * (CLI/api) for one director against a raw scan of the facts it reads (bench/fact-scan.ts), every
 * dashboard panel query expanded as Grafana's backend would, and the rollup refresh that feeds
 * them.
 */

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { DIRECTOR_VARIABLE_SQL, dashboardSpecs, expandQuery, TEAM_VARIABLE_SQL } from '@orgpulse/dashboards'
import { loadDemo } from '@orgpulse/demo'
import { computeOrgMetrics, refreshRollups } from '@orgpulse/metrics'
import { openRuntime } from '../../services/cli/src/runtime.ts'
import { scanFacts } from '../fact-scan.ts'
import { quantile, round, sample, timed } from '../format.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as {
  people?: number
  weeks?: number
  runs?: number
  dashboards?: boolean
}
const people = Number(args.people ?? 10_000)
const weeks = Number(args.weeks ?? 52)
const runs = Number(args.runs ?? 20)
const step = (m: string) => process.stderr.write(`org bench: ${m}\n`)

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-bench-org-'))
  const rt = await openRuntime({ env: parseEnv(process.env), dataDir, logLevel: 'error' })
  const end = new Date('2026-11-23T00:00:00Z')
  const start = new Date(end.getTime() - weeks * 7 * 86400000)
  // a shared bench machine can be slower than the pipeline's two-minute catch-up wait: the load
  // keeps waiting while the pipeline works through it (the load's time is reported, not judged)
  const flush = rt.flush.bind(rt)
  rt.flush = async () => {
    for (let i = 0; ; i++) {
      try {
        return await flush()
      } catch (err) {
        if (i >= 10 || !/unprocessed records/.test((err as Error).message)) throw err
        step(`still loading: ${(err as Error).message}`)
      }
    }
  }
  const load = await timed(() => loadDemo(rt, { people, weeks, seed: 11, end, edges: 'direct' }))
  const company = load.value.company
  step(`loaded ${people} people × ${weeks} weeks in ${Math.round(load.ms / 1000)} s`)
  const withDashboards = args.dashboards !== false
  const rollup = withDashboards
    ? await timed(() => refreshRollups(rt.client, rt.config, { from: start, to: end }))
    : null
  if (rollup) step(`rollups in ${Math.round(rollup.ms / 1000)} s`)
  const directorEmail = company.stories.centralisingDirector
  const director = `u:${directorEmail}`
  const range = { from: start, to: end, intervalMs: 7 * 86400000 }
  const teams = (
    await queryRows<Record<string, string>>(
      rt.client,
      expandQuery(TEAM_VARIABLE_SQL, { ...range, variables: { director } }),
    )
  ).map((r) => Object.values(r)[0]!)
  // each run: the raw scan, then the metrics, so both see the same machine
  const metricsMs: number[] = []
  const scanMs: number[] = []
  const tableMs: Record<string, number[]> = {}
  for (let i = 0; i < runs; i++) {
    const scan = await scanFacts(rt.client, start, end)
    scanMs.push(scan.total)
    for (const [table, ms] of Object.entries(scan.tables)) tableMs[table] = [...(tableMs[table] ?? []), ms]
    const m = await timed(() =>
      computeOrgMetrics(rt.client, rt.config, {
        director: directorEmail,
        from: start.toISOString().slice(0, 10),
        to: end.toISOString().slice(0, 10),
      }),
    )
    metricsMs.push(m.ms)
  }
  const q = (xs: number[], p: number) =>
    round(
      quantile(
        [...xs].sort((a, b) => a - b),
        p,
      ),
    )
  const metrics = { p50: q(metricsMs, 0.5), p95: q(metricsMs, 0.95) }
  const scan = { p50: q(scanMs, 0.5), p95: q(scanMs, 0.95) }
  step(`metrics p95 ${metrics.p95} ms, raw scan p95 ${scan.p95} ms`)
  const queries: { dashboard: string; panel: string; p50: number; p95: number }[] = []
  const variablesSql = [DIRECTOR_VARIABLE_SQL, TEAM_VARIABLE_SQL]
  for (const [i, sql] of (withDashboards ? variablesSql : []).entries()) {
    const expanded = expandQuery(sql, { ...range, variables: { director } })
    const s = await sample(runs, () => queryRows(rt.client, expanded))
    queries.push({ dashboard: 'variables', panel: i === 0 ? 'director' : 'team', p50: s.p50, p95: s.p95 })
  }
  for (const spec of withDashboards ? dashboardSpecs(rt.config) : []) {
    for (const panel of spec.panels) {
      const expanded = expandQuery(panel.sql, { ...range, variables: { director, team: teams } })
      const s = await sample(runs, () => queryRows(rt.client, expanded))
      queries.push({ dashboard: spec.key, panel: panel.title, p50: s.p50, p95: s.p95 })
    }
  }
  await rt.close()
  const rss = process.resourceUsage().maxRSS / 1024
  process.stdout.write(
    `${JSON.stringify({
      people,
      weeks,
      records: company.decisions.length + company.events.length,
      load_s: load.ms / 1000,
      rollup_s: rollup ? rollup.ms / 1000 : null,
      rollup_rows: rollup?.value.rows ?? null,
      director: directorEmail,
      metrics_p50_ms: metrics.p50,
      metrics_p95_ms: metrics.p95,
      scan_p50_ms: scan.p50,
      scan_p95_ms: scan.p95,
      scan_tables_p50_ms: Object.fromEntries(Object.entries(tableMs).map(([t, xs]) => [t, q(xs, 0.5)])),
      queries,
      peak_rss_mb: Math.round(rss),
    })}\n`,
  )
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
