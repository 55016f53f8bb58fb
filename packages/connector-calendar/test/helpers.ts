import type { TopicSpec } from '@orgpulse/contracts'
import { type Bus, type BusMessage, type ConsumeOptions, MemoryBus, type Subscription } from '@orgpulse/kafka'
import type { CursorPort } from '../src/source/cursors.ts'

/** A bus that keeps a copy of everything published, to search the raw topic's bytes. */
export class RecordingBus implements Bus {
  readonly kind = 'memory' as const
  readonly published: { topic: string; message: BusMessage }[] = []
  constructor(private readonly inner: Bus = new MemoryBus()) {}
  ensureTopics(specs: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(specs)
  }
  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    await this.inner.publish(topic, messages)
    for (const message of messages) this.published.push({ topic, message })
  }
  consume(options: ConsumeOptions): Promise<Subscription> {
    return this.inner.consume(options)
  }
  lag(groupId: string, topics: string[]): Promise<number> {
    return this.inner.lag(groupId, topics)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
  text(topic?: string): string {
    return this.published
      .filter((p) => topic === undefined || p.topic === topic)
      .map((p) => p.message.value.toString('utf8'))
      .join('\n')
  }
}

/** CursorStore semantics in memory, with a log of writes. */
export class MemoryCursors implements CursorPort {
  readonly values = new Map<string, { cursor: string; configHash: string }>()
  readonly log: string[] = []
  async get(connector: string, scope: string) {
    return this.values.get(`${connector}/${scope}`) ?? null
  }
  async set(connector: string, scope: string, cursor: string, configHash = '') {
    this.log.push(`set ${scope}`)
    this.values.set(`${connector}/${scope}`, { cursor, configHash })
  }
  async clear(connector: string, scope?: string) {
    this.log.push(`clear ${scope ?? '*'}`)
    for (const k of [...this.values.keys()])
      if (k.startsWith(`${connector}/${scope ?? ''}`)) this.values.delete(k)
  }
}
