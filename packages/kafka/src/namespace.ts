import type { Env } from '@orgpulse/contracts'
import type { Bus, ConsumeOptions, DeliveredBatch } from './port.ts'

/**
 * A view of a bus where every topic and consumer group carries a prefix. Lets several pipelines
 * (parallel test files, two environments on one cluster) share a broker without seeing each other;
 * callers keep using the canonical topic names.
 */
export function namespacedBus(bus: Bus, prefix: string): Bus {
  const strip = (topic: string) => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic)
  return {
    kind: bus.kind,
    ensureTopics: (specs) => bus.ensureTopics(specs.map((s) => ({ ...s, name: prefix + s.name }))),
    publish: (topic, messages) => bus.publish(prefix + topic, messages),
    consume: (options: ConsumeOptions) =>
      bus.consume({
        ...options,
        groupId: prefix + options.groupId,
        topics: options.topics.map((t) => prefix + t),
        handler: (batch: DeliveredBatch) =>
          options.handler({
            ...batch,
            topic: strip(batch.topic),
            messages: batch.messages.map((m) => ({ ...m, topic: strip(m.topic) })),
            heartbeat: batch.heartbeat,
            isStopping: batch.isStopping,
          }),
      }),
    lag: (groupId, topics) =>
      bus.lag(
        prefix + groupId,
        topics.map((t) => prefix + t),
      ),
    close: () => bus.close(),
  }
}

/** Applies ORGPULSE_TOPIC_PREFIX, when set, to a bus built from the environment. */
export function namespacedFromEnv(bus: Bus, env: Pick<Env, 'ORGPULSE_TOPIC_PREFIX'>): Bus {
  const prefix = env.ORGPULSE_TOPIC_PREFIX
  return prefix ? namespacedBus(bus, prefix) : bus
}
