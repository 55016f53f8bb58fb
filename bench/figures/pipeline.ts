// figures of the `pipeline` section
import { cpus } from 'node:os'
import { type Figure, round } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface PipelineResult {
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
  cpu_s_raw_consume_client: number
  cpu_s_raw_consume_broker: number
  cpu_s_raw_insert: number
  pipeline_cpu_busy: number
  events_per_record: number
  rss_ingest_decisions_mb: number
  rss_transformer_mb: number
  rss_sink_mb: number
}

export async function pipelineFigures(): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const client of ['kafkajs', 'platformatic'] as const) {
    const r = await runSection<PipelineResult>('pipeline', { records: small ? 10_000 : 100_000, client })
    const limit = Math.min(r.raw_consume_records_per_s, r.raw_insert_records_per_s)
    const per10k = (s: number) => (s * 10_000) / r.records
    const pipelineCpu = per10k(r.cpu_s_transformer + r.cpu_s_sink + r.cpu_s_broker)
    const rawConsumeCpu = per10k(r.cpu_s_raw_consume_client + r.cpu_s_raw_consume_broker)
    const rawInsertCpu = per10k(r.cpu_s_raw_insert)
    const cpuRatio = pipelineCpu / (rawConsumeCpu + rawInsertCpu)
    const share = r.pipeline_records_per_s / limit
    // the default client's figures carry the plain keys; the comparison client's are suffixed
    const key = (k: string) => (client === 'kafkajs' ? k : `${k}_${client}`)
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
        key: key('pipeline_throughput_share'),
        value: round(100 * share),
        unit: '%',
        target: '≥ 50',
        ok: share >= 0.5,
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
        name: 'pipeline CPU: transformer + sink + broker, per 10,000 records',
        value: round(pipelineCpu, 2),
        unit: 'CPU s',
      },
      {
        group: g,
        name: 'raw parts CPU: raw consume (consumer + broker), per 10,000 records',
        value: round(rawConsumeCpu, 2),
        unit: 'CPU s',
      },
      {
        group: g,
        name: 'raw parts CPU: raw insert (process incl. embedded engine), per 10,000 records',
        value: round(rawInsertCpu, 2),
        unit: 'CPU s',
      },
      {
        group: g,
        name: 'pipeline CPU / raw parts CPU (same records, same run)',
        key: key('pipeline_cpu_ratio'),
        value: round(cpuRatio, 2),
        unit: '×',
        target: '≤ 2',
        ok: cpuRatio <= 2,
      },
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
}
