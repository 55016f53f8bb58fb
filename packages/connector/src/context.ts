import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { Env, OrgpulseConfig } from '@orgpulse/contracts'
import type { Bus, Durable } from '@orgpulse/kafka'
import type { Logger } from 'pino'

/**
 * What a connector runs against, whichever process hosts it: the `orgpulse` command in embedded
 * mode, or the connector's own service in full mode.
 */
export interface ConnectorContext {
  mode: 'embedded' | 'full'
  dataDir: string
  config: OrgpulseConfig
  /** the process's environment, parsed once at its entry point (connector credentials are read from it) */
  env: Env
  client: ClickHouseClient
  bus: Bus
  log: Logger
  /** waits until everything published so far is in ClickHouse (when this process runs the pipeline) */
  flush(): Promise<void>
  /**
   * What connectors await before storing a cursor: resolves once what this process published so
   * far survives a crash. Full mode: at once (Kafka acknowledged it). Embedded mode: once the
   * in-process pipeline has written it to ClickHouse (the in-memory bus dies with the process).
   */
  durable: Durable
}
