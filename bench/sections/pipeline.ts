/**
 * Pipeline throughput through a real broker, and its limits measured in the same run:
 *   raw consume  — the same raw topic, the same Kafka client, a handler that does nothing;
 *   raw insert   — the same canonical rows into the same ClickHouse tables, batch by batch;
 *   pipeline     — transformer and sink as separate service processes, raw → ClickHouse, timed from
 *                  the moment both stages run (groups joined) until both groups have no lag;
 *                  process start (module load, migrations, group join) is reported on its own.
 * CPU is measured for the same records in each: the pipeline's (transformer, sink, and the
 * broker during the run) against the parts' (the raw consumer and the broker serving it; the
 * inserting process with its in-process engine), so their ratio holds on a busy machine.
 * Also the ingest service's publish rate and every service's peak RSS.
 */
import { mkdtempSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClickHouse, migrate, queryRows, writeFacts } from '@orgpulse/clickhouse'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { type CanonicalEvent, configSchema, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { createKafkaBusWith, type KafkaClientName, namespacedBus, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, transformBytes } from '@orgpulse/transformer'
import { startLocalKafka } from '../../infra/kafka-local/local-kafka.ts'
import { cpuSeconds, peakRss, startService, stopped } from '../proc.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { records?: number; client?: KafkaClientName }
const N = Number(args.records ?? 100_000)
const clientName: KafkaClientName = args.client ?? 'kafkajs'
const config = configSchema.parse({})

const record = (i: number) => ({
  id: `B-${i}`,
  title: `bench decision ${i}`,
  raisedBy: `p${i % 997}@bench.io`,
  raisedAt: '2026-07-01T09:00:00Z',
  status: 'decided',
  decidedBy: `m${i % 97}@bench.io`,
  decidedAt: '2026-07-02T09:00:00Z',
})

const mapValues = <K extends string, V, W>(o: Record<K, V>, f: (v: V, k: K) => W): Record<K, W> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v as V, k as K)])) as Record<K, W>

/**
 * Polls the sink's /metrics until it has written `events`. Each scrape costs the sink a
 * millisecond or two (prom-client renders every metric): polled every 20 ms that was a tenth of a
 * core, so the wait halves the time left at the rate so far, between 20 and 500 ms.
 */
async function untilWritten(port: number, events: number, timeoutMs = 600_000): Promise<void> {
  const start = Date.now()
  for (;;) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => '',
    )
    const m = /^orgpulse_sink_events_written_total(?:\{[^}]*\})? (\d+)/m.exec(text)
    const written = Number(m?.[1] ?? 0)
    if (written >= events) return
    const elapsed = Date.now() - start
    if (elapsed > timeoutMs) throw new Error(`the sink wrote ${written} of ${events} events in time`)
    const left = written > 0 ? ((events - written) * elapsed) / written : Number.POSITIVE_INFINITY
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(20, left / 2))))
  }
}

const step = (m: string) => process.stderr.write(`pipeline bench: ${m}\n`)

