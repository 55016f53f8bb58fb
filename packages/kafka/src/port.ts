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

export interface Subscription {
  /** finishes the batch in hand (or abandons it uncommitted if it cannot finish), then leaves the group */
  stop(): Promise<void>
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
