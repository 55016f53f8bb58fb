/**
 * The bus port on @platformatic/kafka 1.x (pure JS, maintained), so the benchmark can compare
 * it with kafkajs through the same interface. 1.x because 2.x requires Node >= 22.22 and the
 * project runs on Node 20.
 *
 * The client consumes through a prefetching per-message stream with no seek, so this adapter
 * builds the port's semantics on top:
 * - batches: whatever the stream has buffered, grouped per partition (at most MAX_BATCH records);
 * - commit: the batch's last message commit() (offset+1, with the leader epoch) after the handler;
 * - redelivery: after a rejection the stream is replaced by a new one that starts from the
 *   committed offsets (opened before the old one closes, so the group does not rebalance);
 * - heartbeats run on the client's own timer, so heartbeat() has nothing to do.
 */
import { createRequire } from 'node:module'
import type { TopicSpec } from '@orgpulse/contracts'
import type { Admin, Message, MessagesStream, Producer } from '@platformatic/kafka'
import {
  type BusLogger,
  type ClientConsumer,
  chunkBySize,
  consoleBusLogger,
  type KafkaBus,
  type KafkaBusOptions,
  type KafkaTuning,
  partitionLag,
  resolveTuning,
  retryQuery,
  settlesWithin,
  sleep,
  supervise,
  topicConfig,
  tracked,
  whileBrokerUnavailable,
} from './kafka-common.ts'
import type { BusMessage, ConsumeOptions, DeliveredMessage, Subscription } from './port.ts'

const require = createRequire(import.meta.url)
let loaded: typeof import('@platformatic/kafka') | undefined
/**
 * The client is loaded on first use, not with this package: importing it costs every process
 * that links the bus about 0.3 s of start-up (`orgpulse --help` included) even on the in-process bus.
 */
const platformatic = (): typeof import('@platformatic/kafka') => {
  loaded ??= require('@platformatic/kafka') as typeof import('@platformatic/kafka')
  return loaded
}

/** records handed to one handler call at most */
const MAX_BATCH = 1000

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>
type Msg = Message<Buffer, Buffer, Buffer, Buffer>

export function createPlatformaticBus(options: KafkaBusOptions): KafkaBus {
  const logger = options.logger ?? consoleBusLogger
  const cfg = resolveTuning(options)
  const base = { clientId: options.clientId, bootstrapBrokers: options.brokers }
  let producer: Producer | undefined
  let admin: Admin | undefined
  const subscriptions = new Set<Subscription>()
  let closed = false

  const getProducer = (): Producer => {
    const { Producer, ProduceAcks, compatibilityPartitioner } = platformatic()
    producer ??= new Producer({
      ...base,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      // the Java (and kafkajs) key → partition mapping; the client's default differs for half the keys
      partitioner: compatibilityPartitioner,
      // the client turns retries <= 1 into "retry forever" for idempotent producers
      retries: Math.max(2, cfg.publishRetries),
      retryDelay: 1_000,
    })
    return producer
  }
  const getAdmin = (): Admin => {
    const { Admin } = platformatic()
    admin ??= new Admin({ ...base, retries: 5, retryDelay: 500 })
    return admin
  }

  const ensureTopicsOnce = async (specs: TopicSpec[]): Promise<void> => {
    const a = getAdmin()
    const existing = new Set(await a.listTopics())
    for (const s of specs.filter((x) => !existing.has(x.name))) {
      try {
        await a.createTopics({
          topics: [s.name],
          partitions: s.partitions,
          configs: Object.entries(topicConfig(s)).map(([name, value]) => ({ name, value })),
        })
      } catch (err) {
        // a concurrent caller created it first: fine
        if (!JSON.stringify(errorDetails(err)).includes('TOPIC_ALREADY_EXISTS')) throw err
      }
    }
    // wait until every topic has a leader, so a publish right after does not race creation
    await a.metadata({ topics: specs.map((s) => s.name), forceUpdate: true })
  }

  const bus: KafkaBus = {
    kind: 'kafka',
    client: 'platformatic',

    // a service started while the broker restarts waits for it instead of exiting
    ensureTopics: (specs: TopicSpec[]): Promise<void> =>
      whileBrokerUnavailable('ensureTopics', () => ensureTopicsOnce(specs), { logger, transient: canRetry }),

    async publish(topic: string, messages: BusMessage[]): Promise<void> {
      if (closed) throw new Error('bus is closed')
      if (messages.length === 0) return
      const p = getProducer()
      for (const chunk of chunkBySize(messages, cfg.maxRequestBytes)) {
        await p.send({
          messages: chunk.map((m) => ({
            topic,
            ...(m.key === null ? {} : { key: Buffer.from(m.key) }),
            value: m.value,
            ...(m.headers
              ? {
                  headers: new Map(
                    Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
                  ),
                }
              : {}),
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
        start: () => startClient(base, consumeOptions, cfg, logger),
      })
      // tracked before it joins, so close() also ends a consumer still waiting for the broker
      const sub = tracked(subscriptions, subscription)
      await started
      return sub
    },

    lag: (groupId: string, topics: string[]): Promise<number> =>
      retryQuery(() => platformaticLag(getAdmin(), groupId, topics)),

    async close(): Promise<void> {
      if (closed) return
      closed = true
      await Promise.allSettled([...subscriptions].map((s) => s.stop()))
      await Promise.allSettled([producer?.close(), admin?.close()])
      producer = undefined
      admin = undefined
    },
  }
  return bus
}

async function platformaticLag(a: Admin, groupId: string, topics: string[]): Promise<number> {
  const meta = await a.metadata({ topics, forceUpdate: true })
  const partitions = (topic: string): number[] =>
    Array.from({ length: meta.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i)
  const request = (timestamp: bigint) => ({
    topics: topics.map((name) => ({
      name,
      partitions: partitions(name).map((partitionIndex) => ({ partitionIndex, timestamp })),
    })),
  })
  const [ends, starts, groups] = await Promise.all([
    a.listOffsets(request(platformatic().ListOffsetTimestamps.LATEST)),
    a.listOffsets(request(platformatic().ListOffsetTimestamps.EARLIEST)),
    a.listConsumerGroupOffsets({
      groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: partitions(name) })) }],
    }),
  ])
  const committed = groups.find((g) => g.groupId === groupId)?.topics ?? []
  let total = 0n
  for (const t of ends) {
    for (const p of t.partitions) {
      const start =
        starts.find((s) => s.name === t.name)?.partitions.find((x) => x.partitionIndex === p.partitionIndex)
          ?.offset ?? 0n
      const c = committed
        .find((x) => x.name === t.name)
        ?.partitions.find((x) => x.partitionIndex === p.partitionIndex)?.committedOffset
      total += partitionLag(p.offset, start, c)
    }
  }
  return Number(total)
}

