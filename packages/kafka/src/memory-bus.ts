import type { TopicSpec } from '@orgpulse/contracts'
import type {
  Bus,
  BusMessage,
  ConsumeOptions,
  DeliveredBatch,
  DeliveredMessage,
  Subscription,
} from './port.ts'

interface Log {
  partitions: DeliveredMessage[][]
}

/**
 * The in-process bus for embedded mode: partitioned append-only logs in memory, consumer groups
 * with committed offsets, the same commit-after-success contract as Kafka. Not durable: embedded
 * commands wait until the pipeline is idle before returning, so nothing is left only in memory.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const
  private readonly logs = new Map<string, Log>()
  private readonly committed = new Map<string, number>()
  private readonly waiters = new Set<() => void>()
  private closed = false

  constructor(private readonly defaultPartitions = 3) {}

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) this.log(s.name, s.partitions)
  }

  private log(topic: string, partitions = this.defaultPartitions): Log {
    let log = this.logs.get(topic)
    if (!log) {
      log = { partitions: Array.from({ length: partitions }, () => []) }
      this.logs.set(topic, log)
    }
    return log
  }

  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed')
    const log = this.log(topic)
    for (const m of messages) {
      const partition = m.key === null ? 0 : memoryPartition(m.key, log.partitions.length)
      const part = log.partitions[partition]!
      part.push({ ...m, topic, partition, offset: String(part.length) })
    }
    for (const wake of this.waiters) wake()
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    let stopping = false
    let wake: () => void = () => {}
    const loop = async (): Promise<void> => {
      while (!stopping && !this.closed) {
        let delivered = false
        for (const topic of options.topics) {
          const log = this.log(topic)
          for (let p = 0; p < log.partitions.length && !stopping; p++) {
            const key = `${options.groupId}\u0000${topic}\u0000${p}`
            const from =
              this.committed.get(key) ?? (options.fromBeginning === false ? log.partitions[p]!.length : 0)
            const messages = log.partitions[p]!.slice(from, from + 500)
            if (messages.length === 0) continue
            delivered = true
            const batch: DeliveredBatch = {
              topic,
              partition: p,
              messages,
              heartbeat: async () => {},
              isStopping: () => stopping,
            }
            try {
              await options.handler(batch)
              this.committed.set(key, from + messages.length)
            } catch {
              // not committed: redelivered on the next pass, as Kafka would after a seek
              await new Promise((r) => setTimeout(r, 50))
            }
          }
        }
        if (!delivered) {
          await new Promise<void>((resolve) => {
            wake = resolve
            this.waiters.add(resolve)
          })
          this.waiters.delete(wake)
        }
      }
    }
    const running = loop()
    return {
      stop: async () => {
        stopping = true
        wake()
        await running
      },
    }
  }

  async lag(groupId: string, topics: string[]): Promise<number> {
    let lag = 0
    for (const topic of topics) {
      const log = this.log(topic)
      log.partitions.forEach((part, p) => {
        lag += part.length - (this.committed.get(`${groupId}\u0000${topic}\u0000${p}`) ?? 0)
      })
    }
    return lag
  }

  /** per partition, the offset after its last message: a group past these has consumed everything published so far */
  endOffsets(topic: string): number[] {
    return this.log(topic).partitions.map((part) => part.length)
  }

  /** per partition, the offset the group committed (0 before its first commit) */
  committedOffsets(groupId: string, topic: string): number[] {
    return this.log(topic).partitions.map(
      (_, p) => this.committed.get(`${groupId}\u0000${topic}\u0000${p}`) ?? 0,
    )
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Messages currently in a topic (all partitions), for tests and `dlq list` in embedded mode. */
  messages(topic: string): DeliveredMessage[] {
    return this.log(topic).partitions.flat()
  }

  async close(): Promise<void> {
    this.closed = true
    for (const wake of this.waiters) wake()
  }
}

/** the partition the in-process bus puts a key in (tests use it to force two keys onto one partition) */
export const memoryPartition = (key: string, partitions: number): number => hashKey(key) % partitions

/** FNV-1a 32-bit string hash; stable partitioning by key */
function hashKey(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
