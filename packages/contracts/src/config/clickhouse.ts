import { z } from 'zod'
import { lazySchema } from '../lazy-schema.ts'

/** an unquoted ClickHouse identifier: cluster and table names are written into DDL as they are */
const identifier = lazySchema(() =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a ClickHouse identifier ([A-Za-z_][A-Za-z0-9_]*)'),
)

/**
 * `clickhouse:` section of orgpulse.yaml: cluster mode (packages/clickhouse/src/cluster.ts,
 * README "Cluster mode"). `CLICKHOUSE_CLUSTER` overrides `cluster`.
 */
export const clickhouseConfigSchema = lazySchema(() =>
  z.strictObject({
    /** the cluster (the servers' `remote_servers` entry) every migration and access statement runs ON */
    cluster: identifier.optional(),
    /** tables sharded behind a Distributed table (`<table>_local` underneath); default none */
    distributed: z.array(identifier).default([]),
  }),
)
export type ClickHouseConfig = z.infer<typeof clickhouseConfigSchema>
