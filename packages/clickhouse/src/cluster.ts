import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'
import { OrgpulseError } from '@orgpulse/contracts'

/**
 * ClickHouse cluster mode (README "Cluster mode"). The migrations and the access statements are
 * written for one node; on a cluster each statement is rendered here, statement by statement
 * from its own tokens (no table list), so a migration added later is covered as long as it is
 * written in the same plain style:
 * - every DDL gets `ON CLUSTER <name>`, so each node applies it (and `migrate` waits for all);
 * - `XMergeTree(args)` becomes `ReplicatedXMergeTree('<path>', '{replica}', args)`;
 * - insert deduplication stays what it is on one node: a table with
 *   `non_replicated_deduplication_window = N` gets `replicated_deduplication_window = N` (the age
 *   limit raised from 1 hour to 7 days so the count decides, as on one node); a table without it
 *   gets `replicated_deduplication_window = 0`, because replicated tables otherwise drop any block
 *   identical to a recent one, and a re-imported org snapshot (DELETE, then the same rows) or a
 *   re-written cursor would silently vanish;
 * - a table named in `distributed` becomes `<table>_local` (replicated per `{shard}`) plus a
 *   `Distributed` table under the original name, sharded by `cityHash64(<its ORDER BY>)`: the
 *   ReplacingMergeTree dedup key, so every version of a row lands on one shard and `FINAL`
 *   collapses them there. Other tables replicate to every node whatever the shards
 *   (`/clickhouse/tables/all/…`), so any node answers for them.
 * A statement kind the renderer does not know is refused rather than passed on unclustered.
 */
export interface ClusterOptions {
  /** the cluster's name in the servers' `remote_servers` */
  name: string
  /** tables to shard behind a Distributed table (default none: one shard, N replicas) */
  distributed?: readonly string[]
}

export interface RenderContext extends ClusterOptions {
  /** the database unqualified names live in (a Distributed table names it) */
  database: string
}

