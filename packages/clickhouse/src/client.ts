import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import type { ClickHouseClient, createClient } from '@clickhouse/client'
import { attachCluster, ClusterError, type ClusterOptions, clusterSettings } from './cluster.ts'
import { withMemoryErrors } from './errors.ts'

const require = createRequire(import.meta.url)
/**
 * The HTTP client and the embedded engine (a native library) are loaded when a client is
 * created, not with this package: commands that never query (`--help`, a command forwarded to
 * the running instance) start without them. Both are CommonJS, so a plain require.
 */
const clickhouseClient = (): typeof import('@clickhouse/client') =>
  require('@clickhouse/client') as typeof import('@clickhouse/client')
const chdbConnection = (): typeof import('chdb/connection') =>
  require('chdb/connection') as typeof import('chdb/connection')
const chdbSession = (): typeof import('chdb').Session => (require('chdb') as typeof import('chdb')).Session

export type { ClickHouseClient } from '@clickhouse/client'

type EmbeddedConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']

export interface ClickHouseOptions {
  /** server URL (http://user:pass@host:8123/db); unset → the embedded engine */
  url?: string | undefined
  /** embedded engine data lives in `<dataDir>/clickhouse` */
  dataDir?: string
  database?: string
  /** a ClickHouse cluster (packages/clickhouse/src/cluster.ts): server only */
  cluster?: ClusterOptions | undefined
  /**
   * the embedded engine's memory budget in MiB (ORGPULSE_ENGINE_MEMORY_MB, default
   * DEFAULT_ENGINE_MEMORY_MB); ignored for a server, whose own configuration bounds it
   */
  memoryMb?: number | undefined
}

/** the embedded engine's default memory budget, MiB: the 10,000-person year's queries fit in it */
export const DEFAULT_ENGINE_MEMORY_MB = 1024

const MiB = 1024 * 1024

/**
 * The embedded engine's memory budget, as the ClickHouse settings that carry it. The whole
 * engine (queries, merges, caches) is held under `max_server_memory_usage`; one query may use
 * `max_memory_usage` (three quarters of it, so the caches and a concurrent insert still fit); the caches, which by
 * default are sized to the machine's RAM (5 GiB mark and primary-index caches), get fixed
 * shares of the budget.
 */
export function engineMemorySettings(memoryMb: number = DEFAULT_ENGINE_MEMORY_MB): {
  server: Record<string, number>
  query: Record<string, number>
} {
  const budget = Math.round(memoryMb * MiB)
  const perQuery = Math.floor(budget * 0.75)
  return {
    server: {
      max_server_memory_usage: budget,
      mark_cache_size: Math.floor(budget / 8),
      index_mark_cache_size: Math.floor(budget / 32),
      primary_index_cache_size: Math.floor(budget / 32),
      query_condition_cache_size: Math.floor(budget / 64),
      uncompressed_cache_size: 0,
      compiled_expression_cache_size: Math.min(128 * MiB, Math.floor(budget / 32)),
      merges_mutations_memory_usage_soft_limit: Math.floor(budget / 2),
      // hand freed pages back to the system (the engine's allocator keeps them otherwise: RSS
      // stays at the highest point ever reached); the server runs this worker, clickhouse-local not
      memory_worker_period_ms: 100,
    },
    query: { max_memory_usage: perQuery },
  }
}

/**
 * Starts the process's embedded engine on `dir` with the memory budget. Server settings
 * (`max_server_memory_usage`, the cache sizes) cannot be SET: clickhouse-local reads them once
 * from its configuration file when the engine starts, so a `--config-file` goes to the first
 * connection on the data directory, which starts the engine; the client's own connection,
 * opened next, shares that engine, and the first one is closed at once. An engine already
 * running on `dir` in this process keeps the budget it started with.
 */
function startEngine(dataDir: string, dir: string, memoryMb: number): { close(): void } {
  const { server } = engineMemorySettings(memoryMb)
  const file = join(resolve(dataDir), 'engine-memory.xml')
  const body = Object.entries(server)
    .map(([k, v]) => `  <${k}>${v}</${k}>`)
    .join('\n')
  writeFileSync(
    file,
    `<!-- written by orgpulse at every start from ORGPULSE_ENGINE_MEMORY_MB (${memoryMb} MiB): edits are overwritten -->\n<clickhouse>\n${body}\n</clickhouse>\n`,
  )
  const Session = chdbSession()
  return new Session(dir, { connectionArgs: [`--config-file=${file}`] })
}