async function main(): Promise<void> {
  const kafka = await startLocalKafka({ heapMb: 1024, fixedHeap: true, logLevel: 'warn' })
  const prefix = `bench.${Date.now()}.`
  const bus = namespacedBus(
    createKafkaBusWith(clientName, { brokers: [kafka.brokers], clientId: 'bench' }),
    prefix,
  )
  await bus.ensureTopics(TOPIC_SPECS)
  const result: Record<string, number> = { records: N }
  try {
    // 1. ingest: the decisions service over HTTP, 1,000 records per request (its max)
    const ingest = startService('ingest-decisions', {
      KAFKA_BROKERS: kafka.brokers,
      ORGPULSE_TOPIC_PREFIX: prefix,
      ORGPULSE_KAFKA_CLIENT: clientName,
      PORT: '18081',
      HOST: '127.0.0.1',
    })
    const ingestRss = peakRss(ingest.pid!)
    for (let i = 0; i < 100; i++) {
      const ok = await fetch('http://127.0.0.1:18081/healthz').then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      await new Promise((r) => setTimeout(r, 200))
    }
    let t = performance.now()
    for (let i = 0; i < N; i += 1000) {
      const body = JSON.stringify(Array.from({ length: Math.min(1000, N - i) }, (_, k) => record(i + k)))
      const res = await fetch('http://127.0.0.1:18081/v1/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    }
    result.ingest_records_per_s = N / ((performance.now() - t) / 1000)
    await stopped(ingest)
    result.rss_ingest_decisions_mb = ingestRss()

    step(`ingested ${N} records at ${Math.round(result.ingest_records_per_s!)}/s`)
    // 2. limit: raw consume of the same topic with the same client
    let consumed = 0
    // CPU of the parts: this process (the consumer, then the inserting process with its
    // in-process engine) and, for the consume, the broker serving it
    const selfCpu = (since?: NodeJS.CpuUsage) => {
      const u = process.cpuUsage(since)
      return (u.user + u.system) / 1e6
    }
    let cpu0 = process.cpuUsage()
    const broker0 = cpuSeconds(kafka.pid()!)
    t = performance.now()
    const sub = await bus.consume({
      groupId: 'bench.raw-consume',
      topics: [rawTopic('decisions')],
      fromBeginning: true,
      handler: async (batch) => {
        consumed += batch.messages.length
      },
    })
    while (consumed < N) await new Promise((r) => setTimeout(r, 5))
    result.raw_consume_records_per_s = N / ((performance.now() - t) / 1000)
    result.cpu_s_raw_consume_client = selfCpu(cpu0)
    result.cpu_s_raw_consume_broker = cpuSeconds(kafka.pid()!) - broker0
    await sub.stop()

    step('raw consume done')
    // 3. limit: raw insert of the same rows into the same tables (a separate data dir)
    const events: CanonicalEvent[] = []
    for (let i = 0; i < N; i++) {
      events.push(...transformBytes(Buffer.from(JSON.stringify(decisionEnvelope(record(i)))), { config }))
    }
    const insertDir = mkdtempSync(join(tmpdir(), 'orgpulse-bench-insert-'))
    const ch = createClickHouse({ dataDir: insertDir })
    await migrate(ch)
    const batch = 5000
    cpu0 = process.cpuUsage()
    t = performance.now()
    for (let i = 0; i < events.length; i += batch) await writeFacts(ch, events.slice(i, i + batch))
    result.raw_insert_records_per_s = N / ((performance.now() - t) / 1000)
    result.cpu_s_raw_insert = selfCpu(cpu0)
    result.events_per_record = events.length / N
    await ch.close()

    step('raw insert done')
    // 4. the pipeline: transformer and sink as services, from the raw topic to ClickHouse
    const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-bench-pipeline-'))
    const env = {
      KAFKA_BROKERS: kafka.brokers,
      ORGPULSE_TOPIC_PREFIX: prefix,
      ORGPULSE_KAFKA_CLIENT: clientName,
      ORGPULSE_DATA_DIR: dataDir,
    }
    // the sink first, then the transformer: each process's start (module load, the engine,
    // migrations, group join) is over before the CPU snapshot, so the CPU figures are per record
    t = performance.now()
    const metricsPort = 18091
    const sink = startService('transformer', {
      ...env,
      ORGPULSE_STAGES: 'sink,dlq',
      ORGPULSE_METRICS_PORT: String(metricsPort),
    })
    const sinkRss = peakRss(sink.pid!)
    await sink.ready
    const transformer = startService('transformer', {
      ...env,
      ORGPULSE_STAGES: 'transformer',
    })
    const transformerRss = peakRss(transformer.pid!)
    const pids = { transformer: transformer.pid!, sink: sink.pid!, broker: kafka.pid()! }
    await transformer.ready
    const running = performance.now()
    const cpuAtStart = { ...mapValues(pids, cpuSeconds), bench: process.cpuUsage() }
    result.pipeline_start_ms = running - t
    // Done is read off the sink's written-events counter, then confirmed by the groups' lag:
    // polling the lag all along (a dozen admin requests each time) was measured costing the
    // broker about a quarter of a core at 100 ms, more CPU than the records themselves
    await untilWritten(metricsPort, events.length)
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 600_000, 50)
    const seconds = (performance.now() - running) / 1000
    result.pipeline_records_per_s = N / seconds
    const cpu = mapValues(pids, (pid, name) => cpuSeconds(pid) - cpuAtStart[name])
    const benchCpu = process.cpuUsage(cpuAtStart.bench)
    result.cpu_s_transformer = cpu.transformer
    result.cpu_s_sink = cpu.sink
    result.cpu_s_broker = cpu.broker
    result.cpu_s_bench = (benchCpu.user + benchCpu.system) / 1e6
    result.pipeline_cpu_busy =
      (cpu.transformer + cpu.sink + cpu.broker + result.cpu_s_bench) / (seconds * availableParallelism())
    await stopped(transformer)
    await stopped(sink)
    result.rss_transformer_mb = transformerRss()
    result.rss_sink_mb = sinkRss()
    const check = createClickHouse({ dataDir })
    const [row] = await queryRows<{ n: number }>(
      check,
      'SELECT uniqExact(decision_id) AS n FROM decision_events FINAL',
    )
    await check.close()
    if (Number(row!.n) !== N) throw new Error(`pipeline stored ${row!.n} decisions, expected ${N}`)
  } finally {
    await bus.close()
    await kafka.stop()
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