/** the rendering refused a statement (`config`: the cluster settings or a migration's shape) */
export class ClusterError extends OrgpulseError {
  constructor(message: string) {
    super('config', message)
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The age limit of replicated insert deduplication: long enough that the count bounds it. */
export const DEDUP_WINDOW_SECONDS = 604_800

/** `CLICKHOUSE_CLUSTER` wins over `clickhouse.cluster`; `distributed` comes from the config only. */
export function resolveCluster(
  envName: string | undefined,
  config: { cluster?: string | undefined; distributed?: readonly string[] | undefined } | undefined,
): ClusterOptions | undefined {
  const name = envName?.trim() || config?.cluster
  const distributed = config?.distributed ?? []
  if (!name) {
    if (distributed.length > 0)
      throw new ClusterError(
        'clickhouse.distributed is set but no cluster is (clickhouse.cluster or CLICKHOUSE_CLUSTER)',
      )
    return undefined
  }
  if (!IDENT.test(name)) throw new ClusterError(`cluster name is not an identifier: ${JSON.stringify(name)}`)
  for (const t of distributed)
    if (!IDENT.test(t))
      throw new ClusterError(`clickhouse.distributed: not a table name: ${JSON.stringify(t)}`)
  return { name, distributed: [...distributed] }
}

/**
 * Settings every query of a cluster-mode client carries. Inserts keep the single node's guarantee
 * (an acknowledged insert is written; a retried batch with its token is dropped): deduplication
 * on (also in views fed by the table), and a Distributed table forwards the insert to its shards
 * before it acknowledges instead of queueing it on the node (a queued block would be acknowledged
 * before any replica has it, and re-sent without the retry's token). DDL waits for every node.
 * With sharded tables, a query joining two of them (or filtering one by another in IN) reads the
 * inner one whole once (`GLOBAL`) instead of being refused, ClickHouse's default.
 */
export function clusterSettings(cluster: ClusterOptions): ClickHouseSettings {
  return {
    insert_deduplicate: 1,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    distributed_foreground_insert: 1,
    distributed_ddl_output_mode: 'throw',
    ...((cluster.distributed ?? []).length > 0 ? { distributed_product_mode: 'global' as const } : {}),
  }
}

const CLUSTERS = new WeakMap<ClickHouseClient, ClusterOptions>()

/** marks a client as talking to a cluster: `migrate` and `accessStatements` render for it */
export function attachCluster<C extends ClickHouseClient>(client: C, cluster: ClusterOptions | undefined): C {
  if (cluster) CLUSTERS.set(client, cluster)
  return client
}

export const clusterOf = (client: ClickHouseClient): ClusterOptions | undefined => CLUSTERS.get(client)

// ---------------------------------------------------------------------------------------------
// tokens

type TokenKind = 'ws' | 'comment' | 'string' | 'quoted' | 'word' | 'number' | 'punct'
interface Token {
  kind: TokenKind
  text: string
}

const TOKEN =
  /(\s+)|(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^'\\]|\\[\s\S]|'')*')|(`(?:[^`\\]|\\[\s\S])*`|"(?:[^"\\]|\\[\s\S])*")|([A-Za-z_][A-Za-z0-9_$]*)|([0-9][0-9A-Za-z_.]*)|([\s\S])/y

function tokenize(sql: string): Token[] {
  const kinds: TokenKind[] = ['ws', 'comment', 'string', 'quoted', 'word', 'number', 'punct']
  const out: Token[] = []
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(sql); m; m = TOKEN.exec(sql)) {
    const group = m.slice(1).findIndex((g) => g !== undefined)
    out.push({ kind: kinds[group]!, text: m[0] })
    if (TOKEN.lastIndex >= sql.length) break
  }
  return out
}

const unquote = (t: Token): string =>
  t.kind === 'quoted' ? t.text.slice(1, -1).replace(/\\(.)/g, '$1') : t.text

interface Name {
  /** index (in significant tokens) of the name's last token */
  end: number
  db: string | null
  table: string
  /** the table token, to rename it */
  tableAt: number
}

/** One statement as significant tokens (comments and whitespace kept for the output). */
class Statement {
  readonly tokens: Token[]
  /** indices into `tokens` of the significant ones */
  readonly sig: number[]
  /** paren depth before each significant token */
  readonly depth: number[]
  private edits: { start: number; end: number; text: string }[] = []
  /** where the statement's own clauses end: before an `AS SELECT` body, whose ORDER BY and SETTINGS are the query's */
  clauseEnd: number

  constructor(readonly sql: string) {
    this.tokens = tokenize(sql)
    this.sig = []
    this.depth = []
    let d = 0
    this.tokens.forEach((t, i) => {
      if (t.kind === 'ws' || t.kind === 'comment') return
      if (t.text === ')') d--
      this.sig.push(i)
      this.depth.push(d)
      if (t.text === '(') d++
    })
    this.clauseEnd = this.sig.length
  }

  get length(): number {
    return this.sig.length
  }
  tok(i: number): Token | undefined {
    const at = this.sig[i]
    return at === undefined ? undefined : this.tokens[at]
  }
  /** the keyword at i, upper case ('' when not a bare word) */
  kw(i: number): string {
    const t = this.tok(i)
    return t?.kind === 'word' ? t.text.toUpperCase() : ''
  }
  is(i: number, ...words: string[]): boolean {
    return words.every((w, k) => this.kw(i + k) === w)
  }
  /** skips the keywords when present: the index after them, else i */
  skip(i: number, ...words: string[]): number {
    return this.is(i, ...words) ? i + words.length : i
  }
  isIdent(i: number): boolean {
    const t = this.tok(i)
    return t?.kind === 'word' || t?.kind === 'quoted'
  }
  /** `[db.]table` at i */
  name(i: number): Name {
    if (!this.isIdent(i)) throw this.refuse(`expected a name at "${this.tok(i)?.text ?? 'the end'}"`)
    if (this.tok(i + 1)?.text === '.' && this.isIdent(i + 2))
      return { end: i + 2, db: unquote(this.tok(i)!), table: unquote(this.tok(i + 2)!), tableAt: i + 2 }
    return { end: i, db: null, table: unquote(this.tok(i)!), tableAt: i }
  }
  /** the index of the ')' closing the '(' at i */
  closing(i: number): number {
    for (let j = i + 1; j < this.length; j++)
      if (this.depth[j] === this.depth[i] && this.tok(j)?.text === ')') return j
    throw this.refuse('unbalanced parentheses')
  }
  /** the first depth-0 significant index at or after `from` whose keyword is one of `words` */
  find(from: number, ...words: string[]): number {
    for (let j = from; j < this.clauseEnd; j++)
      if (this.depth[j] === 0 && words.includes(this.kw(j))) return j
    return -1
  }
  /** the source text of significant tokens from..to (inclusive), comments dropped */
  text(from: number, to: number): string {
    return this.tokens
      .slice(this.sig[from], this.sig[to]! + 1)
      .filter((t) => t.kind !== 'comment')
      .map((t) => (t.kind === 'ws' ? ' ' : t.text))
      .join('')
  }
  insertAfter(i: number, text: string): void {
    const at = this.sig[i]! + 1
    this.edits.push({ start: at, end: at, text })
  }
  insertBefore(i: number, text: string): void {
    const at = this.sig[i]!
    this.edits.push({ start: at, end: at, text })
  }
  /** replaces significant tokens from..to (inclusive) with `text` */
  replace(from: number, to: number, text: string): void {
    this.edits.push({ start: this.sig[from]!, end: this.sig[to]! + 1, text })
  }
  /** the statement with the edits applied; the edits are kept, so a second rendering may add more */
  render(extra: { start: number; end: number; text: string }[] = []): string {
    const tokens = this.tokens.map((t) => t.text)
    const edits = [...this.edits, ...extra].sort((a, b) => b.start - a.start || b.end - a.end)
    for (const e of edits) tokens.splice(e.start, e.end - e.start, e.text)
    return tokens.join('')
  }
  /** an edit renaming the table token of `name` to `<table>_local` */
  localName(name: Name): { start: number; end: number; text: string } {
    const at = this.sig[name.tableAt]!
    return { start: at, end: at + 1, text: quoteName(`${name.table}_local`, this.tokens[at]!) }
  }
  refuse(why: string): ClusterError {
    const head = this.sql.trim().replace(/\s+/g, ' ').slice(0, 120)
    return new ClusterError(`cluster rendering: ${why}: ${head}`)
  }
}

const quoteName = (name: string, like: Token): string => (like.kind === 'quoted' ? `\`${name}\`` : name)

