import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Figure, printTable, round } from './format.ts'
import { runSection } from './proc.ts'

/**
 * `pnpm bench`: every figure measured in the same run on this machine; prints a table and writes
 * bench/results.json. Each section runs in its own process (the embedded engine binds one data
 * directory per process, and peak memory is then per section).
 * BENCH_SCALE=small runs everything on a tenth of the data for a quick look.
 */
const small = process.env.BENCH_SCALE === 'small'
const only = process.env.BENCH_ONLY?.split(',')

interface PipelineResult {
  records: number
  ingest_records_per_s: number
  raw_consume_records_per_s: number
  raw_insert_records_per_s: number
  pipeline_records_per_s: number
  pipeline_start_ms: number
  cpu_s_transformer: number
  cpu_s_sink: number
  cpu_s_broker: number
  cpu_s_bench: number
  pipeline_cpu_busy: number
  events_per_record: number
  rss_ingest_decisions_mb: number
  rss_transformer_mb: number
  rss_sink_mb: number
}
interface OrgResult {
  people: number
  weeks: number
  records: number
  load_s: number
  rollup_s: number | null
  metrics_p50_ms: number
  metrics_p95_ms: number
  queries: { dashboard: string; panel: string; p50: number; p95: number }[]
  peak_rss_mb: number
}
interface FreshnessResult {
  deliveries: number
  p50_ms: number
  p95_ms: number
  max_ms: number
}
interface ExportResult {
  people: number
  baseline_rss_mb: number
  formats: { format: string; ms: number; bytes: number; peak_rss_mb: number; rss_rise_mb: number }[]
}

interface Spread {
  median_ms: number
  min_ms: number
  max_ms: number
  runs: number
}
interface StartupResult {
  help: Spread
  metrics: Spread
  first_forward_ms: number
  first_page_fresh_ms: number
  first_page_loaded_ms: number
}

