import type { ClickHouseClient } from '@clickhouse/client'
import { toClickHouseTime } from '@orgpulse/contracts'
import { queryRows } from './client.ts'

export interface Cursor {
  cursor: string
  /** hash of the mapping config the cursor was produced under: a change forces a full resync */
  configHash: string
  updatedAt: string
}

/**
 * Connector cursors (one per connector and scope: a Jira project, a Linear team, a calendar).
 * Connectors must call `set` only once every record the cursor covers is durable: acknowledged by
 * Kafka, or in embedded mode written by the pipeline (the in-process bus's ack is only memory).
 * They get that wait as `Runtime.durable` and await it right before `set`.
 */
export class CursorStore {
  constructor(private readonly client: ClickHouseClient) {}

  async get(connector: string, scope: string): Promise<Cursor | null> {
    // aliases differ from the column names: an alias equal to `updated_at` would shadow the
    // column inside argMax and make the query an aggregate of an aggregate
    const rows = await queryRows<{ c: string; h: string; u: string }>(
      this.client,
      `SELECT argMax(cursor, updated_at) AS c, argMax(config_hash, updated_at) AS h, toString(max(updated_at)) AS u
       FROM ingest_cursors WHERE connector = {connector:String} AND scope = {scope:String}
       HAVING count() > 0`,
      { connector, scope },
    )
    const r = rows[0]
    return r ? { cursor: r.c, configHash: r.h, updatedAt: r.u } : null
  }

  async set(connector: string, scope: string, cursor: string, configHash = ''): Promise<void> {
    await this.client.insert({
      table: 'ingest_cursors',
      format: 'JSONEachRow',
      values: [
        { connector, scope, cursor, config_hash: configHash, updated_at: toClickHouseTime(new Date()) },
      ],
      clickhouse_settings: { async_insert: 0 },
    })
  }

  async clear(connector: string, scope?: string): Promise<void> {
    await this.client.command({
      query: `DELETE FROM ingest_cursors WHERE connector = {connector:String}${scope === undefined ? '' : ' AND scope = {scope:String}'}`,
      query_params: { connector, ...(scope === undefined ? {} : { scope }) },
    })
  }
}
