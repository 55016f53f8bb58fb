import type { TopicSpec } from '@orgpulse/contracts'

/**
 * The bus port: everything orgpulse needs from a log-structured message bus. Kafka (kafkajs,
 * or @platformatic/kafka for comparison) in full mode; an in-process log in embedded mode.
 * Services depend on this interface only.
 */
export interface BusMessage {
  key: string | null
  value: Buffer
  headers?: Record<string, string>
}

export interface DeliveredMessage extends BusMessage {
  topic: string
  partition: number
  offset: string
}

export interface DeliveredBatch {
  topic: string
  partition: number
  messages: DeliveredMessage[]
  /** keeps group membership alive during long handling (retries with backoff) */
  heartbeat(): Promise<void>
  /** true once stop() was called: a handler in a retry loop gives up without committing */
  isStopping(): boolean
}

export interface ConsumeOptions {
  groupId: string
  topics: string[]
  fromBeginning?: boolean
  /**
   * Runs once per partition batch. When it resolves, the offset after the batch is committed;
   * when it rejects, nothing is committed and the batch is delivered again.
   */
  handler: (batch: DeliveredBatch) => Promise<void>
}

/** What a consumer is doing, for logs and readiness probes. */
export interface SubscriptionHealth {
  /**
   * `running`: in its group and consuming; `recovering`: the client crashed or lost its group and
   * is being replaced (it resumes from the committed offsets); `starting`: not joined yet; `stopped`
   */
  state: 'starting' | 'running' | 'recovering' | 'stopped'
  /** since when (epoch ms) the state holds */
  since: number
  /** how many times the client was replaced since consume() */
  restarts: number
  /** why the client was last replaced, or why the last start attempt failed */
  lastError?: string
}

export interface Subscription {
  /** finishes the batch in hand (or abandons it uncommitted if it cannot finish), then leaves the group */
  stop(): Promise<void>
  /** the consumer's state; buses without a client to lose (the in-process one) leave it out */
  health?(): SubscriptionHealth
}

export interface Bus {
  readonly kind: 'kafka' | 'memory'
  ensureTopics(specs: TopicSpec[]): Promise<void>
  /** resolves only once every message is acknowledged (acks=all on Kafka) */
  publish(topic: string, messages: BusMessage[]): Promise<void>
  consume(options: ConsumeOptions): Promise<Subscription>
  /** committed offsets minus end offsets, summed over partitions: 0 when the group is caught up */
  lag(groupId: string, topics: string[]): Promise<number>
  close(): Promise<void>
}

/**
 * Resolves once everything this process has published so far would survive the process dying.
 * On Kafka that is already true when publish resolved (acks=all): a no-op. On the in-process bus
 * an acknowledged record lives only in memory until the pipeline has written it to ClickHouse,
 * so there it waits for that. A connector awaits it before storing a cursor that covers what it
 * published: a cursor stored earlier would outlive the records it skips over.
 */
export type Durable = () => Promise<void>

/** the durable hook of a bus whose acknowledgement is already durable (Kafka) */
export const ackIsDurable: Durable = async () => {}
