import { type ClickHouseClient, rowsToken, writeFacts } from '@orgpulse/clickhouse'
import {
  type CanonicalEvent,
  type DlqRecord,
  dlqRecordSchema,
  type OrgpulseConfig,
  rawTopic,
  SOURCES,
  TOPICS,
  toClickHouseTime,
} from '@orgpulse/contracts'
import { type Bus, dlqId, runStage, type Subscription } from '@orgpulse/kafka'
import { decodeEvent, transformBytes } from './transform.ts'

export interface StageLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

const silent: StageLogger = { debug() {}, info() {}, warn() {} }

export const STAGE_GROUPS = {
  transformer: { groupId: 'orgpulse.transformer', topics: SOURCES.map(rawTopic) },
  sink: { groupId: 'orgpulse.sink', topics: [TOPICS.events] },
  dlqSink: { groupId: 'orgpulse.dlq-sink', topics: [TOPICS.dlq] },
}

/** raw topics → canonical events on orgpulse.events.v1 (keyed by source entity, so per-entity order holds) */
export function startTransformer(
  bus: Bus,
  config: OrgpulseConfig,
  log: StageLogger = silent,
): Promise<Subscription> {
  return runStage<CanonicalEvent>({
    bus,
    stage: 'transformer',
    topics: STAGE_GROUPS.transformer.topics,
    decode: (m) => transformBytes(m.value, { config }),
    write: (events) =>
      bus.publish(
        TOPICS.events,
        events.map((e) => ({ key: e.sourceId, value: Buffer.from(JSON.stringify(e)) })),
      ),
    onRetry: (err, attempt, info) =>
      log.warn({ err: err.message, attempt, batch: info.token }, 'transformer publish failed; retrying'),
    onDead: (d) => log.warn({ reason: d.reason, topic: d.topic, offset: d.offset }, 'record sent to DLQ'),
  })
}

export interface SinkHooks {
  /** after a batch is in ClickHouse (counters, tests) */
  onWritten?(events: CanonicalEvent[]): void
}

/** canonical events → ClickHouse fact tables; one insert per table per partition batch */
export function startSink(
  bus: Bus,
  client: ClickHouseClient,
  log: StageLogger = silent,
  hooks: SinkHooks = {},
): Promise<Subscription> {
  return runStage<CanonicalEvent>({
    bus,
    stage: 'sink',
    topics: STAGE_GROUPS.sink.topics,
    decode: (m) => [decodeEvent(m.value)],
    write: async (events, info) => {
      await writeFacts(client, events)
      log.debug({ batch: info.token, events: events.length }, 'batch written')
      hooks.onWritten?.(events)
    },
    onRetry: (err, attempt, info) =>
      log.warn(
        { err: err.message, attempt, batch: info.token },
        'ClickHouse insert failed; holding the batch and retrying',
      ),
    onDead: (d) => log.warn({ reason: d.reason, topic: d.topic, offset: d.offset }, 'event sent to DLQ'),
  })
}

/** keeps the DLQ queryable (`orgpulse dlq list`) in both modes */
export function startDlqSink(bus: Bus, client: ClickHouseClient): Promise<Subscription> {
  return runStage<DlqRecord>({
    bus,
    stage: 'dlq-sink',
    topics: STAGE_GROUPS.dlqSink.topics,
    // never reject here: a rejected DLQ record would be dead-lettered into the DLQ again
    decode: (m) => {
      let json: unknown
      try {
        json = JSON.parse(m.value.toString('utf8'))
      } catch {
        return []
      }
      const parsed = dlqRecordSchema.safeParse(json)
      return parsed.success ? [parsed.data] : []
    },
    write: async (records) => {
      const values = records.map((r) => ({
        id: dlqId(r),
        reason: r.reason,
        stage: r.stage,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        key: r.key ?? '',
        value: r.value,
        failed_at: toClickHouseTime(r.failedAt),
      }))
      await client.insert({
        table: 'dlq',
        format: 'JSONEachRow',
        values,
        clickhouse_settings: { async_insert: 0, insert_deduplication_token: rowsToken('dlq', values) },
      })
    },
  })
}
