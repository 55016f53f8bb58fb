import { createHash } from 'node:crypto'
import { type DlqRecord, OrgpulseError, type OrgpulseErrorOptions, TOPICS } from '@orgpulse/contracts'
import type { StageHealth } from './health.ts'
import type { Bus, DeliveredBatch, DeliveredMessage, Subscription } from './port.ts'

/** Thrown by a decoder for input that can never succeed: the record goes to the DLQ, the batch goes on. */
export class RejectedRecord extends OrgpulseError {
  constructor(message: string, options?: OrgpulseErrorOptions) {
    super('invalid_input', message, options)
  }
}

export interface BatchInfo {
  topic: string
  partition: number
  firstOffset: string
  lastOffset: string
  /** `topic:partition:first-last`, for logs only: offsets restart, so it never names data (see rowsToken) */
  token: string
}

export interface StageOptions<T> {
  bus: Bus
  /** names the consumer group and the DLQ `stage` field */
  stage: string
  topics: string[]
  fromBeginning?: boolean
  /** one input record → zero or more outputs; throw RejectedRecord (or any error) for bad input */
  decode(message: DeliveredMessage): T[]
  /** writes the outputs of one batch; a rejection is retried with backoff, the batch held meanwhile */
  write(items: T[], info: BatchInfo): Promise<void>
  /**
   * true for a write error that no retry can get past because of the data itself (ClickHouse
   * refusing a row). The batch is then split in halves, recursively, to find the input records
   * whose outputs are refused: those are dead-lettered with `refusalReason`, the rest is written.
   * Default: no error is permanent (every failure is retried).
   */
  isPermanent?(error: unknown): boolean
  /** the dead letter's reason for a record whose outputs were refused (default: the error's message) */
  refusalReason?(error: unknown): string
  /**
   * Where this stage's dead letters go; default: published to `orgpulse.dlq.v1`. The DLQ sink
   * gives its own: a dead letter about a dead letter, published to the DLQ, would come back to it.
   */
  deadLetter?(records: DlqRecord[]): Promise<void>
  /** told about every failed attempt and every batch that went through: stalls show on /readyz */
  health?: StageHealth
  /** backoff between write attempts: base doubling up to max, with jitter */
  backoff?: { baseMs: number; maxMs: number }
  onRetry?(error: Error, attempt: number, info: BatchInfo): void
  onDead?(record: DlqRecord): void
}

export const dlqId = (r: Pick<DlqRecord, 'topic' | 'partition' | 'offset' | 'stage'>): string =>
  createHash('sha256').update(`${r.stage}:${r.topic}:${r.partition}:${r.offset}`).digest('hex').slice(0, 32)

/** publishes dead letters to orgpulse.dlq.v1, each keyed by its id; resolves once acked */
export const publishDeadLetters = (bus: Bus, records: DlqRecord[]): Promise<void> =>
  bus.publish(
    TOPICS.dlq,
    records.map((d) => ({ key: dlqId(d), value: Buffer.from(JSON.stringify(d)) })),
  )

/** the outputs of one input record: refused together, dead-lettered as that record */
interface Decoded<T> {
  message: DeliveredMessage
  items: T[]
}

const infoOf = (topic: string, partition: number, first: string, last: string): BatchInfo => ({
  topic,
  partition,
  firstOffset: first,
  lastOffset: last,
  token: `${topic}:${partition}:${first}-${last}`,
})

function deadLetterOf(m: DeliveredMessage, stage: string, reason: string): DlqRecord {
  return {
    reason,
    stage,
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key,
    value: m.value.toString('base64'),
    failedAt: new Date().toISOString(),
  }
}

/**
 * A consumer stage with the pipeline's delivery contract:
 * - records that fail to decode go to `orgpulse.dlq.v1` with the reason and original bytes;
 * - the outputs are written once per batch and the offset is committed only after that write
 *   (and the DLQ publish) succeeded, so a crash at any point means redelivery, never loss;
 * - a failing write (sink down) holds the batch and retries with backoff instead of dropping it;
 * - a write refused for its data (`isPermanent`) is split until the refused records are found:
 *   they are dead-lettered, the rest written, so one bad row never holds the ones behind it.
 */
