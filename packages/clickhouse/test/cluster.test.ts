import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configSchema, parseEnv } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accessStatements,
  attachCluster,
  type ClickHouseClient,
  ClusterError,
  clusterOf,
  clusterSettings,
  createClickHouse,
  DEDUP_WINDOW_SECONDS,
  LEDGER_DDL,
  loadMigrations,
  type Migration,
  MigrationError,
  migrate,
  migrationStatements,
  queryRows,
  type RenderContext,
  renderForCluster,
  resolveCluster,
} from '../src/index.ts'

/*
 * No ClickHouse cluster (Keeper, replicas, shards) runs here, and chDB cannot create Replicated
 * or Distributed tables. What is tested: every migration, rendered for one node and for a
 * cluster, parses with ClickHouse's own parser (formatQuery in the embedded engine, the same
 * parser as the server); the cluster rendering, normalised by formatQuery, differs from the
 * single-node one only by ON CLUSTER, the engine, the dedup-window setting, the `_local` name of
 * a sharded table and the added Distributed tables; single-node mode runs today's statements byte
 * for byte; the access plan renders ON CLUSTER and parses.
 */
let client: ClickHouseClient
/** every query the single-node migrate sent */
const sent: string[] = []

const CLUSTER = 'orgpulse'
const DB = 'orgpulse_db'
const FACTS = [
  'decision_events',
  'dependency_events',
  'workitem_events',
  'meetings',
  'cycles',
  'source_coverage',
]
/** replicas only (the default) and sharded fact tables (metric_rollups for a multi-column key) */
const REPLICATED: RenderContext = { name: CLUSTER, database: DB }
const SHARDED: RenderContext = { name: CLUSTER, database: DB, distributed: [...FACTS, 'metric_rollups'] }

