import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@clickhouse/client'
import { OrgpulseError } from '@orgpulse/contracts'
import { queryRows } from './client.ts'
import { type ClusterOptions, clusterOf, renderAllForCluster } from './cluster.ts'

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations')

export interface Migration {
  version: number
  name: string
  checksum: string
  statements: string[]
}

/** an applied migration edited on disk is a `conflict`; ClickHouse failing a statement is `upstream` */
export class MigrationError extends OrgpulseError {
  constructor(message: string, kind: 'conflict' | 'upstream' = 'conflict') {
    super(kind, message)
  }
}

/** `NNN_name.sql`, statements separated by a line holding only `;` or ending in `;`. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8')
      const statements = sql
        .split(/;\s*$/m)
        .map((s) =>
          s
            .split('\n')
            .filter((l) => !l.trim().startsWith('--'))
            .join('\n')
            .trim(),
        )
        .filter((s) => s.length > 0)
      return {
        version: Number(file.split('_')[0]),
        name: file.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(sql).digest('hex'),
        statements,
      }
    })
}

/** the ledger: which migrations ran, with the checksum of the file each ran from */
export const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`

/**
 * What a migration runs: its statements as written for one node, or rendered for `cluster`
 * (packages/clickhouse/src/cluster.ts) against `database`.
 */
export function migrationStatements(m: Migration, cluster?: ClusterOptions, database = 'default'): string[] {
  return cluster ? renderAllForCluster(m.statements, { ...cluster, database }) : m.statements
}

/**
 * Applies pending migrations once, in order, and records each with its checksum.
 * An applied migration whose file changed since is an error: schema history must not be rewritten.
 *
 * On a cluster (a client from `createClickHouse({ cluster })`) the ledger and every statement are
 * rendered for it: the ledger is a replicated table every node shares, each DDL runs `ON CLUSTER`
 * and returns once every node applied it. Services migrate at start, so several migrators may
 * run at once: the rendering accepts idempotent statements only, so each migrator that finds a
 * migration pending applies it without failing, and the ledger rows they both write are the same
 * version and checksum (read as one).
 */
export async function migrate(
  client: ClickHouseClient,
  options: { dir?: string; log?: (msg: string) => void } = {},
): Promise<{ applied: string[]; current: number }> {
  const cluster = clusterOf(client)
  const database = cluster ? await clusterDatabase(client) : 'default'
  for (const query of cluster ? renderAllForCluster([LEDGER_DDL], { ...cluster, database }) : [LEDGER_DDL])
    await client.command({ query })
  const done = await queryRows<{ version: number; name: string; checksum: string }>(
    client,
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  )
  const byVersion = new Map(done.map((m) => [Number(m.version), m]))
  const applied: string[] = []
  for (const m of loadMigrations(options.dir)) {
    const prior = byVersion.get(m.version)
    if (prior) {
      if (prior.checksum !== m.checksum) {
        throw new MigrationError(
          `migration ${m.name} was edited after it was applied (checksum ${prior.checksum.slice(0, 12)} recorded, ${m.checksum.slice(0, 12)} on disk); add a new migration instead`,
        )
      }
      continue
    }
    for (const statement of migrationStatements(m, cluster, database)) {
      try {
        await client.command({ query: statement })
      } catch (err) {
        throw new MigrationError(
          `migration ${m.name} failed: ${(err as Error).message}\n--- statement ---\n${statement}`,
          'upstream',
        )
      }
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    })
    options.log?.(`applied ${m.name}`)
    applied.push(m.name)
  }
  const all = loadMigrations(options.dir)
  return { applied, current: all.length > 0 ? all[all.length - 1]!.version : 0 }
}

/**
 * The database a cluster-mode migrate renders for. A ledger left by a single-node migrate means
 * the tables there are not replicated: rendering on top would mix both, so it stops instead.
 */
async function clusterDatabase(client: ClickHouseClient): Promise<string> {
  const rows = await queryRows<{ db: string; engine: string | null }>(
    client,
    `SELECT currentDatabase() AS db,
       (SELECT any(engine) FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations') AS engine`,
  )
  const { db = 'default', engine = null } = rows[0] ?? {}
  if (engine && !engine.startsWith('Replicated'))
    throw new MigrationError(
      `database ${db} was migrated for one node (schema_migrations is ${engine}); cluster mode needs a database of its own (README "Cluster mode")`,
    )
  return db
}
