import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import { z } from 'zod'

/** Plugin id of Grafana's official ClickHouse data source. */
export const CLICKHOUSE_DS_TYPE = 'grafana-clickhouse-datasource'
/**
 * Data source uid the dashboards reference. Grafana data source uids are unique per Grafana
 * organisation, so every director's organisation gets its own data source under this same uid.
 */
export const CLICKHOUSE_DS_UID = 'orgpulse-clickhouse'
export const CLICKHOUSE_DS_REF = { type: CLICKHOUSE_DS_TYPE, uid: CLICKHOUSE_DS_UID } as const

/**
 * Any v4 version. The plugin migrates a saved query as v3 unless `pluginVersion` is a version
 * >= 4.0.0 (src/data/migration.ts, `isV3CHQuery`), and a v3 raw query loses `queryType`.
 */
export const CLICKHOUSE_PLUGIN_VERSION = '4.10.1'

/** sqlutil's FormatQueryOption, which the plugin's backend reads: 0 time series, 1 table. */
export const Format = { TimeSeries: 0, Table: 1 } as const

/** The plugin's v4 QueryType enum (src/types/sql.ts); note the camel case of `timeSeries`. */
export const chQueryTypeSchema = z.enum(['table', 'timeSeries'])
export type ChQueryType = z.infer<typeof chQueryTypeSchema>

export const clickHouseQuerySchema = z
  .object({
    refId: z.string().min(1),
    datasource: z.object({ type: z.literal(CLICKHOUSE_DS_TYPE), uid: z.string().min(1) }),
    editorType: z.literal('sql'),
    pluginVersion: z.string().regex(/^4\.\d+\.\d+$/),
    queryType: chQueryTypeSchema,
    format: z.union([z.literal(Format.TimeSeries), z.literal(Format.Table)]),
    rawSql: z.string().min(1),
  })
  .strict()
  .refine((q) => (q.queryType === 'timeSeries') === (q.format === Format.TimeSeries), {
    message: 'queryType and format must agree (timeSeries ⇔ 0, table ⇔ 1)',
  })
export type ClickHouseQuery = z.infer<typeof clickHouseQuerySchema>

/** A raw-SQL ClickHouse target for the foundation SDK's panel builders (the SDK ships no ClickHouse types). */
export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly query: ClickHouseQuery

  constructor(
    refId: string,
    rawSql: string,
    queryType: ChQueryType,
    datasource: { type: typeof CLICKHOUSE_DS_TYPE; uid: string } = CLICKHOUSE_DS_REF,
  ) {
    this.query = {
      refId,
      datasource: { ...datasource },
      editorType: 'sql',
      pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
      queryType,
      format: queryType === 'timeSeries' ? Format.TimeSeries : Format.Table,
      rawSql,
    }
  }

  build(): cog.Dataquery {
    // cog.Dataquery is a nominal marker interface (one method, never called at runtime) that the
    // SDK's own query types implement; JSON serialisation only sees the data fields.
    return { ...this.query, _implementsDataqueryVariant: () => {} }
  }
}