/** reopen attempts on one client before it counts as failed and the supervisor replaces it */
const REOPEN_ATTEMPTS = 5

/**
 * One @platformatic/kafka consumer with its read loop (see ClientConsumer). It fails when the
 * client reports an error (a rejoin that ran out of retries leaves it outside its group, with
 * no more heartbeats), when its stream cannot be reopened, or when its loop ends unexpectedly.
 */
async function startClient(
  base: { clientId: string; bootstrapBrokers: string[] },
  options: ConsumeOptions,
  cfg: KafkaTuning,
  logger: BusLogger,
): Promise<ClientConsumer> {
  const consumer = new (platformatic().Consumer)({
    ...base,
    groupId: options.groupId,
    sessionTimeout: cfg.sessionTimeoutMs,
    heartbeatInterval: cfg.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(cfg.sessionTimeoutMs, 30_000),
    autocommit: false,
    // short long-polls: an idle consumer notices stop() within a second
    maxWaitTime: 1_000,
    retries: 5,
    retryDelay: 500,
  })
  let stopping = false
  /** set once the client is retired: its loop ends and nothing of it commits any more */
  let retired = false
  let abandoned = false
  let wake: () => void = () => {}
  let fail: (reason: unknown) => void = () => {}
  const failed = new Promise<unknown>((resolve) => {
    fail = resolve
  })
  // an 'error' event without a listener would be thrown and end the process
  consumer.on('error', (err: Error) => {
    fail(err)
    wake()
  })
  const ended = (): boolean => stopping || retired

  const owned = (topic: string, partition: number): boolean =>
    consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false

  const open = async (): Promise<Stream> => {
    const stream = await consumer.consume({
      topics: options.topics,
      autocommit: false,
      mode: platformatic().MessagesStreamModes.COMMITTED,
      fallbackMode: options.fromBeginning
        ? platformatic().MessagesStreamFallbackModes.EARLIEST
        : platformatic().MessagesStreamFallbackModes.LATEST,
      maxWaitTime: 1_000,
    })
    // a 'readable' listener switches the stream to pull mode: it fetches only while we read
    stream.on('readable', () => wake())
    stream.on('end', () => wake())
    stream.on('close', () => wake())
    stream.on('error', (err: Error) => {
      logger.warn(
        { groupId: options.groupId, err: err.message },
        'platformatic: consumer stream failed, reopening',
      )
      wake()
    })
    return stream
  }

  /** records buffered now (waits for at least one, for the stream to end, or for stop) */
  const nextRecords = async (stream: Stream): Promise<Msg[]> => {
    const out: Msg[] = []
    for (;;) {
      while (out.length < MAX_BATCH) {
        const m = stream.read() as Msg | null
        if (m === null) break
        out.push(m)
      }
      if (out.length > 0 || ended() || stream.destroyed || stream.readableEnded) return out
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  }

  /** handler, then commit; false when the batch must be redelivered */
  const handle = async (records: Msg[]): Promise<boolean> => {
    const first = records[0]!
    const last = records[records.length - 1]!
    const { topic, partition } = first
    try {
      await options.handler({
        topic,
        partition,
        messages: records.map(toDelivered),
        heartbeat: async () => {},
        isStopping: () => ended() || !owned(topic, partition),
      })
    } catch (err) {
      if (!ended()) {
        logger.warn(
          {
            topic,
            partition,
            firstOffset: String(first.offset),
            lastOffset: String(last.offset),
            err: String((err as Error)?.message ?? err),
          },
          'handler rejected the batch: not committed, redelivering after backoff',
        )
      }
      return false
    }
    // a partition that moved to another member during the handler is not ours to commit, and a
    // retired client's batch goes to its successor, from the committed offset
    if (abandoned || retired || !owned(topic, partition)) return true
    try {
      await last.commit()
      return true
    } catch (err) {
      logger.warn(
        { topic, partition, err: String((err as Error)?.message ?? err) },
        'commit failed: batch will be redelivered',
      )
      return false
    }
  }

  const run = async (initial: Stream): Promise<void> => {
    let stream = initial
    /** next offset per partition: records below it are prefetched copies already handled */
    const next = new Map<string, bigint>()
    while (!ended()) {
      const records = await nextRecords(stream)
      if (ended()) break
      if (stream.destroyed || (stream.readableEnded && records.length === 0)) {
        await sleep(cfg.redeliveryBackoffMs)
        stream = await reopen(stream)
        next.clear()
        continue
      }
      const batches = new Map<string, Msg[]>()
      for (const r of records) {
        const key = `${r.topic}\u0000${r.partition}`
        if (r.offset < (next.get(key) ?? -1n)) continue
        const list = batches.get(key)
        if (list) list.push(r)
        else batches.set(key, [r])
      }
      let rejected = false
      for (const [key, batch] of batches) {
        if (ended()) break
        if (!owned(batch[0]!.topic, batch[0]!.partition)) continue
        if (!(await handle(batch))) {
          rejected = true
          break
        }
        next.set(key, batch[batch.length - 1]!.offset + 1n)
      }
      if (rejected && !ended()) {
        await sleep(cfg.redeliveryBackoffMs)
        if (ended()) break
        stream = await reopen(stream)
        next.clear()
      }
    }
    await stream.close().catch(() => {})
  }

  /**
   * a fresh stream from the committed offsets; opened first so the topics stay tracked (no
   * rejoin). Throws after REOPEN_ATTEMPTS failures: this client is then replaced by a new one.
   */
  const reopen = async (old: Stream): Promise<Stream> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = await open()
        await old.close().catch(() => {})
        return fresh
      } catch (err) {
        if (ended()) return old
        if (attempt >= REOPEN_ATTEMPTS) throw err
        logger.warn(
          { groupId: options.groupId, err: String((err as Error)?.message ?? err), attempt },
          'platformatic: cannot reopen the consumer stream, retrying',
        )
        await sleep(cfg.redeliveryBackoffMs * attempt)
      }
    }
  }
  const close = (): Promise<void> => new Promise<void>((resolve) => consumer.close(true, () => resolve()))

  // join the group and open the first stream before returning, like kafkajs' run()
  let initial: Stream
  try {
    initial = await open()
  } catch (err) {
    retired = true
    await close()
    throw err
  }
  const running = run(initial).then(
    () => {
      if (!ended()) fail(new Error('platformatic: consumer loop ended'))
    },
    (err: unknown) => fail(err),
  )

  /** waits for the loop (and so the batch in hand), then closes the client */
  const finish = async (what: string): Promise<void> => {
    wake()
    if (!(await settlesWithin(running, cfg.stopTimeoutMs))) {
      abandoned = true
      logger.warn(
        { groupId: options.groupId },
        `${what}: batch in hand did not finish in time, abandoned uncommitted`,
      )
    }
    // force: close any stream still open (an abandoned handler's) instead of refusing to leave
    await close()
  }
  return {
    failed,
    retire: () => {
      retired = true
      return finish('retired consumer')
    },
    stop: () => {
      stopping = true
      return finish('stop')
    },
  }
}

function toDelivered(m: Msg): DeliveredMessage {
  const headers: Record<string, string> = {}
  for (const [k, v] of m.headers) headers[k.toString('utf8')] = v?.toString('utf8') ?? ''
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: m.key === undefined || m.key === null ? null : m.key.toString('utf8'),
    value: m.value ?? Buffer.alloc(0),
    ...(m.headers.size > 0 ? { headers } : {}),
  }
}

/** platformatic marks each error (and the errors it wraps) retriable or not */
function canRetry(err: unknown): boolean {
  const e = err as { findBy?: (key: string, value: unknown) => unknown } | null
  return typeof e?.findBy === 'function' && !e.findBy('canRetry', false)
}

/** platformatic errors nest the broker's per-topic errors; enough to recognise an error kind */
function errorDetails(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return String(err)
  const e = err as { message?: unknown; errors?: unknown; response?: unknown; code?: unknown }
  return {
    message: e.message,
    code: e.code,
    errors: Array.isArray(e.errors) ? e.errors.map(errorDetails) : undefined,
    response: e.response,
  }
}
