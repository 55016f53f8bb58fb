/**
 * The bus port on kafkajs 2.2.4 (the pipeline's Kafka client).
 *
 * Delivery contract (see port.ts): a partition batch is committed (offset lastOffset+1) only
 * after its handler resolved; a rejected batch is not committed, its partition is paused for a
 * backoff and the consumer seeks back to the batch's first offset, so the same records come
 * again. kafkajs itself never commits (autoCommit off, offsets resolved by hand).
 *
 * kafkajs caveats that shape this file: rebalancing is eager (every member drops all its
 * partitions), so a handler busy in a retry loop must notice (isStopping() turns true when a
 * heartbeat reports a rebalance) and give up its batch, which another member then receives;
 * after a rebalance, records can be delivered twice: consumers dedupe by event id downstream.
 * A kafkajs consumer can also stop for good on its own (a crash it deems non-retriable): each
 * subscription is supervised (kafka-common.ts supervise()), which replaces a crashed consumer.
 */
import { createRequire } from 'node:module'
import type { TopicSpec } from '@orgpulse/contracts'
import type {
  Admin,
  Consumer,
  EachBatchPayload,
  IHeaders,
  Kafka,
  KafkaMessage,
  LogEntry,
  Producer,
} from 'kafkajs'
import {
  type BusLogger,
  type ClientConsumer,
  chunkBySize,
  consoleBusLogger,
  type KafkaBus,
  type KafkaBusOptions,
  type KafkaTuning,
  logError,
  partitionLag,
  resolveTuning,
  retryQuery,
  settlesWithin,
  supervise,
  topicConfig,
  tracked,
  whileBrokerUnavailable,
} from './kafka-common.ts'
import type { BusMessage, ConsumeOptions, DeliveredBatch, DeliveredMessage, Subscription } from './port.ts'

const require = createRequire(import.meta.url)
/**
 * kafkajs is loaded when a bus is created, not with this package: the in-process bus and
 * `orgpulse --help` do not pay for it. (It is CommonJS, so a plain require.)
 */
const kafkajs = (): typeof import('kafkajs') => require('kafkajs') as typeof import('kafkajs')

/** kafkajs log levels (its `logLevel` enum exists only as a type declaration) */
const LEVEL = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const

/** errors that mean "the group is rebalancing: this member no longer owns what it holds" */
const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
])
const isRebalance = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && REBALANCE_ERRORS.has(String((err as { type?: unknown }).type))

/** kafkajs errors that mean "the broker is not there (yet)", including ones it marks non-retriable */
const TRANSIENT_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
])
const isTransient = (err: unknown): boolean => {
  for (let e = err as { name?: unknown; retriable?: unknown; cause?: unknown } | undefined; e; ) {
    if (TRANSIENT_ERRORS.has(String(e.name)) || e.retriable === true) return true
    e = typeof e.cause === 'object' && e.cause !== null ? (e.cause as typeof e) : undefined
  }
  return false
}