/** `url` (CLICKHOUSE_URL) set → a ClickHouse server over HTTP; unset → chDB in-process, same client API. */
export function createClickHouse(options: ClickHouseOptions = {}): ClickHouseClient {
  const url = options.url
  // The ack of an insert must mean "written": 26.2+ defaults async_insert to 1.
  const clickhouse_settings = { async_insert: 0 as const, wait_end_of_query: 1 as const }
  const { createClient } = clickhouseClient()
  if (url) {
    const cluster = options.cluster
    const client = createClient({
      url,
      database: options.database ?? 'default',
      clickhouse_settings: cluster
        ? { ...clickhouse_settings, ...clusterSettings(cluster) }
        : clickhouse_settings,
      request_timeout: 120_000,
    })
    // the wrapper first: the cluster mark is kept on the object the callers hold
    return attachCluster(withMemoryErrors(client, null), cluster)
  }
  if (options.cluster) throw new ClusterError('cluster mode needs a ClickHouse server (CLICKHOUSE_URL)')
  const dataDir = options.dataDir ?? '.orgpulse'
  const dir = resolve(dataDir, 'clickhouse')
  mkdirSync(dir, { recursive: true })
  const memoryMb = options.memoryMb ?? DEFAULT_ENGINE_MEMORY_MB
  const boot = startEngine(dataDir, dir, memoryMb)
  let connection: Connection
  try {
    // chdb types its connection against @clickhouse/client-common 1.23.0 while the client bundles
    // its own copy of the same interface; they are identical at runtime, so bridge the nominal gap.
    connection = chdbConnection().createChdbConnection({ path: dir }) as unknown as Connection
  } finally {
    boot.close()
  }
  const client = createClient({
    connection: withoutStdinInserts(connection),
    clickhouse_settings: { ...clickhouse_settings, ...engineMemorySettings(memoryMb).query },
  })
  return withMemoryErrors(client, memoryMb)
}

type Connection = NonNullable<EmbeddedConnection>
type InsertParams = Parameters<Connection['insert']>[0]

/** `INSERT INTO <table>[ (<columns>)] FORMAT <format>`, as @clickhouse/client builds it for insert() */
const CLIENT_INSERT = /^INSERT INTO (\S+)((?: \(.*\))?) FORMAT (\w+)$/s

/** the query parameter that carries an insert's rows */
export const INSERT_BODY_PARAM = 'orgpulse_insert_body'

/**
 * The embedded engine is clickhouse-local inside this process, and clickhouse-local treats a
 * standard input that is not a terminal as more INSERT data: every `INSERT … FORMAT X <rows>`
 * (and even `FROM INFILE`) also reads the process's stdin (`echo x | orgpulse org import f.csv`
 * failed to parse "x"; a `while read` loop's list was swallowed and inserted as rows). An
 * `INSERT … SELECT` never reads stdin, so every client insert is sent as
 * `INSERT INTO t (cols) SELECT cols FROM format(X, '<t's columns with their defaults>', {rows})`
 * with the rows as a bound parameter: the same rows, settings (the dedup token included), types
 * and DEFAULT expressions for omitted fields as the plain insert.
 */
