/** Bus selection from the environment (no broker needed: clients connect lazily). */
import { parseEnv } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { createBusFromEnv } from '../src/index.ts'

describe('createBusFromEnv', () => {
  it('returns null without KAFKA_BROKERS, so callers fall back to the in-process bus', () => {
    expect(createBusFromEnv({ clientId: 't' }, parseEnv({}))).toBeNull()
    expect(createBusFromEnv({ clientId: 't' }, parseEnv({ KAFKA_BROKERS: ' , ' }))).toBeNull()
  })

  it('parses the broker list and picks the client named by ORGPULSE_KAFKA_CLIENT', async () => {
    expect(parseEnv({ KAFKA_BROKERS: 'a:9092, b:9092,' }).KAFKA_BROKERS).toEqual(['a:9092', 'b:9092'])
    const byDefault = createBusFromEnv({ clientId: 't' }, parseEnv({ KAFKA_BROKERS: '127.0.0.1:1' }))
    const platformatic = createBusFromEnv(
      { clientId: 't' },
      parseEnv({ KAFKA_BROKERS: '127.0.0.1:1', ORGPULSE_KAFKA_CLIENT: 'platformatic' }),
    )
    expect(byDefault?.client).toBe('kafkajs')
    expect(platformatic?.client).toBe('platformatic')
    expect(byDefault?.kind).toBe('kafka')
    await Promise.all([byDefault?.close(), platformatic?.close()])
  })

  it('rejects an unknown client name instead of silently using another one', () => {
    expect(parseEnv({ ORGPULSE_KAFKA_CLIENT: 'KafkaJS' }).ORGPULSE_KAFKA_CLIENT).toBe('kafkajs')
    expect(() => parseEnv({ ORGPULSE_KAFKA_CLIENT: 'rdkafka' })).toThrow(/kafkajs or platformatic/)
  })
})