// ---------------------------------------------------------------------------------------------
// rendering

/**
 * One single-node statement as the statements a cluster runs, in order. Idempotent statements
 * only (IF NOT EXISTS / IF EXISTS / OR REPLACE): every service runs `migrate` at start, so on a
 * cluster several migrators may apply the same migration at once, and each must succeed.
 */
export function renderForCluster(sql: string, ctx: RenderContext): string[] {
  if (!IDENT.test(ctx.name)) throw new ClusterError(`cluster name is not an identifier: ${ctx.name}`)
  const s = new Statement(sql)
  const sharded = new Set(ctx.distributed ?? [])
  const onCluster = ` ON CLUSTER ${ctx.name}`
  const k0 = s.kw(0)
  const k1 = s.kw(1)

  if (k0 === 'INSERT') {
    // data, not DDL: written once, replicated by the table (and routed by a Distributed one)
    return [sql]
  }
  if (k0 === 'CREATE' || k0 === 'ATTACH') {
    const i = s.skip(1, 'OR', 'REPLACE')
    const replace = i > 1
    if (s.is(i, 'TEMPORARY')) throw s.refuse('a temporary table lives in one session, not on a cluster')
    const kind = s.kw(i)
    if (kind === 'TABLE') return createTable(s, i + 1, replace, ctx, sharded)
    if (kind === 'MATERIALIZED' && s.is(i + 1, 'VIEW'))
      return createView(s, i + 2, replace, ctx, sharded, true)
    if (kind === 'VIEW' || kind === 'LIVE' || kind === 'WINDOW')
      return createView(s, kind === 'VIEW' ? i + 1 : i + 2, replace, ctx, sharded, false)
    if (kind === 'DICTIONARY' || kind === 'DATABASE' || kind === 'FUNCTION') {
      const at = ifNotExists(s, i + 1, replace)
      const name = kind === 'DICTIONARY' ? s.name(at) : { end: at }
      noClusterYet(s, name.end + 1)
      s.insertAfter(name.end, onCluster)
      return [s.render()]
    }
    if (isAccessEntity(s, i)) return accessEntity(s, i, ctx, 'CREATE')
    throw s.refuse(`statement kind CREATE ${kind} is not rendered for a cluster`)
  }
  if (k0 === 'ALTER' && k1 === 'TABLE') return alterTable(s, ctx, sharded)
  if (k0 === 'ALTER' && isAccessEntity(s, 1)) return accessEntity(s, 1, ctx, 'ALTER')
  if (k0 === 'DROP' || k0 === 'DETACH') {
    if (isAccessEntity(s, 1)) return accessEntity(s, 1, ctx, 'DROP')
    const kind = k1
    if (!['TABLE', 'VIEW', 'DICTIONARY', 'DATABASE', 'FUNCTION'].includes(kind))
      throw s.refuse(`statement kind ${k0} ${kind} is not rendered for a cluster`)
    if (!s.is(2, 'IF', 'EXISTS'))
      throw s.refuse('not idempotent (IF EXISTS), concurrent migrators would fail')
    const name =
      kind === 'DATABASE' || kind === 'FUNCTION' ? { end: 4, table: '', tableAt: 4, db: null } : s.name(4)
    if (s.tok(name.end + 1)?.text === ',') throw s.refuse('one table per DROP')
    noClusterYet(s, name.end + 1)
    s.insertAfter(name.end, onCluster)
    if (!sharded.has(name.table) || kind !== 'TABLE') return [s.render()]
    // the Distributed table first: it must not outlive the table it routes to
    return [s.render(), s.render([s.localName(name as Name)])]
  }
  if (k0 === 'DELETE' && k1 === 'FROM') {
    // a replicated table carries the mutation to its replicas; a Distributed table refuses it,
    // so a sharded table's rows are deleted in its local table on every shard
    const name = s.name(2)
    noClusterYet(s, name.end + 1)
    if (!sharded.has(name.table)) return [sql]
    s.insertAfter(name.end, onCluster)
    return [s.render([s.localName(name)])]
  }
  if (k0 === 'TRUNCATE' || k0 === 'OPTIMIZE') {
    let i = s.skip(1, 'TABLE')
    if (k0 === 'TRUNCATE') i = s.skip(i, 'IF', 'EXISTS')
    const name = s.name(i)
    noClusterYet(s, name.end + 1)
    s.insertAfter(name.end, onCluster)
    // the rows live in the local tables
    return [sharded.has(name.table) ? s.render([s.localName(name)]) : s.render()]
  }
  if (k0 === 'GRANT' || k0 === 'REVOKE') {
    if (s.is(1, 'ON', 'CLUSTER')) throw s.refuse('already names a cluster')
    s.insertAfter(0, onCluster)
    const out = [s.render()]
    // `ON db.t` of a sharded table: the local table too (a Distributed read runs on every shard as this user)
    const on = s.find(1, 'ON')
    if (on > 0 && s.isIdent(on + 1)) {
      const name = s.name(on + 1)
      if (sharded.has(name.table) && s.tok(name.end + 1)?.text !== ',')
        out.push(s.render([s.localName(name)]))
    }
    return out
  }
  throw s.refuse(`statement kind ${k0} ${k1} is not rendered for a cluster`)
}