const sections: Record<string, () => Promise<Figure[]>> = {
  startup: async () => {
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
        name: '`orgpulse start` → first page (GET / 200), fresh data dir: demo load included',
        value: r.first_page_fresh_ms,
        unit: 'ms',
        // the performance issue's target; start-up (this issue) only has to print the figure
        target: '≤ 15000 (perf)',
        ok: r.first_page_fresh_ms <= 15_000,
      },
      {
        group: g,
        name: '`orgpulse start` → first page (GET / 200), data dir already loaded',
        value: r.first_page_loaded_ms,
        unit: 'ms',
      },
    ]
  },
  metrics: async () => {
    const people = small ? 500 : 5000
    const r = await runSection<OrgResult>('org', {
      people,
      weeks: 52,
      runs: small ? 5 : 15,
      dashboards: false,
    })
    const g = `metrics, ${people} people × 1 year (embedded)`
    return [
      { group: g, name: 'demo load (direct edges)', value: round(r.load_s), unit: 's' },
      { group: g, name: "one director's org, all metrics + teams: p50", value: r.metrics_p50_ms, unit: 'ms' },
      {
        group: g,
        name: "one director's org, all metrics + teams: p95",
        value: r.metrics_p95_ms,
        unit: 'ms',
        target: '< 1000',
        ok: r.metrics_p95_ms < 1000,
      },
    ]
  },
  dashboards: async () => {
    const people = small ? 1000 : 10_000
    const r = await runSection<OrgResult>('org', { people, weeks: 52, runs: small ? 5 : 20 })
    const g = `dashboards, ${people} people × 1 year (embedded)`
    const worst = [...r.queries].sort((a, b) => b.p95 - a.p95)
    return [
      { group: g, name: 'demo load (direct edges)', value: round(r.load_s), unit: 's' },
      { group: g, name: 'rollup refresh, whole year', value: round(r.rollup_s ?? 0), unit: 's' },
      { group: g, name: 'metrics for one director: p95', value: r.metrics_p95_ms, unit: 'ms' },
      ...worst.map((q) => ({
        group: g,
        name: `${q.dashboard} / ${q.panel}: p50 ${q.p50} ms, p95`,
        value: q.p95,
        unit: 'ms',
        target: '< 200',
        ok: q.p95 < 200,
      })),
      { group: g, name: 'peak RSS of the process', value: r.peak_rss_mb, unit: 'MB' },
    ]
  },
  pipeline: async () => {
    const figures: Figure[] = []
    for (const client of ['kafkajs', 'platformatic'] as const) {
      const r = await runSection<PipelineResult>('pipeline', { records: small ? 10_000 : 100_000, client })
      const limit = Math.min(r.raw_consume_records_per_s, r.raw_insert_records_per_s)
      const g = `pipeline (${client}), ${r.records} decision records, real broker`
      figures.push(
        {
          group: g,
          name: 'ingest service (HTTP → Kafka acked)',
          value: round(r.ingest_records_per_s, 0),
          unit: 'records/s',
        },
        {
          group: g,
          name: 'limit: raw consume of the raw topic',
          value: round(r.raw_consume_records_per_s, 0),
          unit: 'records/s',
        },
        {
          group: g,
          name: `limit: raw insert of the same rows (${r.events_per_record} events each)`,
          value: round(r.raw_insert_records_per_s, 0),
          unit: 'records/s',
        },
        {
          group: g,
          name: 'pipeline services start (load, migrations, group join)',
          value: round(r.pipeline_start_ms, 0),
          unit: 'ms',
        },
        {
          group: g,
          name: 'pipeline raw → ClickHouse (transformer + sink processes)',
          value: round(r.pipeline_records_per_s, 0),
          unit: 'records/s',
        },
        {
          group: g,
          name: 'pipeline / slower limit',
          value: round((100 * r.pipeline_records_per_s) / limit),
          unit: '%',
          target: '≥ 50',
          ok: r.pipeline_records_per_s / limit >= 0.5,
        },
        ...(
          [
            ['transformer', r.cpu_s_transformer],
            ['sink', r.cpu_s_sink],
            ['Kafka broker', r.cpu_s_broker],
          ] as const
        ).map(([who, s]) => ({
          group: g,
          name: `pipeline CPU: ${who}, per 10,000 records`,
          value: round((s * 10_000) / r.records, 2),
          unit: 'CPU s',
        })),
        {
          group: g,
          name: `pipeline CPU: all processes, share of the machine's ${cpus().length} cores`,
          value: round(100 * r.pipeline_cpu_busy),
          unit: '%',
        },
        { group: g, name: 'peak RSS ingest-decisions', value: r.rss_ingest_decisions_mb, unit: 'MB' },
        { group: g, name: 'peak RSS transformer', value: r.rss_transformer_mb, unit: 'MB' },
        { group: g, name: 'peak RSS sink', value: r.rss_sink_mb, unit: 'MB' },
      )
    }
    return figures
  },
  freshness: async () => {
    const r = await runSection<FreshnessResult>('freshness', { deliveries: small ? 10 : 50 })
    const g = `freshness: Jira webhook → visible in metrics (${r.deliveries} deliveries, real broker)`
    return [
      { group: g, name: 'p50', value: r.p50_ms, unit: 'ms' },
      { group: g, name: 'p95', value: r.p95_ms, unit: 'ms', target: '< 5000', ok: r.p95_ms < 5000 },
    ]
  },
  export: async () => {
    const r = await runSection<ExportResult>('export', { people: small ? 1000 : 10_000, weeks: 52 })
    const g = `quarterly export, ${r.people} people × 1 year`
    return [
      { group: g, name: 'process RSS before exporting (demo loaded)', value: r.baseline_rss_mb, unit: 'MB' },
      ...r.formats.flatMap((f) => [
        { group: g, name: `${f.format}: time`, value: f.ms, unit: 'ms' },
        { group: g, name: `${f.format}: size`, value: round(f.bytes / 1024), unit: 'KiB' },
        { group: g, name: `${f.format}: peak RSS`, value: f.peak_rss_mb, unit: 'MB' },
        {
          group: g,
          name: `${f.format}: RSS rise during the export`,
          value: f.rss_rise_mb,
          unit: 'MB',
        },
      ]),
    ]
  },
}

async function main(): Promise<void> {
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
  printTable(figures)
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json')
  writeFileSync(
    out,
    `${JSON.stringify({ started, finished: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, scale: small ? 'small' : 'full', figures }, null, 2)}\n`,
  )
  process.stderr.write(`bench: wrote ${out}\n`)
  if (figures.some((f) => f.name === 'FAILED')) process.exitCode = 1
}

void main()
