import type { Env } from '@orgpulse/contracts'
import type { KafkaBus, KafkaBusOptions, KafkaClientName } from './kafka-common.ts'
import { createKafkaBus } from './kafkajs-bus.ts'
import { createPlatformaticBus } from './platformatic-bus.ts'

export type BusFromEnvOptions = Omit<KafkaBusOptions, 'brokers'>

export function createKafkaBusWith(client: KafkaClientName, options: KafkaBusOptions): KafkaBus {
  return client === 'platformatic' ? createPlatformaticBus(options) : createKafkaBus(options)
}

/**
 * The Kafka bus the environment asks for (KAFKA_BROKERS, ORGPULSE_KAFKA_CLIENT), or null when
 * KAFKA_BROKERS is unset: the caller then runs embedded, on the in-process bus.
 */
export function createBusFromEnv(
  options: BusFromEnvOptions,
  env: Pick<Env, 'KAFKA_BROKERS' | 'ORGPULSE_KAFKA_CLIENT'>,
): KafkaBus | null {
  const brokers = [...env.KAFKA_BROKERS]
  if (brokers.length === 0) return null
  return createKafkaBusWith(env.ORGPULSE_KAFKA_CLIENT, { ...options, brokers })
}