/** every statement of a migration (or an access plan) rendered, in order */
export function renderAllForCluster(statements: readonly string[], ctx: RenderContext): string[] {
  return statements.flatMap((sql) => renderForCluster(sql, ctx))
}

function ifNotExists(s: Statement, i: number, replace: boolean): number {
  if (s.is(i, 'IF', 'NOT', 'EXISTS')) return i + 3
  if (replace) return i
  throw s.refuse('not idempotent (IF NOT EXISTS or OR REPLACE), concurrent migrators would fail')
}

function noClusterYet(s: Statement, i: number): void {
  if (s.is(i, 'ON', 'CLUSTER')) throw s.refuse('already names a cluster: write migrations for one node')
}

const replicaPath = (shardedTable: boolean): string =>
  `/clickhouse/tables/${shardedTable ? '{shard}' : 'all'}/{database}/{table}`

/**
 * `ENGINE = XMergeTree[(args)]` from `from` on → replicated, with its dedup window (see the
 * module comment). Returns false when the statement names no MergeTree engine.
 */
function replicateEngine(s: Statement, from: number, shardedTable: boolean): boolean {
  const at = s.find(from, 'ENGINE')
  if (at < 0) return false
  const nameAt = s.tok(at + 1)?.text === '=' ? at + 2 : at + 1
  const engine = s.tok(nameAt)?.text ?? ''
  if (!/MergeTree$/.test(engine)) return false
  if (engine.startsWith('Replicated') || engine.startsWith('Shared'))
    throw s.refuse(`engine ${engine}: write migrations for one node`)
  let end = nameAt
  let args = ''
  if (s.tok(nameAt + 1)?.text === '(') {
    end = s.closing(nameAt + 1)
    args = end > nameAt + 2 ? s.text(nameAt + 2, end - 1) : ''
  }
  // `CREATE … ENGINE = … AS SELECT …`: the clauses after AS belong to the query
  const body = s.find(end + 1, 'AS')
  if (body >= 0) s.clauseEnd = body
  const path = `'${replicaPath(shardedTable)}', '{replica}'`
  s.replace(nameAt, end, `Replicated${engine}(${path}${args ? `, ${args}` : ''})`)

  const settings = s.find(end + 1, 'SETTINGS')
  if (settings >= 0 && replicateDedupWindow(s, settings + 1)) return true
  // no window on one node: none on the cluster either (see the module comment)
  if (settings >= 0) s.insertAfter(settings, ' replicated_deduplication_window = 0,')
  else {
    const comment = s.find(end + 1, 'COMMENT')
    if (comment >= 0) s.insertBefore(comment, 'SETTINGS replicated_deduplication_window = 0 ')
    else s.insertAfter(s.clauseEnd - 1, ' SETTINGS replicated_deduplication_window = 0')
  }
  return true
}