beforeAll(async () => {
  client = createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-cluster-')) })
  const command = client.command.bind(client)
  const recording = new Proxy(client, {
    get(target, prop) {
      if (prop === 'command')
        return (p: Parameters<typeof command>[0]) => {
          sent.push(p.query)
          return command(p)
        }
      const v: unknown = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  await migrate(recording)
})
afterAll(async () => client?.close())

/** ClickHouse's own formatting of a statement (throws a syntax error for one it cannot parse) */
async function format(sql: string): Promise<string> {
  const rows = await queryRows<{ f: string }>(client, 'SELECT formatQuery({q:String}) AS f', { q: sql })
  return rows[0]!.f
}

/**
 * The cluster rendering's known changes undone on formatQuery's text, written independently of
 * the renderer: what is left must be the single-node statement.
 */
function undoCluster(formatted: string, sharded: readonly string[]): string {
  let s = formatted
  expect(s.split(` ON CLUSTER ${CLUSTER}`).length - 1, s).toBe(1)
  s = s.replace(` ON CLUSTER ${CLUSTER}`, '')
  s = s.replace(
    /Replicated(\w*MergeTree)\('\/clickhouse\/tables\/(\{shard\}|all)\/\{database\}\/\{table\}', '\{replica\}'(?:, ([^\n]*))?\)/,
    (_m, engine: string, _shard, args: string | undefined) => (args ? `${engine}(${args})` : engine),
  )
  s = s.replace(
    `replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS}`,
    'non_replicated_deduplication_window = 10000',
  )
  s = s.replace(/\nSETTINGS replicated_deduplication_window = 0$/, '')
  s = s.replace('replicated_deduplication_window = 0, ', '')
  for (const t of sharded) s = s.replace(new RegExp(`\\b${t}_local\\b`, 'g'), t)
  return s
}

const DISTRIBUTED = new RegExp(
  `^CREATE TABLE IF NOT EXISTS (\\w+) ON CLUSTER ${CLUSTER} AS (\\w+)\\nENGINE = Distributed\\('${CLUSTER}', '${DB}', '(\\w+)', cityHash64\\((.+)\\)\\)$`,
)

describe('single-node mode', () => {
  it("runs today's migrations byte for byte", () => {
    const migrations = loadMigrations()
    const expected = [LEDGER_DDL, ...migrations.flatMap((m) => m.statements)]
    expect(sent).toEqual(expected)
    for (const m of migrations) expect(migrationStatements(m)).toBe(m.statements)
    expect(sent.join('\n')).not.toMatch(/CLUSTER|Replicated|Distributed/)
  })
})

describe('cluster rendering of every migration', () => {
  const migrations = (): Migration[] => loadMigrations()

  it.each([
    ['replicated', REPLICATED],
    ['sharded', SHARDED],
  ])('parses with ClickHouse’s parser, %s', async (_mode, ctx) => {
    let statements = 0
    for (const m of migrations())
      for (const sql of [...m.statements, ...migrationStatements(m, ctx, ctx.database)]) {
        await expect(format(sql), `${m.name}: ${sql}`).resolves.toBeTruthy()
        statements++
      }
    expect(statements).toBeGreaterThan(40)
  })

  it.each([
    ['replicated', REPLICATED],
    ['sharded', SHARDED],
  ])(
    'differs from one node only by ON CLUSTER, engines, dedup window, _local names and Distributed tables, %s',
    async (_mode, ctx) => {
      const sharded = ctx.distributed ?? []
      const distributedTables: string[] = []
      for (const m of migrations())
        for (const sql of m.statements) {
          const single = await format(sql)
          const rendered = await Promise.all(renderForCluster(sql, ctx).map(format))
          const extra = rendered.filter((r) => DISTRIBUTED.test(r))
          const rest = rendered.filter((r) => !DISTRIBUTED.test(r))
          for (const r of rest) expect(undoCluster(r, sharded), `${m.name}\n${r}`).toBe(single)
          const table = /^(?:CREATE TABLE IF NOT EXISTS|ALTER TABLE) (\w+)/.exec(single)![1]!
          if (!sharded.includes(table)) {
            expect(rendered).toHaveLength(1)
            expect(rendered[0]).not.toMatch(/_local\b/)
            continue
          }
          if (single.startsWith('ALTER')) {
            // the local table first, then the Distributed one
            expect(rendered).toHaveLength(2)
            expect(rendered[0]).toMatch(new RegExp(`^ALTER TABLE ${table}_local ON CLUSTER`))
            expect(rendered[1]).toMatch(new RegExp(`^ALTER TABLE ${table} ON CLUSTER`))
            continue
          }
          expect(rest).toHaveLength(1)
          expect(rest[0]).toMatch(new RegExp(`^CREATE TABLE IF NOT EXISTS ${table}_local ON CLUSTER`))
          expect(rest[0]).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/")
          expect(extra).toHaveLength(1)
          const [, name, as, local, key] = DISTRIBUTED.exec(extra[0]!)!
          expect([name, as, local]).toEqual([table, `${table}_local`, `${table}_local`])
          // the shard key is the ReplacingMergeTree key: ORDER BY of the single-node table
          const orderBy = /\nORDER BY \(?(.+?)\)?\n/.exec(`${single}\n`)![1]
          expect(key).toBe(orderBy)
          distributedTables.push(`${table}:${key}`)
        }
      if (ctx === SHARDED)
        expect(distributedTables.sort()).toEqual([
          'cycles:cycle_id',
          'decision_events:id',
          'dependency_events:id',
          'meetings:meeting_id',
          'metric_rollups:scope, grain, metric, period_start',
          'source_coverage:id',
          'workitem_events:id',
        ])
      else expect(distributedTables).toEqual([])
    },
  )

  it('names only engines and table settings this ClickHouse version has', async () => {
    const engines = new Set<string>()
    const settings = new Set<string>()
    for (const m of migrations())
      for (const sql of migrationStatements(m, SHARDED, DB)) {
        const f = await format(sql)
        for (const e of f.matchAll(/\nENGINE = (\w+)/g)) engines.add(e[1]!)
        const list = /\nSETTINGS (.+)$/.exec(f)?.[1] ?? ''
        for (const kv of list.split(', ').filter(Boolean)) settings.add(kv.split(' = ')[0]!)
      }
    expect([...engines].sort()).toEqual([
      'Distributed',
      'ReplicatedMergeTree',
      'ReplicatedReplacingMergeTree',
    ])
    const knownEngines = await queryRows<{ name: string }>(
      client,
      'SELECT name FROM system.table_engines WHERE name IN {n:Array(String)}',
      { n: [...engines] },
    )
    expect(knownEngines).toHaveLength(engines.size)
    expect([...settings].sort()).toEqual([
      'replicated_deduplication_window',
      'replicated_deduplication_window_seconds',
    ])
    const knownSettings = await queryRows<{ name: string }>(
      client,
      'SELECT name FROM system.merge_tree_settings WHERE name IN {n:Array(String)}',
      { n: [...settings] },
    )
    expect(knownSettings).toHaveLength(settings.size)
  })

  it('keeps each engine’s arguments and the single node’s deduplication, as written by hand', () => {
    const byName = new Map(migrations().map((m) => [m.name, m]))
    const one = (name: string, i: number, ctx = REPLICATED) =>
      migrationStatements(byName.get(name)!, ctx, DB)[i]!
    // ReplacingMergeTree(version) with a dedup window: the same window, 7 days instead of 1 hour
    expect(one('001_facts', 0)).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', version)\nORDER BY id\nSETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800",
    )
    // no arguments, no window: none on the cluster either (a re-inserted identical row must land)
    expect(one('001_facts', 5)).toMatch(
      /^CREATE TABLE IF NOT EXISTS dlq ON CLUSTER orgpulse \(\n[\s\S]*\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/all\/\{database\}\/\{table\}', '\{replica\}'\)\nORDER BY id SETTINGS replicated_deduplication_window = 0$/,
    )
    expect(one('002_org', 1)).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')\nORDER BY (effective, person_id) SETTINGS replicated_deduplication_window = 0",
    )
    // a TTL stays where it was; the setting goes after it
    expect(one('007_webhook_deliveries', 0)).toMatch(
      /ORDER BY \(source, key\)\nTTL toDateTime\(received_at\) \+ INTERVAL 90 DAY SETTINGS replicated_deduplication_window = 0$/,
    )
    expect(one('012_portfolio', 0)).toBe(
      "ALTER TABLE decision_events ON CLUSTER orgpulse ADD COLUMN IF NOT EXISTS project String DEFAULT ''",
    )
    expect(one('012_portfolio', 0, SHARDED)).toBe(
      "ALTER TABLE decision_events_local ON CLUSTER orgpulse ADD COLUMN IF NOT EXISTS project String DEFAULT ''",
    )
    expect(one('001_facts', 1, SHARDED)).toBe(
      "CREATE TABLE IF NOT EXISTS decision_events ON CLUSTER orgpulse AS decision_events_local ENGINE = Distributed('orgpulse', 'orgpulse_db', 'decision_events_local', cityHash64(id))",
    )
    // the ledger every migrator shares
    expect(renderForCluster(LEDGER_DDL, REPLICATED)[0]).toBe(
      `CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER orgpulse (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}') ORDER BY version SETTINGS replicated_deduplication_window = 0`,
    )
  })
})

describe('statements of later migrations', () => {
  // shapes no migration uses yet: the renderer reads them from their tokens
  const later = [
    `CREATE TABLE IF NOT EXISTS hr_people (
      id String, -- a comment with ENGINE = MergeTree in it
      note String DEFAULT 'ENGINE = Log',
      updated_at DateTime64(3, 'UTC')
    ) ENGINE = CollapsingMergeTree(sign)
    PARTITION BY toYYYYMM(updated_at)
    ORDER BY (id, updated_at)
    SETTINGS index_granularity = 8192
    COMMENT 'people from the HR system'`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS hr_counts ENGINE = SummingMergeTree ORDER BY day AS
      SELECT toDate(updated_at) AS day, count() AS n FROM hr_people GROUP BY day`,
    `CREATE DICTIONARY IF NOT EXISTS unit_names (unit_id String, name String) PRIMARY KEY unit_id
      SOURCE(CLICKHOUSE(TABLE 'org_units')) LIFETIME(MIN 300 MAX 600) LAYOUT(COMPLEX_KEY_HASHED())`,
    'CREATE VIEW IF NOT EXISTS open_blockers AS SELECT * FROM dependency_events FINAL',
    'ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS a String, ADD COLUMN IF NOT EXISTS b String',
    'ALTER TABLE decision_events MODIFY TTL toDateTime(occurred_at) + INTERVAL 5 YEAR',
    'DROP TABLE IF EXISTS decision_events',
    'ALTER TABLE dlq MODIFY SETTING non_replicated_deduplication_window = 500',
    "INSERT INTO identity_map (identity, person_id, origin) SELECT email, person_id, 'org' FROM org_people",
    "DELETE FROM meetings WHERE source = 'gone'",
    "DELETE FROM identity_map WHERE origin = 'gone'",
  ]

  it('are rendered and parse', async () => {
    const out = later.map((sql) => renderForCluster(sql, SHARDED))
    for (const sql of out.flat()) await expect(format(sql), sql).resolves.toBeTruthy()
    const [table, view, dict, plainView, addTwo, ttl, drop, window, insert, deleteSharded, deleteReplicated] =
      await Promise.all(out.map((o) => Promise.all(o.map(format))))
    expect(table![0]).toContain(
      "ENGINE = ReplicatedCollapsingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', sign)",
    )
    // an existing SETTINGS list gets the window first; the comment and the strings are untouched
    expect(table![0]).toContain('SETTINGS replicated_deduplication_window = 0, index_granularity = 8192')
    expect(table![0]).toContain("DEFAULT 'ENGINE = Log'")
    // the table's clauses end at AS: the query's own GROUP BY is left alone
    expect(view![0]).toContain(
      "ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')\nORDER BY day\nSETTINGS replicated_deduplication_window = 0\nAS SELECT",
    )
    expect(view![0]).toMatch(/GROUP BY day$/)
    expect(dict![0]).toMatch(/^CREATE DICTIONARY IF NOT EXISTS unit_names ON CLUSTER orgpulse\n/)
    expect(plainView![0]).toMatch(/^CREATE VIEW IF NOT EXISTS open_blockers ON CLUSTER orgpulse\s+AS SELECT/)
    expect(addTwo!.map((s) => s.split('\n')[0])).toEqual([
      'ALTER TABLE decision_events_local ON CLUSTER orgpulse',
      'ALTER TABLE decision_events ON CLUSTER orgpulse',
    ])
    // not a column change: the local table only
    expect(ttl).toHaveLength(1)
    expect(ttl![0]).toMatch(/^ALTER TABLE decision_events_local ON CLUSTER orgpulse\n/)
    // the Distributed table goes first
    expect(drop).toEqual([
      'DROP TABLE IF EXISTS decision_events ON CLUSTER orgpulse',
      'DROP TABLE IF EXISTS decision_events_local ON CLUSTER orgpulse',
    ])
    expect(window).toEqual([
      `ALTER TABLE dlq ON CLUSTER orgpulse\n    (MODIFY SETTING replicated_deduplication_window = 500, replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS})`,
    ])
    expect(deleteSharded).toEqual(["DELETE FROM meetings_local ON CLUSTER orgpulse WHERE source = 'gone'"])
    expect(deleteReplicated).toEqual(["DELETE FROM identity_map WHERE origin = 'gone'"])
    expect(insert).toHaveLength(1)
    expect(insert![0]).not.toContain('CLUSTER')
  })

  it.each([
    ['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a', 'IF NOT EXISTS'],
    ['ALTER TABLE decision_events ADD COLUMN c String', 'ADD COLUMN IF NOT EXISTS'],
    ['ALTER TABLE decision_events DROP COLUMN c', 'DROP COLUMN IF EXISTS'],
    ['DROP TABLE t', 'IF EXISTS'],
    [
      'CREATE TABLE IF NOT EXISTS t ON CLUSTER x (a String) ENGINE = MergeTree ORDER BY a',
      'already names a cluster',
    ],
    [
      "CREATE TABLE IF NOT EXISTS t (a String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a",
      'for one node',
    ],
    ['CREATE TABLE IF NOT EXISTS t AS decision_events', 'name the engine'],
    ['SYSTEM FLUSH LOGS', 'not rendered for a cluster'],
    ['RENAME TABLE a TO b', 'not rendered for a cluster'],
    [
      'CREATE MATERIALIZED VIEW IF NOT EXISTS v TO x AS SELECT id FROM decision_events',
      'materialized view over sharded table decision_events',
    ],
    [
      'CREATE TABLE IF NOT EXISTS meetings (a String) ENGINE = MergeTree ORDER BY tuple()',
      'non-empty ORDER BY',
    ],
  ])('refuses %s', (sql, why) => {
    const run = () => renderForCluster(sql, SHARDED)
    expect(run).toThrow(ClusterError)
    expect(run).toThrow(why)
  })
})

describe('access statements', () => {
  it('run ON CLUSTER, on the local table of a sharded one too, and parse', async () => {
    await client.command({
      query: `INSERT INTO org_snapshots VALUES ('2026-01-05', now64(3), 3, 2, 'test')`,
    })
    await client.command({
      query: `INSERT INTO org_people (effective, person_id, email, level, home_unit) VALUES
        ('2026-01-05', 'dir@x.io', 'dir@x.io', 2, 'u:dir@x.io'), ('2026-01-05', 'ic@x.io', 'ic@x.io', 0, 'u:lead@x.io')`,
    })
    await client.command({
      query: `INSERT INTO org_closure VALUES ('2026-01-05', 'u:dir@x.io', 'u:dir@x.io', 0),
        ('2026-01-05', 'u:lead@x.io', 'u:lead@x.io', 0), ('2026-01-05', 'u:lead@x.io', 'u:dir@x.io', 1)`,
    })
    const single = await accessStatements(client, { database: DB, env: parseEnv({}) })
    expect(single.statements.join('\n')).not.toContain('CLUSTER')

    attachCluster(client, { name: CLUSTER, distributed: ['decision_events'] })
    const plan = await accessStatements(client, { database: DB, env: parseEnv({}) })
    expect(plan.directors.map((d) => [d.director, d.units])).toEqual([
      ['dir@x.io', ['u:dir@x.io', 'u:lead@x.io']],
    ])
    for (const sql of plan.statements) {
      expect(sql.split(' ON CLUSTER orgpulse').length - 1, sql).toBe(1)
      await expect(format(sql), sql).resolves.toBeTruthy()
    }
    // one more statement per grant and per policy on the sharded table (8 policied tables)
    const onDecisions = (p: string[]) => p.filter((s) => / ON orgpulse_db\.decision_events\b/.test(s)).length
    const onLocal = plan.statements.filter((s) => s.includes('orgpulse_db.decision_events_local'))
    // grant + service policy + director policy (the legacy policy drop too)
    expect(onDecisions(single.statements)).toBe(4)
    expect(onLocal).toHaveLength(4)
    expect(plan.statements).toHaveLength(single.statements.length + 4)
    expect(plan.statements).toContain(
      'GRANT ON CLUSTER orgpulse SELECT ON orgpulse_db.decision_events_local TO orgpulse_director',
    )
    expect(plan.statements).toContain(
      'CREATE ROW POLICY OR REPLACE orgpulse_service ON orgpulse_db.decision_events_local ON CLUSTER orgpulse FOR SELECT USING 1 TO default',
    )
    expect(plan.statements).toContain('REVOKE ON CLUSTER orgpulse ALL ON *.* FROM orgpulse_director')
  })

  it('a database migrated for one node is not migrated again for a cluster', async () => {
    // `client` is marked as a cluster's by the test above; its database holds the one-node ledger
    const err = await migrate(client).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MigrationError)
    expect((err as MigrationError).kind).toBe('conflict')
    expect((err as Error).message).toContain('schema_migrations is MergeTree')
  })
})

describe('cluster settings', () => {
  it('CLICKHOUSE_CLUSTER wins over clickhouse.cluster; distributed comes from the config', () => {
    const config = configSchema.parse({
      clickhouse: { cluster: 'from_yaml', distributed: ['decision_events'] },
    })
    expect(resolveCluster(undefined, config.clickhouse)).toEqual({
      name: 'from_yaml',
      distributed: ['decision_events'],
    })
    expect(resolveCluster('from_env', config.clickhouse)).toEqual({
      name: 'from_env',
      distributed: ['decision_events'],
    })
    expect(resolveCluster('from_env', undefined)).toEqual({ name: 'from_env', distributed: [] })
    expect(resolveCluster(undefined, configSchema.parse({}).clickhouse)).toBeUndefined()
    expect(() => resolveCluster(undefined, { distributed: ['meetings'] })).toThrow('no cluster is')
    expect(configSchema.safeParse({ clickhouse: { clusterName: 'x' } }).success).toBe(false)
    expect(configSchema.safeParse({ clickhouse: { cluster: 'a-b' } }).success).toBe(false)
    expect(() => parseEnv({ CLICKHOUSE_CLUSTER: 'a b' })).toThrow('CLICKHOUSE_CLUSTER')
    expect(parseEnv({ CLICKHOUSE_CLUSTER: 'prod' }).CLICKHOUSE_CLUSTER).toBe('prod')
  })

  it('keep inserts deduplicated and synchronous through Distributed tables', () => {
    expect(clusterSettings({ name: 'c' })).toEqual({
      insert_deduplicate: 1,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      distributed_foreground_insert: 1,
      distributed_ddl_output_mode: 'throw',
    })
    expect(clusterSettings({ name: 'c', distributed: ['meetings'] }).distributed_product_mode).toBe('global')
  })

  it('are settings this ClickHouse version knows, as are the table settings the rendering writes', async () => {
    const names = Object.keys(clusterSettings({ name: 'c', distributed: ['meetings'] }))
    const known = await queryRows<{ name: string }>(
      client,
      'SELECT name FROM system.settings WHERE name IN {n:Array(String)} ORDER BY name',
      { n: names },
    )
    expect(known.map((r) => r.name)).toEqual([...names].sort())
    const table = await queryRows<{ name: string; value: string }>(
      client,
      "SELECT name, value FROM system.merge_tree_settings WHERE name LIKE 'replicated_deduplication_window%' ORDER BY name",
    )
    // the defaults the rendering overrides: 10000 blocks, but only for an hour
    expect(table.filter((r) => !r.name.includes('async'))).toEqual([
      { name: 'replicated_deduplication_window', value: '10000' },
      { name: 'replicated_deduplication_window_seconds', value: '3600' },
    ])
  })

  it('mark a server client as a cluster’s, which migrate and accessStatements read', () => {
    const cluster = { name: 'c', distributed: [] }
    expect(clusterOf(createClickHouse({ url: 'http://127.0.0.1:9/', cluster }))).toBe(cluster)
    expect(clusterOf(createClickHouse({ url: 'http://127.0.0.1:9/' }))).toBeUndefined()
  })

  it('need a server', () => {
    const make = () =>
      createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-c-')), cluster: { name: 'c' } })
    expect(make).toThrow(ClusterError)
    expect(make).toThrow('CLICKHOUSE_URL')
  })
})
