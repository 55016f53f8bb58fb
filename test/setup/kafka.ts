/**
 * Helpers for tests that run against the real Kafka broker started by test/setup/global.ts.
 * Every test uses its own topics and groups (uniqueTopicPrefix / uniqueName), so test files
 * running in parallel on the shared broker never see each other's records.
 */
import type { TopicSpec } from '@orgpulse/contracts'
import {
  type Bus,
  type BusLogger,
  createKafkaBusWith,
  type DeliveredMessage,
  type KafkaBus,
  type KafkaBusOptions,
  type KafkaClientName,
  type Subscription,
} from '@orgpulse/kafka'
import { inject } from 'vitest'

export { type LocalKafka, startLocalKafka } from '../../infra/kafka-local/local-kafka.ts'

let counter = 0

/** A name no other test (or earlier run on a kept broker) uses: `label.<pid>.<time>.<n>` */
export function uniqueName(label = 'test'): string {
  counter += 1
  return `${label}.${process.pid}.${Date.now().toString(36)}.${counter}`
}

/** A topic prefix unique to the caller: `test.<label>.<pid>.<time>.<n>.` */
export function uniqueTopicPrefix(label = 't'): string {
  return `${uniqueName(`test.${label}`)}.`
}

/** The shared broker list; throws when the run was started without Kafka. */
export function kafkaBrokers(): string[] {
  const brokers = inject('kafkaBrokers')
  if (!brokers) throw new Error('no Kafka broker in this test run (ORGPULSE_TEST_KAFKA=0?)')
  return brokers.split(',')
}

/** Test logs stay quiet unless ORGPULSE_TEST_VERBOSE is set: rejected batches warn by design. */
export const testLogger: BusLogger = process.env.ORGPULSE_TEST_VERBOSE
  ? {
      debug: (o, m) => console.debug(m, o),
      info: (o, m) => console.info(m, o),
      warn: (o, m) => console.warn(m, o),
      error: (o, m) => console.error(m, o),
    }
  : { info() {}, warn() {}, error: (o, m) => console.error(m, o) }

export interface TestBusOptions extends Partial<Omit<KafkaBusOptions, 'brokers'>> {
  /** which client library; default ORGPULSE_KAFKA_CLIENT, else kafkajs */
  client?: KafkaClientName
  /** another broker than the shared one (e.g. a private startLocalKafka()) */
  brokers?: string[]
}

/** A Kafka bus on the shared test broker, with test-friendly timings. Close it in afterAll/afterEach. */
export function createTestBus(options: TestBusOptions = {}): KafkaBus {
  const { client, brokers, ...rest } = options
  const chosen = client ?? (process.env.ORGPULSE_KAFKA_CLIENT === 'platformatic' ? 'platformatic' : 'kafkajs')
  return createKafkaBusWith(chosen, {
    clientId: uniqueName('orgpulse-test'),
    logger: testLogger,
    redeliveryBackoffMs: 200,
    stopTimeoutMs: 10_000,
    ...rest,
    brokers: brokers ?? kafkaBrokers(),
  })
}

/** One topic spec per name: `partitions` partitions, delete policy, 1 day retention. */
export function testTopics(names: string[], partitions = 1): TopicSpec[] {
  return names.map((name) => ({ name, partitions, compacted: false, retentionMs: 24 * 3600 * 1000 }))
}

export interface Collector {
  readonly messages: DeliveredMessage[]
  /** resolves once `predicate(messages)` holds; rejects after `timeoutMs` with what arrived */
  until(predicate: (messages: DeliveredMessage[]) => boolean, timeoutMs?: number): Promise<DeliveredMessage[]>
  subscription: Subscription
}

/** Consumes `topics` in group `groupId` from the beginning and records every delivered message. */
export async function collect(bus: Bus, groupId: string, topics: string[]): Promise<Collector> {
  const messages: DeliveredMessage[] = []
  const subscription = await bus.consume({
    groupId,
    topics,
    fromBeginning: true,
    handler: async (batch) => {
      messages.push(...batch.messages)
    },
  })
  return {
    messages,
    subscription,
    until: (predicate, timeoutMs = 30_000) =>
      waitFor(
        () => predicate(messages),
        timeoutMs,
        () => `${messages.length} messages so far`,
      ).then(() => messages),
  }
}

/** Polls `check` every 50 ms until it holds; the error names `describe()`'s state on timeout. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  describe?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${describe ? `: ${describe()}` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
