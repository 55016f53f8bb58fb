/** What the Kafka implementations of the bus port share, whichever client library runs them. */
import type { TopicSpec } from '@orgpulse/contracts'
import type { Bus, BusMessage, Subscription, SubscriptionHealth } from './port.ts'

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
  /**
   * the most one fetch returns per partition, so the most one batch holds: a consumer behind
   * its topic handles batches of this size. Default 2 MiB, ~4,500 canonical events (kafkajs' own
   * is 1 MiB): the sink's inserts of ~1,850 events each cost a fifth more CPU per event than of
   * ~5,000; of ~9,000 (4 MiB) a little more again, the batch then living long enough to be
   * promoted by the GC (measured)
   */
  maxBytesPerPartition?: number
}

type TuningKey =
  | 'sessionTimeoutMs'
  | 'heartbeatIntervalMs'
  | 'redeliveryBackoffMs'
  | 'stopTimeoutMs'
  | 'publishRetries'
  | 'maxRequestBytes'
  | 'partitionsConsumedConcurrently'
  | 'maxBytesPerPartition'
export type KafkaTuning = Required<Pick<KafkaBusOptions, TuningKey>>

export const DEFAULT_TUNING: KafkaTuning = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  redeliveryBackoffMs: 1_000,
  stopTimeoutMs: 30_000,
  publishRetries: 10,
  maxRequestBytes: 900_000,
  partitionsConsumedConcurrently: 1,
  maxBytesPerPartition: 2 * 1024 * 1024,
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

/**
 * How long a service's first call (ensureTopics) waits for a broker that does not answer yet,
 * instead of failing: a broker restarting on a loaded machine was measured taking over 40 s to
 * answer again, longer than the clients' own connect retries, and a service that exits then
 * is only back if something restarts it.
 */
export const BROKER_WAIT_MS = 180_000

/** Runs `call` again (with backoff) while it fails with a transient error, for at most `budgetMs`. */
export async function whileBrokerUnavailable<T>(
  what: string,
  call: () => Promise<T>,
  options: { logger: BusLogger; transient: (err: unknown) => boolean; budgetMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.budgetMs ?? BROKER_WAIT_MS)
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (!options.transient(err) || Date.now() >= deadline) throw err
      const wait = Math.min(10_000, 500 * 2 ** (attempt - 1))
      options.logger.warn(
        { err: errorText(err), attempt, retryInMs: wait },
        `${what}: broker unavailable, retrying`,
      )
      await sleep(wait)
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
    ...(sub.health ? { health: sub.health } : {}),
  }
  subscriptions.add(t)
  return t
}

/**
 * One client-library consumer, from its start to its end. The supervisor below replaces it with
 * a new one when it fails; nothing of it survives into the next (no client state to trust).
 */
export interface ClientConsumer {
  /** resolves with the reason once the client crashed, lost its group or its loop ended */
  readonly failed: Promise<unknown>
  /** after a failure: handlers give up, nothing more is committed, the client is closed (bounded) */
  retire(): Promise<void>
  /** graceful: the batch in hand finishes and commits (bounded by stopTimeoutMs), then the group is left */
  stop(): Promise<void>
}

export interface SupervisorOptions {
  groupId: string
  logger: BusLogger
  stopTimeoutMs: number
  /** creates, connects and joins one client consumer; rejects when it cannot (broker down, join failed) */
  start(): Promise<ClientConsumer>
  /** between start attempts: base doubling up to max, with jitter; default 500 ms to 10 s */
  backoff?: { baseMs: number; maxMs: number }
}

export interface Supervised {
  subscription: Subscription
  /** resolves once the first client joined its group; rejects if stop() came first */
  started: Promise<void>
}

const errorText = (err: unknown): string => String((err as Error)?.message ?? err)

/**
 * Keeps a consumer group member alive for the lifetime of a subscription, whatever the client
 * library does: a client that crashed (kafkajs gives up for good on errors it deems
 * non-retriable, e.g. KafkaJSGroupCoordinatorNotFound while a restarted broker is still loading
 * its offsets), lost its group, or could not connect, is retired and replaced by a new one after
 * a backoff. The new client reads from the committed offsets, and a retired client never commits
 * again, so a batch is redelivered (deduplicated downstream), never lost and never committed twice.
 * The backoff is capped at 10 s so that a broker coming back is noticed within seconds.
 */
export function supervise(options: SupervisorOptions): Supervised {
  const { groupId, logger } = options
  const backoff = options.backoff ?? { baseMs: 500, maxMs: 10_000 }
  const health: SubscriptionHealth = { state: 'starting', since: Date.now(), restarts: 0 }
  const setState = (state: SubscriptionHealth['state']): void => {
    if (health.state !== state) {
      health.state = state
      health.since = Date.now()
    }
  }
  let stopping = false
  let current: ClientConsumer | undefined
  let onStop: () => void = () => {}
  const stopRequested = new Promise<'stop'>((resolve) => {
    onStop = () => resolve('stop')
  })
  let markStarted: () => void = () => {}
  let markNotStarted: (err: Error) => void = () => {}
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve
    markNotStarted = reject
  })
  // consume() awaits it; a rejection nobody awaits any more must not crash the process
  started.catch(() => {})

  const loop = (async () => {
    let failures = 0
    let recoveringSince: number | undefined
    while (!stopping) {
      let client: ClientConsumer
      try {
        client = await options.start()
      } catch (err) {
        if (stopping) break
        failures += 1
        health.lastError = errorText(err)
        const wait =
          Math.min(backoff.maxMs, backoff.baseMs * 2 ** (failures - 1)) * (0.75 + Math.random() / 2)
        logger.warn(
          { groupId, err: health.lastError, attempt: failures, retryInMs: Math.round(wait) },
          health.state === 'starting'
            ? 'consumer cannot join its group yet, retrying'
            : 'consumer cannot rejoin its group yet, retrying',
        )
        await Promise.race([sleep(wait), stopRequested])
        continue
      }
      if (stopping) {
        await client.stop()
        break
      }
      current = client
      failures = 0
      setState('running')
      markStarted()
      if (recoveringSince !== undefined) {
        logger.warn(
          { groupId, restarts: health.restarts, recoveredInMs: Date.now() - recoveringSince },
          'consumer recovered: rejoined its group, resuming from the committed offsets',
        )
        recoveringSince = undefined
      }
      const reason = await Promise.race([client.failed, stopRequested])
      if (stopping) break // stop() ends `current` itself
      current = undefined
      health.restarts += 1
      health.lastError = errorText(reason)
      recoveringSince = Date.now()
      setState('recovering')
      logError(
        logger,
        { groupId, err: health.lastError, restarts: health.restarts },
        'consumer crashed or lost its group: replacing it with a new one',
      )
      await client.retire()
    }
  })()

  let stopped: Promise<void> | undefined
  const subscription: Subscription = {
    stop: () => {
      stopped ??= (async () => {
        stopping = true
        onStop()
        const client = current
        current = undefined
        if (client) await client.stop()
        // a start in progress ends on its own (kafkajs has no way to cancel a connect): bounded
        if (!(await settlesWithin(loop, options.stopTimeoutMs))) {
          logger.warn({ groupId }, 'stop: a consumer start in progress did not end in time')
        }
        setState('stopped')
        markNotStarted(new Error(`consumer of group ${groupId} was stopped before it joined its group`))
      })()
      return stopped
    },
    health: () => ({ ...health }),
  }
  return { subscription, started }
}