export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const { Kafka, Partitioners } = kafkajs()
  const logger = options.logger ?? consoleBusLogger
  const cfg = resolveTuning(options)
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 8 },
    logLevel: LEVEL.WARN,
    logCreator: () => (entry: LogEntry) => forwardLog(logger, entry),
  })

  let producer: Promise<Producer> | undefined
  let admin: Promise<Admin> | undefined
  const subscriptions = new Set<Subscription>()
  let closed = false

  const getProducer = (): Promise<Producer> => {
    producer ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        // kafkajs keeps per-partition sequence numbers in order only with one request in flight
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: cfg.publishRetries },
      })
      await p.connect()
      return p
    })().catch((err: unknown) => {
      producer = undefined
      throw err
    })
    return producer
  }

  const getAdmin = (): Promise<Admin> => {
    admin ??= (async () => {
      const a = kafka.admin()
      await a.connect()
      return a
    })().catch((err: unknown) => {
      admin = undefined
      throw err
    })
    return admin
  }

  const ensureTopicsOnce = async (specs: TopicSpec[]): Promise<void> => {
    const a = await getAdmin()
    const existing = new Set(await a.listTopics())
    const missing = specs.filter((s) => !existing.has(s.name))
    if (missing.length > 0) {
      // resolves false when a concurrent caller created them first: that is fine too
      await a.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          configEntries: Object.entries(topicConfig(s)).map(([name, value]) => ({ name, value })),
        })),
      })
    }
    const present = specs.filter((s) => existing.has(s.name))
    if (present.length > 0) {
      // existing topics are left as operators configured them; a difference is only reported
      const { topics } = await a.fetchTopicMetadata({ topics: present.map((s) => s.name) })
      for (const t of topics) {
        const spec = present.find((s) => s.name === t.name)
        if (spec && t.partitions.length !== spec.partitions) {
          logger.warn(
            { topic: t.name, partitions: t.partitions.length, expected: spec.partitions },
            'existing topic has a different partition count',
          )
        }
      }
    }
  }

  const bus: KafkaBus = {
    kind: 'kafka',
    client: 'kafkajs',

    // a service started while the broker restarts waits for it instead of exiting
    ensureTopics: (specs: TopicSpec[]): Promise<void> =>
      whileBrokerUnavailable('ensureTopics', () => ensureTopicsOnce(specs), {
        logger,
        transient: isTransient,
      }),

    async publish(topic: string, messages: BusMessage[]): Promise<void> {
      if (closed) throw new Error('bus is closed')
      if (messages.length === 0) return
      const p = await getProducer()
      // in order, one chunk after the other: per-key order holds across chunks
      for (const chunk of chunkBySize(messages, cfg.maxRequestBytes)) {
        await p.send({
          topic,
          acks: -1,
          messages: chunk.map((m) => ({
            key: m.key,
            value: m.value,
            ...(m.headers ? { headers: m.headers } : {}),
          })),
        })
      }
    },

    async consume(consumeOptions: ConsumeOptions): Promise<Subscription> {
      if (closed) throw new Error('bus is closed')
      const { subscription, started } = supervise({
        groupId: consumeOptions.groupId,
        logger,
        stopTimeoutMs: cfg.stopTimeoutMs,
        start: () => startClient(kafka, consumeOptions, cfg, logger),
      })
      // tracked before it joins, so close() also ends a consumer still waiting for the broker
      const sub = tracked(subscriptions, subscription)
      await started
      return sub
    },

    lag: (groupId: string, topics: string[]): Promise<number> =>
      retryQuery(async () => {
        const a = await getAdmin()
        const committed = await a.fetchOffsets({ groupId, topics })
        let total = 0n
        for (const topic of topics) {
          const ends = await a.fetchTopicOffsets(topic)
          const mine = committed.find((c) => c.topic === topic)?.partitions ?? []
          for (const p of ends) {
            const c = mine.find((x) => x.partition === p.partition)?.offset
            total += partitionLag(BigInt(p.high), BigInt(p.low), c === undefined ? undefined : BigInt(c))
          }
        }
        return Number(total)
      }),

    async close(): Promise<void> {
      if (closed) return
      closed = true
      await Promise.allSettled([...subscriptions].map((s) => s.stop()))
      const [p, a] = [producer, admin]
      producer = undefined
      admin = undefined
      await Promise.allSettled([p?.then((x) => x.disconnect()), a?.then((x) => x.disconnect())])
    },
  }
  return bus
}

/**
 * One kafkajs consumer, connected, subscribed and joined (see ClientConsumer). kafkajs' own
 * restart-after-crash is off (restartOnFailure: false): it restarts only after errors it deems
 * retriable, and stops for good on the others (KafkaJSGroupCoordinatorNotFound, which a
 * restarted broker answers while it loads its offsets, is one), so the supervisor restarts every
 * crash itself, with a new consumer.
 */
