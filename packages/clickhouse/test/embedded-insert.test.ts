import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClickHouseClient, createClickHouse, queryRows } from '../src/index.ts'

/**
 * Embedded inserts are sent as `INSERT … SELECT FROM format()` so that chDB never reads the
 * process's stdin (test/e2e/cli.stdin.test.ts). They must behave exactly like plain inserts.
 */
let client: ClickHouseClient

beforeAll(async () => {
  client = createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-insert-')) })
  await client.command({
    query: `CREATE TABLE t (a String, b DateTime64(3, 'UTC'), c Array(String), d Nullable(UInt32),
      e UInt8 DEFAULT 7, f Float64, g String MATERIALIZED upper(a))
      ENGINE = MergeTree ORDER BY a SETTINGS non_replicated_deduplication_window = 100`,
  })
})
afterAll(async () => client?.close())

const rows = () => queryRows<Record<string, unknown>>(client, 'SELECT a, b, c, d, e, f, g FROM t ORDER BY a')

describe('embedded inserts', () => {
  it('keep types, DEFAULT and MATERIALIZED columns, column lists and awkward strings', async () => {
    await client.insert({
      table: 't',
      format: 'JSONEachRow',
      values: [
        { a: 'x', b: '2026-01-01 00:00:00.123', c: ['p', 'q'], d: null, f: 1.5 },
        { c: [], a: 'it\'s \\ {p:String}\n"q"', b: '2026-02-01 00:00:00', d: 3, e: 1, f: 2 },
      ],
    })
    await client.insert({
      table: 't',
      format: 'JSONEachRow',
      columns: ['a', 'f'],
      values: [{ a: 'y', f: 9 }],
    })
    expect(await rows()).toEqual([
      {
        a: 'it\'s \\ {p:String}\n"q"',
        b: '2026-02-01 00:00:00.000',
        c: [],
        d: 3,
        e: 1,
        f: 2,
        g: 'IT\'S \\ {P:STRING}\n"Q"',
      },
      { a: 'x', b: '2026-01-01 00:00:00.123', c: ['p', 'q'], d: null, e: 7, f: 1.5, g: 'X' },
      { a: 'y', b: '1970-01-01 00:00:00.000', c: [], d: null, e: 7, f: 9, g: 'Y' },
    ])
  })

  it('take positional formats in the order of the column list', async () => {
    await client.insert({
      table: 't',
      format: 'JSONCompactEachRow',
      columns: ['f', 'a'],
      values: [[4.5, 'positional']],
    })
    const [r] = await queryRows<{ f: number }>(client, `SELECT f FROM t WHERE a = 'positional'`)
    expect(r?.f).toBe(4.5)
  })

  it('see a column added after the first insert into the table', async () => {
    await client.command({ query: `ALTER TABLE t ADD COLUMN h String DEFAULT 'hh'` })
    await client.insert({ table: 't', format: 'JSONEachRow', values: [{ a: 'z', h: 'set' }] })
    const [r] = await queryRows<{ h: string }>(client, `SELECT h FROM t WHERE a = 'z'`)
    expect(r?.h).toBe('set')
  })

  it('drop a retried insert by its token, and never hand one insert’s token to the next', async () => {
    const token = { insert_deduplication_token: 'batch-1' }
    await client.insert({
      table: 't',
      format: 'JSONEachRow',
      values: [{ a: 't1' }],
      clickhouse_settings: token,
    })
    await client.insert({
      table: 't',
      format: 'JSONEachRow',
      values: [{ a: 't1-retry' }],
      clickhouse_settings: token,
    })
    await client.command({ query: `INSERT INTO t (a) SELECT 'by-command'` })
    // chDB applies settings with session-wide SETs: this insert used to inherit 'batch-1' and vanish
    await client.insert({ table: 't', format: 'JSONEachRow', values: [{ a: 'no-token' }] })
    const names = (await rows()).map((r) => r.a)
    expect(names).toContain('by-command')
    expect(names).toContain('t1')
    expect(names).not.toContain('t1-retry')
    expect(names).toContain('no-token')
  })
})