/** `non_replicated_deduplication_window = N` at depth 0 from `from` on → its replicated twin; false when absent */
function replicateDedupWindow(s: Statement, from: number): boolean {
  for (let j = from; j < s.length; j++) {
    if (
      s.depth[j] !== 0 ||
      s.tok(j)?.text !== 'non_replicated_deduplication_window' ||
      s.tok(j + 1)?.text !== '='
    )
      continue
    const value = s.tok(j + 2)!.text
    s.replace(
      j,
      j + 2,
      `replicated_deduplication_window = ${value}, replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS}`,
    )
    return true
  }
  return false
}

/** the sorting key of a CREATE TABLE as a column list: what ReplacingMergeTree deduplicates on */
function sortingKey(s: Statement, from: number): string {
  const at = s.find(from, 'ORDER')
  if (at < 0 || !s.is(at + 1, 'BY')) throw s.refuse('a sharded table needs an ORDER BY (its shard key)')
  const stop = s.find(at + 2, 'PRIMARY', 'SAMPLE', 'TTL', 'SETTINGS', 'PARTITION', 'COMMENT')
  const last = (stop < 0 ? s.clauseEnd : stop) - 1
  let first = at + 2
  let end = last
  if (s.tok(first)?.text === '(' && s.closing(first) === last) {
    first++
    end--
  }
  if (end < first || s.kw(first) === 'TUPLE') throw s.refuse('a sharded table needs a non-empty ORDER BY')
  return s.text(first, end)
}

function createTable(
  s: Statement,
  i: number,
  replace: boolean,
  ctx: RenderContext,
  sharded: ReadonlySet<string>,
): string[] {
  const at = ifNotExists(s, i, replace)
  const name = s.name(at)
  noClusterYet(s, name.end + 1)
  s.insertAfter(name.end, ` ON CLUSTER ${ctx.name}`)
  const shard = sharded.has(name.table)
  if (s.find(name.end + 1, 'ENGINE') < 0)
    throw s.refuse('name the engine (a copied engine would copy the replication path too)')
  const replicated = replicateEngine(s, name.end + 1, shard)
  if (!shard) return [s.render()]
  if (!replicated) throw s.refuse('only a MergeTree table can be sharded')
  const key = sortingKey(s, name.end + 1)
  const db = name.db ?? ctx.database
  const local = `${name.table}_local`
  const qualified = (t: string) => (name.db ? `${name.db}.${t}` : t)
  return [
    s.render([s.localName(name)]),
    `CREATE TABLE IF NOT EXISTS ${qualified(name.table)} ON CLUSTER ${ctx.name} AS ${qualified(local)} ENGINE = Distributed('${ctx.name}', '${db}', '${local}', cityHash64(${key}))`,
  ]
}

function createView(
  s: Statement,
  i: number,
  replace: boolean,
  ctx: RenderContext,
  sharded: ReadonlySet<string>,
  materialized: boolean,
): string[] {
  const at = ifNotExists(s, i, replace)
  const name = s.name(at)
  noClusterYet(s, name.end + 1)
  // an insert reaches a sharded table's local part on its shard, where a view over the
  // Distributed table never sees it: refused rather than silently fed nothing
  if (materialized)
    for (let j = name.end + 1; j < s.length; j++)
      if (s.isIdent(j) && sharded.has(unquote(s.tok(j)!)))
        throw s.refuse(`a materialized view over sharded table ${unquote(s.tok(j)!)} is not rendered`)
  s.insertAfter(name.end, ` ON CLUSTER ${ctx.name}`)
  if (materialized) replicateEngine(s, name.end + 1, false)
  return [s.render()]
}

