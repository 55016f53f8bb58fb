import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@clickhouse/client'
import { OrgpulseError } from '@orgpulse/contracts'
import { queryRows } from './client.ts'

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

/**
 * Applies pending migrations once, in order, and records each with its checksum.
 * An applied migration whose file changed since is an error: schema history must not be rewritten.
 */
export async function migrate(
  client: ClickHouseClient,
  options: { dir?: string; log?: (msg: string) => void } = {},
): Promise<{ applied: string[]; current: number }> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  })
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
    for (const statement of m.statements) {
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