export function withoutStdinInserts(connection: Connection): Connection {
  // per table: its insertable columns as a format() structure; dropped on any DDL
  const structures = new Map<string, Promise<Column[]>>()
  const columnsOf = (table: string): Promise<Column[]> => {
    let cols = structures.get(table)
    if (!cols) {
      cols = describe(connection, table)
      cols.catch(() => structures.delete(table))
      structures.set(table, cols)
    }
    return cols
  }
  const insert = async (params: InsertParams) => {
    const m = CLIENT_INSERT.exec(params.query.trim())
    if (!m) throw new Error(`embedded insert: unexpected statement shape: ${params.query.slice(0, 200)}`)
    const [, table = '', columnList = '', format = ''] = m
    const body = typeof params.values === 'string' ? params.values : await readAll(params.values as Readable)
    if (body.trim().length === 0) {
      return { query_id: params.query_id ?? '', response_headers: {}, http_status_code: 200 }
    }
    const all = await columnsOf(table)
    const listed = parseColumnList(columnList)
    // listed columns in the listed order: positional formats (JSONCompactEachRow, CSV) follow it
    const cols = listed ? listed.map((name) => all.find((c) => c.name === name)) : all
    if (cols.some((c) => c === undefined))
      throw new Error(`embedded insert into ${table}: unknown column(s) in ${columnList.trim()}`)
    const known = cols as Column[]
    const names = known.map((c) => quoteIdent(c.name)).join(', ')
    const structure = known
      .map(
        (c) =>
          `${quoteIdent(c.name)} ${c.type}${c.defaultKind === 'DEFAULT' ? ` DEFAULT ${c.defaultExpression}` : ''}`,
      )
      .join(', ')
    return connection.command({
      ...params,
      query: `INSERT INTO ${table} (${names}) SELECT ${names} FROM format(${format}, {${STRUCTURE_PARAM}:String}, {${INSERT_BODY_PARAM}:String})`,
      query_params: { ...params.query_params, [STRUCTURE_PARAM]: structure, [INSERT_BODY_PARAM]: body },
      // chDB applies settings as session-wide SETs: without this, an insert without a token
      // inherits the previous insert's token and is dropped as its duplicate (measured)
      clickhouse_settings: {
        ...params.clickhouse_settings,
        insert_deduplication_token: params.clickhouse_settings?.insert_deduplication_token ?? '',
      },
    })
  }
  const forgetOnDdl =
    <P extends { query: string; clickhouse_settings?: InsertParams['clickhouse_settings'] }, R>(
      run: (p: P) => Promise<R>,
    ) =>
    (p: P) => {
      if (!READ_OR_INSERT.test(p.query)) structures.clear()
      // an `INSERT … SELECT` command must not inherit an earlier insert's dedup token either
      if (!INSERT_STATEMENT.test(p.query)) return run(p)
      const token = p.clickhouse_settings?.insert_deduplication_token ?? ''
      return run({
        ...p,
        clickhouse_settings: { ...p.clickhouse_settings, insert_deduplication_token: token },
      })
    }
  const command = forgetOnDdl(connection.command.bind(connection))
  const exec = forgetOnDdl(connection.exec.bind(connection))
  return new Proxy(connection, {
    get(target, prop) {
      if (prop === 'insert') return insert
      if (prop === 'command') return command
      if (prop === 'exec') return exec
      // the connection keeps its state in private fields: call its methods on itself
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

const STRUCTURE_PARAM = 'orgpulse_insert_structure'
const INSERT_STATEMENT = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*INSERT\b/i
/** anything but a read or an insert may change a table's columns (migrations, DDL of tests) */
const READ_OR_INSERT =
  /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:SELECT|INSERT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i

interface Column {
  name: string
  type: string
  defaultKind: string
  defaultExpression: string
}

async function describe(connection: Connection, table: string): Promise<Column[]> {
  const [db, name] = table.includes('.') ? table.split('.', 2) : [null, table]
  const rs = await connection.query({
    query: `SELECT name, type, default_kind AS defaultKind, default_expression AS defaultExpression
      FROM system.columns
      WHERE database = ${db ? '{db:String}' : 'currentDatabase()'} AND table = {table:String}
        AND default_kind NOT IN ('MATERIALIZED', 'ALIAS')
      ORDER BY position FORMAT JSONEachRow`,
    query_params: { table: unquoteIdent(name ?? ''), ...(db ? { db: unquoteIdent(db) } : {}) },
  })
  const text = await readAll(rs.stream as Readable)
  const cols = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Column)
  if (cols.length === 0) throw new Error(`embedded insert: table ${table} does not exist`)
  return cols
}

/** ` (a, b)` → ['a', 'b']; '' → null (all columns) */
function parseColumnList(list: string): string[] | null {
  const inner = list
    .trim()
    .replace(/^\(|\)$/g, '')
    .trim()
  if (!inner) return null
  if (/\bEXCEPT\b|\*/i.test(inner)) throw new Error(`embedded insert: unsupported column list ${list}`)
  return inner.split(',').map((c) => unquoteIdent(c.trim()))
}

const unquoteIdent = (s: string): string => s.replace(/^[`"](.*)[`"]$/, '$1')
const quoteIdent = (s: string): string => `\`${s.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

export const isEmbedded = (options: ClickHouseOptions = {}): boolean => !options.url

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