async function startClient(
  kafka: Kafka,
  options: ConsumeOptions,
  cfg: KafkaTuning,
  logger: BusLogger,
): Promise<ClientConsumer> {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: cfg.sessionTimeoutMs,
    heartbeatInterval: cfg.heartbeatIntervalMs,
    // short long-polls: an idle consumer notices stop() within a second
    maxWaitTimeInMs: 1_000,
    maxBytesPerPartition: cfg.maxBytesPerPartition,
    // room for several full partitions per fetch (kafkajs' default total is 10 MiB)
    maxBytes: Math.max(10 * 1024 * 1024, 4 * cfg.maxBytesPerPartition),
    allowAutoTopicCreation: false,
    // retries: kafkajs' default for consumers (passing `retry` replaces it)
    retry: { retries: 5, restartOnFailure: async () => false },
  })
  let stopping = false
  /** set once the client is retired: its handlers give up and nothing of it commits any more */
  let retired = false
  /** set when stop() gave up waiting: a handler finishing later must not commit */
  let abandoned = false
  let joined = false
  const inHand = new Set<Promise<void>>()
  const resumeTimers = new Set<NodeJS.Timeout>()
  let crash: Error | undefined
  let fail: (reason: unknown) => void = () => {}
  const failed = new Promise<unknown>((resolve) => {
    fail = resolve
  })

  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true
  })
  // emitted once kafkajs has disconnected the crashed consumer
  consumer.on(consumer.events.CRASH, (e) => {
    crash = e.payload.error
    fail(crash)
  })

  const handleBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload
    const { topic, partition } = batch
    if (batch.isEmpty() || stopping || retired || payload.isStale()) return
    const messages = batch.messages.map((m) => toDelivered(topic, partition, m))
    const firstOffset = batch.firstOffset() ?? messages[0]!.offset
    const lastOffset = batch.lastOffset()
    let lost: unknown
    const delivered: DeliveredBatch = {
      topic,
      partition,
      messages,
      heartbeat: async () => {
        if (lost !== undefined || stopping || retired) return
        try {
          await payload.heartbeat()
        } catch (err) {
          // the partition is being taken away: remember it, the handler sees isStopping()
          if (isRebalance(err)) lost = err
          else throw err
        }
      },
      isStopping: () => stopping || retired || lost !== undefined || !payload.isRunning(),
    }

    let failure: unknown
    let failed = false
    try {
      await options.handler(delivered)
    } catch (err) {
      failed = true
      failure = err
    }
    // a retired client's batch goes to its successor, from the committed offset
    if (abandoned || retired) return
    // the group moved on: hand the rebalance error to kafkajs so it rejoins; no commit
    if (lost !== undefined) throw lost
    if (failed) {
      if (stopping) return // left uncommitted: whoever owns the partition next reads it again
      logger.warn(
        { topic, partition, firstOffset, lastOffset, err: String((failure as Error)?.message ?? failure) },
        'handler rejected the batch: not committed, redelivering after backoff',
      )
      consumer.seek({ topic, partition, offset: firstOffset })
      const resume = payload.pause()
      const timer = setTimeout(() => {
        resumeTimers.delete(timer)
        resume()
      }, cfg.redeliveryBackoffMs)
      resumeTimers.add(timer)
      return
    }
    const next = (BigInt(lastOffset) + 1n).toString()
    await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] })
    // advance the fetch position too (autoResolve is off so a failure never moves it)
    payload.resolveOffset(lastOffset)
  }

  const disconnect = async (): Promise<void> => {
    // kafkajs waits for its fetch loop here; bounded in case a handler never returns
    if (!(await settlesWithin(consumer.disconnect(), cfg.stopTimeoutMs))) {
      logger.warn({ groupId: options.groupId }, 'consumer did not disconnect in time')
    }
  }

  try {
    await consumer.connect()
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? false })
    // resolves once the group is joined, or once a failed join was handled as a crash
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: cfg.partitionsConsumedConcurrently,
      eachBatch: (payload) => {
        const work = handleBatch(payload)
        const tracked = work.then(
          () => {},
          () => {},
        )
        inHand.add(tracked)
        void tracked.finally(() => inHand.delete(tracked))
        return work
      },
    })
  } catch (err) {
    retired = true
    await disconnect()
    throw err
  }
  if (!joined) {
    retired = true
    await disconnect()
    throw crash ?? new Error('consumer did not join its group')
  }

  const settleInHand = (): Promise<boolean> =>
    settlesWithin(Promise.allSettled([...inHand]), cfg.stopTimeoutMs)
  const clearTimers = (): void => {
    for (const t of resumeTimers) clearTimeout(t)
    resumeTimers.clear()
  }
  return {
    failed,
    retire: async () => {
      retired = true
      clearTimers()
      // the handler sees isStopping() and gives up; waiting for it keeps this process from
      // handling the same partition twice at once once the successor has joined
      if (!(await settleInHand())) {
        abandoned = true
        logger.warn(
          { groupId: options.groupId },
          'retired consumer: batch in hand did not finish in time, abandoned uncommitted',
        )
      }
      await disconnect()
    },
    stop: async () => {
      stopping = true
      clearTimers()
      // let the batch in hand finish (and commit) while the runner still accepts commits
      if (!(await settleInHand())) {
        abandoned = true
        logger.warn(
          { groupId: options.groupId },
          'stop: batch in hand did not finish in time, abandoned uncommitted',
        )
      }
      await disconnect()
    },
  }
}

function toDelivered(topic: string, partition: number, m: KafkaMessage): DeliveredMessage {
  const headers = toHeaderRecord(m.headers)
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? null : m.key.toString('utf8'),
    // a tombstone (null value, compacted topics) arrives as an empty buffer
    value: m.value ?? Buffer.alloc(0),
    ...(headers ? { headers } : {}),
  }
}

function toHeaderRecord(headers: IHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined
  const out: Record<string, string> = {}
  let any = false
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    // a repeated header keeps its last value, as Kafka's lastHeader() does
    const last = Array.isArray(v) ? v[v.length - 1] : v
    if (last === undefined) continue
    out[k] = typeof last === 'string' ? last : last.toString('utf8')
    any = true
  }
  return any ? out : undefined
}

function forwardLog(logger: BusLogger, entry: LogEntry): void {
  const { message, timestamp: _t, ...extra } = entry.log
  // expected by design: retries are bounded so publish() can fail instead of hanging forever
  if (message.startsWith('Limiting retries for the idempotent producer')) return
  const obj = { namespace: entry.namespace, ...extra }
  const msg = `kafkajs: ${message}`
  // kafkajs logs every error response at ERROR in its Connection namespace, also the ones it
  // then retries (coordinator not available yet, leader moving): a real failure surfaces as a
  // rejected call or a consumer crash, logged on its own
  const level = entry.namespace === 'Connection' && entry.level === LEVEL.ERROR ? LEVEL.WARN : entry.level
  if (level <= LEVEL.ERROR) logError(logger, obj, msg)
  else if (level <= LEVEL.WARN) logger.warn(obj, msg)
  else if (level <= LEVEL.INFO) logger.debug?.(obj, msg)
}
