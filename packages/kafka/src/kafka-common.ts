/** What the Kafka implementations of the bus port share, whichever client library runs them. */
import type { TopicSpec } from '@orgpulse/contracts'
import type { Bus, BusMessage, Subscription } from './port.ts'

export type KafkaClientName = 'kafkajs' | 'platformatic'

/** A Kafka-backed bus; `client` tells which library, for logs and the benchmark. */
export interface KafkaBus extends Bus {
  readonly kind: 'kafka'
  readonly client: KafkaClientName
}

/** pino-compatible, so a service's logger can be passed as is. */
export interface BusLogger {
  debug?(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error?(obj: object, msg?: string): void
}

/** Default: warnings and errors to stderr, nothing else. */
export const consoleBusLogger: BusLogger = {
  info() {},
  warn: (obj, msg) => console.warn(`[bus] ${msg ?? ''}`, obj),
  error: (obj, msg) => console.error(`[bus] ${msg ?? ''}`, obj),
}

export const logError = (logger: BusLogger, obj: object, msg: string): void =>
  logger.error ? logger.error(obj, msg) : logger.warn(obj, msg)

export interface KafkaBusOptions {
  brokers: string[]
  clientId: string
  logger?: BusLogger
  /** a consumer that dies without leaving its group loses its partitions after this long; default 10 s */
  sessionTimeoutMs?: number
  /** default 1 s */
  heartbeatIntervalMs?: number
  /** a rejected batch's partition stays paused this long before the batch is redelivered; default 1 s */
  redeliveryBackoffMs?: number
  /** how long Subscription.stop() waits for the batch in hand before abandoning it uncommitted; default 30 s */
  stopTimeoutMs?: number
  /** produce attempts (with backoff up to 10 s apart) before publish() rejects; default 10 (about a minute) */
  publishRetries?: number
  /**
   * publish() splits larger message lists into requests of at most this many bytes, in order,
   * because the broker rejects a partition batch above message.max.bytes (1 MiB by default)
   */
  maxRequestBytes?: number
  /** partitions whose batches are handled at the same time by one subscription; default 1 */
  partitionsConsumedConcurrently?: number
}

type TuningKey =
  | 'sessionTimeoutMs'
  | 'heartbeatIntervalMs'
  | 'redeliveryBackoffMs'
  | 'stopTimeoutMs'
  | 'publishRetries'
  | 'maxRequestBytes'
  | 'partitionsConsumedConcurrently'
export type KafkaTuning = Required<Pick<KafkaBusOptions, TuningKey>>

export const DEFAULT_TUNING: KafkaTuning = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  redeliveryBackoffMs: 1_000,
  stopTimeoutMs: 30_000,
  publishRetries: 10,
  maxRequestBytes: 900_000,
  partitionsConsumedConcurrently: 1,
}

export function resolveTuning(options: KafkaBusOptions): KafkaTuning {
  const tuning = { ...DEFAULT_TUNING }
  for (const key of Object.keys(DEFAULT_TUNING) as TuningKey[]) {
    const value = options[key]
    if (value !== undefined) tuning[key] = value
  }
  return tuning
}

/** Rough wire size of one record: enough to keep each request under the broker's limit. */
const approxSize = (m: BusMessage): number => {
  let size = 70 + m.value.length + (m.key === null ? 0 : Buffer.byteLength(m.key))
  for (const [k, v] of Object.entries(m.headers ?? {}))
    size += 10 + Buffer.byteLength(k) + Buffer.byteLength(v)
  return size
}

/** Splits messages into consecutive chunks of at most maxBytes each (a bigger message travels alone). */
export function chunkBySize(messages: BusMessage[], maxBytes: number): BusMessage[][] {
  const chunks: BusMessage[][] = []
  let current: BusMessage[] = []
  let bytes = 0
  for (const m of messages) {
    const size = approxSize(m)
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(m)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** Topic-level configs orgpulse sets at creation. */
export function topicConfig(spec: TopicSpec): Record<string, string> {
  return {
    'cleanup.policy': spec.compacted ? 'compact' : 'delete',
    'retention.ms': String(spec.retentionMs),
  }
}

/**
 * Lag of one partition: end offset minus the committed offset; a partition the group never
 * committed on counts from its start offset (everything retained is still to be read).
 */
export function partitionLag(end: bigint, start: bigint, committed: bigint | undefined): bigint {
  const from = committed !== undefined && committed >= 0n ? committed : start
  return end > from ? end - from : 0n
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Resolves true if `promise` settled within `ms`, false on timeout (the promise keeps running). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms)
  })
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Retries a read-only query a few times: right after a broker restart the group coordinator
 * answers NOT_COORDINATOR / loading for a moment, and kafkajs' admin does not retry those.
 */
export async function retryQuery<T>(query: () => Promise<T>, attempts = 10, delayMs = 300): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await query()
    } catch (err) {
      if (attempt >= attempts) throw err
      await sleep(delayMs * Math.min(attempt, 5))
    }
  }
}

/** Wraps a consumer so the bus can stop whatever is still running when it closes. */
export function tracked(subscriptions: Set<Subscription>, sub: Subscription): Subscription {
  const t: Subscription = {
    stop: async () => {
      subscriptions.delete(t)
      await sub.stop()
    },
  }
  subscriptions.add(t)
  return t
}
