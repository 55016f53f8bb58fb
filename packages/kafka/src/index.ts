export * from './from-env.ts'
export * from './health.ts'
export {
  type BusLogger,
  consoleBusLogger,
  DEFAULT_TUNING,
  type KafkaBus,
  type KafkaBusOptions,
  type KafkaClientName,
} from './kafka-common.ts'
export * from './kafkajs-bus.ts'
export * from './memory-bus.ts'
export * from './namespace.ts'
export * from './platformatic-bus.ts'
export * from './port.ts'
export * from './publish.ts'
export * from './stage.ts'
