import type { KafkaBus, KafkaBusOptions, KafkaClientName } from './kafka-common.ts'
import { createKafkaBus } from './kafkajs-bus.ts'
import { createPlatformaticBus } from './platformatic-bus.ts'

export type BusFromEnvOptions = Omit<KafkaBusOptions, 'brokers'>

/** Parses KAFKA_BROKERS (`host:port,host:port`); empty or unset → no brokers. */
export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0)
}

/** ORGPULSE_KAFKA_CLIENT: `kafkajs` (default) or `platformatic`. */
export function kafkaClientFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaClientName {
  const name = (env.ORGPULSE_KAFKA_CLIENT ?? 'kafkajs').trim().toLowerCase()
  if (name === 'kafkajs' || name === '') return 'kafkajs'
  if (name === 'platformatic' || name === '@platformatic/kafka') return 'platformatic'
  throw new Error(
    `ORGPULSE_KAFKA_CLIENT must be kafkajs or platformatic, not ${JSON.stringify(env.ORGPULSE_KAFKA_CLIENT)}`,
  )
}

export function createKafkaBusWith(client: KafkaClientName, options: KafkaBusOptions): KafkaBus {
  return client === 'platformatic' ? createPlatformaticBus(options) : createKafkaBus(options)
}

/**
 * The Kafka bus the environment asks for (KAFKA_BROKERS, ORGPULSE_KAFKA_CLIENT), or null when
 * KAFKA_BROKERS is unset: the caller then runs embedded, on the in-process bus.
 */
export function createBusFromEnv(
  options: BusFromEnvOptions,
  env: NodeJS.ProcessEnv = process.env,
): KafkaBus | null {
  const brokers = brokersFromEnv(env)
  if (brokers.length === 0) return null
  return createKafkaBusWith(kafkaClientFromEnv(env), { ...options, brokers })
}
