import { createHash } from 'node:crypto'
import { type DlqRecord, TOPICS } from '@orgpulse/contracts'
import type { Bus, DeliveredBatch, DeliveredMessage, Subscription } from './port.ts'

/** Thrown by a decoder for input that can never succeed: the record goes to the DLQ, the batch goes on. */
export class RejectedRecord extends Error {}

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
  /** backoff between write attempts: base doubling up to max, with jitter */
  backoff?: { baseMs: number; maxMs: number }
  onRetry?(error: Error, attempt: number, info: BatchInfo): void
  onDead?(record: DlqRecord): void
}

export const dlqId = (r: Pick<DlqRecord, 'topic' | 'partition' | 'offset' | 'stage'>): string =>
  createHash('sha256').update(`${r.stage}:${r.topic}:${r.partition}:${r.offset}`).digest('hex').slice(0, 32)

/**
 * A consumer stage with the pipeline's delivery contract:
 * - records that fail to decode go to `orgpulse.dlq.v1` with the reason and original bytes;
 * - the outputs are written once per batch and the offset is committed only after that write
 *   (and the DLQ publish) succeeded, so a crash at any point means redelivery, never loss;
 * - a failing write (sink down) holds the batch and retries with backoff instead of dropping it.
 */
export async function runStage<T>(options: StageOptions<T>): Promise<Subscription> {
  const { bus, stage } = options
  const backoff = options.backoff ?? { baseMs: 200, maxMs: 10_000 }
  return bus.consume({
    groupId: `orgpulse.${stage}`,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    handler: async (batch: DeliveredBatch) => {
      if (batch.messages.length === 0) return
      const first = batch.messages[0]!.offset
      const last = batch.messages[batch.messages.length - 1]!.offset
      const info: BatchInfo = {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: first,
        lastOffset: last,
        token: `${batch.topic}:${batch.partition}:${first}-${last}`,
      }
      const items: T[] = []
      const dead: DlqRecord[] = []
      for (const m of batch.messages) {
        try {
          items.push(...options.decode(m))
        } catch (err) {
          dead.push({
            reason: reasonOf(err),
            stage,
            topic: m.topic,
            partition: m.partition,
            offset: m.offset,
            key: m.key,
            value: m.value.toString('base64'),
            failedAt: new Date().toISOString(),
          })
        }
      }
      for (let attempt = 1; ; attempt++) {
        try {
          if (items.length > 0) await options.write(items, info)
          break
        } catch (err) {
          if (batch.isStopping()) throw err
          options.onRetry?.(err as Error, attempt, info)
          const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1))
          await sleepWithHeartbeat(wait * (0.5 + Math.random() / 2), batch)
        }
      }
      if (dead.length > 0) {
        await bus.publish(
          TOPICS.dlq,
          dead.map((d) => ({ key: dlqId(d), value: Buffer.from(JSON.stringify(d)) })),
        )
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