/** ADD/DROP/MODIFY/RENAME/COMMENT COLUMN change what a Distributed table must expose too */
const COLUMN_OPS = new Set(['ADD', 'DROP', 'MODIFY', 'RENAME', 'COMMENT'])

function alterTable(s: Statement, ctx: RenderContext, sharded: ReadonlySet<string>): string[] {
  const name = s.name(2)
  noClusterYet(s, name.end + 1)
  s.insertAfter(name.end, ` ON CLUSTER ${ctx.name}`)
  // the commands, split at depth-0 commas
  const commands: number[] = [name.end + 1]
  for (let j = name.end + 1; j < s.length; j++)
    if (s.depth[j] === 0 && s.tok(j)?.text === ',') commands.push(j + 1)
  let columnOps = 0
  let drops = 0
  for (const c of commands) {
    const op = s.kw(c)
    if (!(COLUMN_OPS.has(op) && s.is(c + 1, 'COLUMN'))) continue
    columnOps++
    if (op === 'ADD' && !s.is(c + 2, 'IF', 'NOT', 'EXISTS'))
      throw s.refuse('not idempotent (ADD COLUMN IF NOT EXISTS), concurrent migrators would fail')
    if ((op === 'DROP' || op === 'RENAME') && !s.is(c + 2, 'IF', 'EXISTS'))
      throw s.refuse(`not idempotent (${op} COLUMN IF EXISTS), concurrent migrators would fail`)
    if (op === 'DROP') drops++
  }
  // `MODIFY SETTING non_replicated_deduplication_window = N`: the window a replicated table reads
  replicateDedupWindow(s, name.end + 1)
  if (!sharded.has(name.table)) return [s.render()]
  const local = s.render([s.localName(name)])
  if (columnOps === 0) return [local]
  if (columnOps !== commands.length)
    throw s.refuse('split column changes and other changes of a sharded table')
  const distributed = s.render()
  // a column is added below the Distributed table first, and dropped from it first
  return drops === commands.length ? [distributed, local] : [local, distributed]
}

/** USER, ROLE, ROW POLICY / POLICY, SETTINGS PROFILE / PROFILE, QUOTA at i */
function isAccessEntity(s: Statement, i: number): boolean {
  return (
    ['USER', 'ROLE', 'POLICY', 'PROFILE', 'QUOTA'].includes(s.kw(i)) ||
    s.is(i, 'ROW', 'POLICY') ||
    s.is(i, 'SETTINGS', 'PROFILE')
  )
}

/**
 * Access entities: `ON CLUSTER` after the names (`CREATE USER [IF NOT EXISTS] a[, b] ON CLUSTER c …`),
 * for row policies after the table (`CREATE ROW POLICY p ON db.t ON CLUSTER c …`, ClickHouse's own
 * formatting). A policy on a sharded table is also made on its local table (a read through the
 * Distributed table runs on each shard as the reading user when the cluster has a secret).
 */
function accessEntity(
  s: Statement,
  i: number,
  ctx: RenderContext,
  verb: 'CREATE' | 'ALTER' | 'DROP',
): string[] {
  const policy = s.is(i, 'ROW', 'POLICY') || s.is(i, 'POLICY')
  let at = s.is(i, 'ROW', 'POLICY') || s.is(i, 'SETTINGS', 'PROFILE') ? i + 2 : i + 1
  if (verb === 'CREATE') at = s.skip(s.skip(at, 'OR', 'REPLACE'), 'IF', 'NOT', 'EXISTS')
  if (verb === 'DROP') at = s.skip(at, 'IF', 'EXISTS')
  // the names: a, b, c
  let end = at
  if (!s.isIdent(end)) throw s.refuse('expected a name')
  while (s.tok(end + 1)?.text === ',' && s.isIdent(end + 2)) end += 2
  if (policy) {
    if (!s.is(end + 1, 'ON')) throw s.refuse('a row policy names its table')
    const table = s.name(end + 2)
    if (s.tok(table.end + 1)?.text === ',') throw s.refuse('one table per row policy statement')
    noClusterYet(s, table.end + 1)
    s.insertAfter(table.end, ` ON CLUSTER ${ctx.name}`)
    if ((ctx.distributed ?? []).includes(table.table)) return [s.render(), s.render([s.localName(table)])]
    return [s.render()]
  }
  noClusterYet(s, end + 1)
  s.insertAfter(end, ` ON CLUSTER ${ctx.name}`)
  return [s.render()]
}