export async function runStage<T>(options: StageOptions<T>): Promise<Subscription> {
  const { bus, stage, health } = options
  const backoff = options.backoff ?? { baseMs: 200, maxMs: 10_000 }
  const isPermanent = options.isPermanent ?? (() => false)
  const deadLetter = options.deadLetter ?? ((records: DlqRecord[]) => publishDeadLetters(bus, records))

  /** writes until it succeeds; rethrows a permanent error (and any error once stopping) */
  async function writeHeld(items: T[], info: BatchInfo, batch: DeliveredBatch): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await options.write(items, info)
          return
        } catch (err) {
          if (batch.isStopping() || isPermanent(err)) throw err
          health?.failed(stage, info.token, reasonOf(err))
          options.onRetry?.(err as Error, attempt, info)
          const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1))
          await sleepWithHeartbeat(wait * (0.5 + Math.random() / 2), batch)
        }
      }
    } finally {
      health?.settled(stage, info.token)
    }
  }

  /** writes the records' outputs, halving around permanent refusals; adds the refused records to `refused` */
  async function writeSplitting(
    records: Decoded<T>[],
    batch: DeliveredBatch,
    refused: DlqRecord[],
  ): Promise<void> {
    const first = records[0]!.message
    const last = records[records.length - 1]!.message
    const info = infoOf(batch.topic, batch.partition, first.offset, last.offset)
    try {
      await writeHeld(
        records.flatMap((r) => r.items),
        info,
        batch,
      )
    } catch (err) {
      if (batch.isStopping() || !isPermanent(err)) throw err
      if (records.length === 1) {
        const reason = options.refusalReason?.(err) ?? reasonOf(err)
        refused.push(deadLetterOf(first, stage, reason))
        return
      }
      // A refused insert stores none of its rows (one block), so each half is tried on its own.
      // A write of several inserts (one per fact table) may have stored the tables before the
      // refused one: those rows go in again with the half, under another token, and collapse
      // on their id (ReplacingMergeTree), as any redelivery does.
      const mid = Math.ceil(records.length / 2)
      await writeSplitting(records.slice(0, mid), batch, refused)
      await writeSplitting(records.slice(mid), batch, refused)
    }
  }

  return bus.consume({
    groupId: `orgpulse.${stage}`,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    handler: async (batch: DeliveredBatch) => {
      if (batch.messages.length === 0) return
      const decoded: Decoded<T>[] = []
      const dead: DlqRecord[] = []
      for (const m of batch.messages) {
        try {
          const items = options.decode(m)
          if (items.length > 0) decoded.push({ message: m, items })
        } catch (err) {
          dead.push(deadLetterOf(m, stage, reasonOf(err)))
        }
      }
      if (decoded.length > 0) await writeSplitting(decoded, batch, dead)
      if (dead.length > 0) {
        await deadLetter(dead)
        for (const d of dead) options.onDead?.(d)
      }
    },
  })
}

/**
 * The DLQ reason, never empty and never itself a throw: a decoder (or a library under it) may
 * throw a non-Error (undefined, a string, an object without toString), and a throw here would
 * hold the batch forever.
 */
function reasonOf(err: unknown): string {
  // a blank message tells an operator nothing: fall back to what was thrown
  if (err instanceof Error)
    return err.message.trim() ? err.message : `${err.constructor.name} without a message`
  let text = ''
  try {
    text = String(err).trim()
  } catch {
    // Object.create(null) and friends have no string form
  }
  return text || `decoder threw ${err === null ? 'null' : typeof err}`
}

async function sleepWithHeartbeat(ms: number, batch: DeliveredBatch): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until && !batch.isStopping()) {
    await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())))
    await batch.heartbeat().catch(() => {})
  }
}
