/** Bus selection from the environment (no broker needed: clients connect lazily). */
import { describe, expect, it } from 'vitest'
import { brokersFromEnv, createBusFromEnv, kafkaClientFromEnv } from '../src/index.ts'

describe('createBusFromEnv', () => {
  it('returns null without KAFKA_BROKERS, so callers fall back to the in-process bus', () => {
    expect(createBusFromEnv({ clientId: 't' }, {})).toBeNull()
    expect(createBusFromEnv({ clientId: 't' }, { KAFKA_BROKERS: ' , ' })).toBeNull()
  })

  it('parses the broker list and picks the client named by ORGPULSE_KAFKA_CLIENT', async () => {
    expect(brokersFromEnv({ KAFKA_BROKERS: 'a:9092, b:9092,' })).toEqual(['a:9092', 'b:9092'])
    const byDefault = createBusFromEnv({ clientId: 't' }, { KAFKA_BROKERS: '127.0.0.1:1' })
    const platformatic = createBusFromEnv(
      { clientId: 't' },
      { KAFKA_BROKERS: '127.0.0.1:1', ORGPULSE_KAFKA_CLIENT: 'platformatic' },
    )
    expect(byDefault?.client).toBe('kafkajs')
    expect(platformatic?.client).toBe('platformatic')
    expect(byDefault?.kind).toBe('kafka')
    await Promise.all([byDefault?.close(), platformatic?.close()])
  })

  it('rejects an unknown client name instead of silently using another one', () => {
    expect(kafkaClientFromEnv({ ORGPULSE_KAFKA_CLIENT: 'KafkaJS' })).toBe('kafkajs')
    expect(() => kafkaClientFromEnv({ ORGPULSE_KAFKA_CLIENT: 'rdkafka' })).toThrow(/kafkajs or platformatic/)
  })
})
