import {
  type ClickHouseClient,
  isPermanentInsertError,
  refusalReason,
  rowsToken,
  type TableRow,
  tableRow,
  writeFactRows,
} from '@orgpulse/clickhouse'
import {
  type CanonicalEvent,
  type DlqRecord,
  dlqRecordSchema,
  type OrgpulseConfig,
  rawTopic,
  SOURCES,
  TOPICS,
  toClickHouseTime,
  toStorableText,
} from '@orgpulse/contracts'
import {
  type Bus,
  dlqId,
  RejectedRecord,
  runStage,
  type StageHealth,
  type Subscription,
} from '@orgpulse/kafka'
import { decodeEvent, isValidated, transformBytes, validatedHeaders, validateEvent } from './transform.ts'

export interface StageLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

const silent: StageLogger = { debug() {}, info() {}, warn() {}, error() {} }

export interface StageWiring {
  /** where the stage reports retries, so a stall shows on /readyz and /metrics */
  health?: StageHealth
}

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
  wiring: StageWiring = {},
): Promise<Subscription> {
  return runStage<CanonicalEvent>({
    bus,
    stage: 'transformer',
    ...wiring,
    topics: STAGE_GROUPS.transformer.topics,
    decode: (m) => transformBytes(m.value, { config }),
    write: (events) =>
      bus.publish(
        TOPICS.events,
        events.map((e) => ({
          key: e.sourceId,
          value: Buffer.from(JSON.stringify(e)),
          headers: validatedHeaders,
        })),
      ),
    onRetry: (err, attempt, info) =>
      log.warn({ err: err.message, attempt, batch: info.token }, 'transformer publish failed; retrying'),
    onDead: (d) => log.warn({ reason: d.reason, topic: d.topic, offset: d.offset }, 'record sent to DLQ'),
  })
}

export interface SinkHooks extends StageWiring {
  /** after a batch is in ClickHouse (counters, tests) */
  onWritten?(events: CanonicalEvent[]): void
}

/**
 * canonical events → ClickHouse fact tables; one insert per table per partition batch. An insert
 * ClickHouse refuses for its data is split until the refused events are found: those go to the
 * DLQ with ClickHouse's message, the others are written. Any other failure holds the batch.
 */
export function startSink(
  bus: Bus,
  client: ClickHouseClient,
  log: StageLogger = silent,
  hooks: SinkHooks = {},
): Promise<Subscription> {
  return runStage<StoredEvent>({
    bus,
    stage: 'sink',
    topics: STAGE_GROUPS.sink.topics,
    health: hooks.health,
    isPermanent: isPermanentInsertError,
    refusalReason,
    decode: (m) => [storedEvent(m.value, m.headers)],
    write: async (items, info) => {
      await writeFactRows(client, items)
      log.debug({ batch: info.token, events: items.length }, 'batch written')
      hooks.onWritten?.(items.map((i) => i.event))
    },
    onRetry: (err, attempt, info) =>
      log.warn(
        { err: err.message, attempt, batch: info.token },
        'ClickHouse insert failed; holding the batch and retrying',
      ),
    onDead: (d) => log.warn({ reason: d.reason, topic: d.topic, offset: d.offset }, 'event sent to DLQ'),
  })
}

/** an event with its fact row, built while decoding: a row that cannot be built is that record's dead letter */
interface StoredEvent extends TableRow {
  event: CanonicalEvent
}

function storedEvent(value: Buffer, headers: Readonly<Record<string, string>> | undefined): StoredEvent {
  const event = decodeEvent(value, headers)
  try {
    const stored: StoredEvent = { event, ...tableRow(event) }
    // an event taken as published is a function of its bytes alone: they name its row for the token
    if (isValidated(headers)) stored.from = value
    return stored
  } catch (err) {
    // only an event taken on the transformer's word gets here: the full schema says what is wrong
    const checked = validateEvent(event)
    try {
      return { event: checked, ...tableRow(checked) }
    } catch {
      throw new RejectedRecord(`canonical event not storable: ${(err as Error).message}`)
    }
  }
}

/** a dlq table row; the text that describes the record made storable, its bytes (base64) as they were */
function dlqRow(r: DlqRecord) {
  const failedAt = Date.parse(r.failedAt)
  return {
    id: dlqId(r),
    reason: toStorableText(r.reason),
    stage: toStorableText(r.stage),
    topic: toStorableText(r.topic),
    partition: r.partition,
    offset: toStorableText(r.offset),
    key: toStorableText(r.key ?? ''),
    value: r.value,
    // a DLQ record from another producer may carry any string here: an unparseable one must not hold the sink
    failed_at: toClickHouseTime(Number.isNaN(failedAt) ? new Date() : new Date(failedAt)),
  }
}

async function insertDlqRows(client: ClickHouseClient, records: DlqRecord[]): Promise<void> {
  const values = records.map(dlqRow)
  await client.insert({
    table: 'dlq',
    format: 'JSONEachRow',
    values,
    clickhouse_settings: { async_insert: 0, insert_deduplication_token: rowsToken('dlq', values) },
  })
}

/**
 * Keeps the DLQ queryable (`orgpulse dlq list`) in both modes. Its own dead letters (a DLQ
 * record ClickHouse still refuses) are stored in the dlq table as a record of the DLQ message
 * itself, never published to the DLQ: that would feed them back here.
 */
export function startDlqSink(
  bus: Bus,
  client: ClickHouseClient,
  log: StageLogger = silent,
  wiring: StageWiring = {},
): Promise<Subscription> {
  return runStage<DlqRecord>({
    bus,
    stage: 'dlq-sink',
    topics: STAGE_GROUPS.dlqSink.topics,
    ...wiring,
    isPermanent: isPermanentInsertError,
    refusalReason,
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
    write: (records) => insertDlqRows(client, records),
    deadLetter: async (refused) => {
      try {
        await insertDlqRows(client, refused)
      } catch (err) {
        if (!isPermanentInsertError(err)) throw err
        // the record stays on the DLQ topic; holding the DLQ sink for it would help no one
        log.error(
          { err: (err as Error).message, records: refused.map((r) => `${r.partition}@${r.offset}`) },
          'dead letter not storable in the dlq table; it stays on the DLQ topic',
        )
      }
    },
    onRetry: (err, attempt, info) =>
      log.warn({ err: err.message, attempt, batch: info.token }, 'dlq insert failed; retrying'),
    onDead: (d) =>
      log.warn(
        { reason: d.reason, offset: d.offset },
        'DLQ record refused by ClickHouse; stored as its bytes',
      ),
  })
}
