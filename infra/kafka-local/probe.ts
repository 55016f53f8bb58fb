/**
 * Readiness probe: a broker is ready once a real client can list its topics (listener bound,
 * KRaft metadata loaded, broker registered).
 *
 * infra/ is not a workspace package, so kafkajs is loaded from @orgpulse/kafka's dependencies
 * (the client the pipeline uses) rather than being declared a second time here.
 */
import { createRequire } from 'node:module'

/** The slice of the kafkajs API the probe uses (its types are not resolvable from infra/). */
interface ProbeAdmin {
  connect(): Promise<void>
  listTopics(): Promise<string[]>
  disconnect(): Promise<void>
}
interface KafkajsModule {
  Kafka: new (config: {
    clientId: string
    brokers: string[]
    connectionTimeout?: number
    requestTimeout?: number
    retry?: { retries: number }
    logLevel?: number
  }) => { admin(): ProbeAdmin }
  logLevel: { NOTHING: number }
}

let kafkajs: KafkajsModule | undefined

function loadKafkajs(): KafkajsModule {
  if (!kafkajs) {
    const require = createRequire(new URL('../../packages/kafka/package.json', import.meta.url))
    kafkajs = require('kafkajs') as KafkajsModule
  }
  return kafkajs
}

/** Resolves with the topic list, or rejects if the broker does not answer within ~3 s. */
export async function probeBroker(brokers: string): Promise<string[]> {
  const { Kafka, logLevel } = loadKafkajs()
  const admin = new Kafka({
    clientId: 'orgpulse-kafka-local-probe',
    brokers: brokers.split(','),
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin()
  try {
    await admin.connect()
    return await admin.listTopics()
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
