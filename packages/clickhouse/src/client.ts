import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'

export type { ClickHouseClient } from '@clickhouse/client'

type EmbeddedConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']

export interface ClickHouseOptions {
  /** server URL (http://user:pass@host:8123/db); unset → the embedded engine */
  url?: string | undefined
  /** embedded engine data lives in `<dataDir>/clickhouse` */
  dataDir?: string
  database?: string
}

/** `CLICKHOUSE_URL` set → a ClickHouse server over HTTP; unset → chDB in-process, same client API. */
export function createClickHouse(options: ClickHouseOptions = {}): ClickHouseClient {
  const url = options.url ?? process.env.CLICKHOUSE_URL
  // The ack of an insert must mean "written": 26.2+ defaults async_insert to 1.
  const clickhouse_settings = { async_insert: 0 as const, wait_end_of_query: 1 as const }
  if (url) {
    return createClient({
      url,
      database: options.database ?? process.env.CLICKHOUSE_DATABASE ?? 'default',
      clickhouse_settings,
      request_timeout: 120_000,
    })
  }
  const dir = resolve(options.dataDir ?? process.env.ORGPULSE_DATA_DIR ?? '.orgpulse', 'clickhouse')
  mkdirSync(dir, { recursive: true })
  // chdb types its connection against @clickhouse/client-common 1.23.0 while the client bundles
  // its own copy of the same interface; they are identical at runtime, so bridge the nominal gap.
  const connection = createChdbConnection({ path: dir }) as unknown as EmbeddedConnection
  return createClient({ connection, clickhouse_settings })
}

export const isEmbedded = (options: ClickHouseOptions = {}): boolean =>
  !(options.url ?? process.env.CLICKHOUSE_URL)

export const embeddedPath = (dataDir: string): string => join(resolve(dataDir), 'clickhouse')

/** Rows of a SELECT as objects. */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  query_params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params, format: 'JSONEachRow' })
  return rs.json<T>()
}
