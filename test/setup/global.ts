import { execFile } from 'node:child_process'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port[,host:port]` of the Kafka broker the tests share; '' when ORGPULSE_TEST_KAFKA=0 */
    kafkaBrokers: string
    /** where that broker comes from */
    kafkaSource: 'env' | 'testcontainers' | 'local' | 'none'
  }
}

/** Confluent's image of Apache Kafka 4.1 (KRaft), the broker version the local runner uses */
const KAFKA_IMAGE = process.env.ORGPULSE_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:8.1.0'

interface RunningKafka {
  brokers: string
  source: 'env' | 'testcontainers' | 'local' | 'none'
  stop(): Promise<void>
}

/**
 * Starts what the integration tests need, once per run, and passes the addresses through
 * `inject()`: Kafka from KAFKA_BROKERS, else testcontainers when a Docker engine answers, else
 * the local broker from infra/kafka-local (official jars, needs Java 17 and Maven).
 * ORGPULSE_TEST_KAFKA=0 starts none (unit tests only; Kafka tests then fail with a clear error).
 *
 * KAFKA_BROKERS is deliberately not exported to the test processes: code that picks its bus from
 * the environment would silently leave embedded mode. Tests ask for the broker explicitly.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kafka = await startKafka()
  project.provide('kafkaBrokers', kafka.brokers)
  project.provide('kafkaSource', kafka.source)
  return () => kafka.stop()
}

async function startKafka(): Promise<RunningKafka> {
  if (process.env.ORGPULSE_TEST_KAFKA === '0') return { brokers: '', source: 'none', stop: async () => {} }
  const fromEnv = process.env.KAFKA_BROKERS?.trim()
  if (fromEnv) return { brokers: fromEnv, source: 'env', stop: async () => {} }
  if (await dockerAnswers()) return startTestcontainer()
  const { startLocalKafka } = await import('../../infra/kafka-local/local-kafka.ts')
  const local = await startLocalKafka()
  return { brokers: local.brokers, source: 'local', stop: () => local.stop() }
}

function dockerAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['info'], { timeout: 15_000 }, (err) => resolve(!err))
  })
}

async function startTestcontainer(): Promise<RunningKafka> {
  // imported only here: testcontainers is not needed (nor loaded) where no Docker engine runs
  const { KafkaContainer } = await import('@testcontainers/kafka')
  const container = await new KafkaContainer(KAFKA_IMAGE)
    // same behaviour as the local broker: topics exist only when ensureTopics() created them
    .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
    .start()
  return {
    brokers: `${container.getHost()}:${container.getMappedPort(9093)}`,
    source: 'testcontainers',
    stop: async () => {
      await container.stop()
    },
  }
}
