import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isOrgpulseError } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  asClickHouseError,
  type ClickHouseClient,
  createClickHouse,
  EngineMemoryError,
  queryRows,
} from '../src/index.ts'

/**
 * The embedded engine's memory budget (ORGPULSE_ENGINE_MEMORY_MB → createClickHouse memoryMb):
 * the server settings reach the engine through its configuration file, the per-query limit
 * through every query's settings, and a query over it fails with the setting to raise. A tiny
 * budget (64 MiB) so that a query of a few hundred MB is over it. One engine per process: this
 * file's client is the first (and only) on its data dir.
 */
const MiB = 1024 * 1024
let client: ClickHouseClient
let dataDir: string

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-memory-'))
  client = createClickHouse({ dataDir, memoryMb: 64 })
})
afterAll(async () => client?.close())

describe('embedded memory budget', () => {
  it('reaches the engine: server limit and caches from the config file, the per-query limit on every query', async () => {
    const server = await queryRows<{ name: string; value: string }>(
      client,
      `SELECT name, value FROM system.server_settings
        WHERE name IN ('max_server_memory_usage', 'mark_cache_size', 'uncompressed_cache_size', 'primary_index_cache_size')
        ORDER BY name`,
    )
    // 64 MiB = 67,108,864 B; mark cache 1/8 = 8,388,608; primary index cache 1/32 = 2,097,152
    expect(server).toEqual([
      { name: 'mark_cache_size', value: '8388608' },
      { name: 'max_server_memory_usage', value: '67108864' },
      { name: 'primary_index_cache_size', value: '2097152' },
      { name: 'uncompressed_cache_size', value: '0' },
    ])
    const query = await queryRows<{ name: string; value: string }>(
      client,
      `SELECT name, value FROM system.settings
        WHERE name = 'max_memory_usage'`,
    )
    // 3/4 of 64 MiB = 50,331,648
    expect(query).toEqual([{ name: 'max_memory_usage', value: '50331648' }])
    expect(readFileSync(join(dataDir, 'engine-memory.xml'), 'utf8')).toContain(
      `<max_server_memory_usage>${64 * MiB}</max_server_memory_usage>`,
    )
  })

  it('a query under the budget answers', async () => {
    // sum of 0 … 9,999,999 = 9,999,999 × 10,000,000 / 2
    expect(await queryRows(client, 'SELECT sum(number) AS s FROM numbers(10000000)')).toEqual([
      { s: 49999995000000 },
    ])
  })

  it('a query over it fails with the setting to raise, as an unavailable OrgpulseError, and the engine lives on', async () => {
    // 20 million UInt64 in one array: 160 MB, over the 48 MiB a query may use
    const err = await client
      .query({ query: 'SELECT length(groupArray(number)) FROM numbers(20000000)', format: 'JSONEachRow' })
      .then(
        () => null,
        (e: unknown) => e,
      )
    expect(err).toBeInstanceOf(EngineMemoryError)
    expect(isOrgpulseError(err) && err.kind).toBe('unavailable')
    const message = (err as Error).message
    expect(message).toMatch(
      /^the query needs more than the engine's memory budget; raise ORGPULSE_ENGINE_MEMORY_MB \(now 64 MiB\) or narrow the window \(ClickHouse: .*memory limit exceeded/,
    )
    expect(message).not.toContain('While executing')
    // still ClickHouse's code for those that classify by it (the sink retries it)
    expect(asClickHouseError(err)?.type).toBe('MEMORY_LIMIT_EXCEEDED')
    // commands and inserts are wrapped alike
    await expect(
      client.command({ query: 'SELECT length(groupArray(number)) FROM numbers(20000000) FORMAT Null' }),
    ).rejects.toBeInstanceOf(EngineMemoryError)
    expect(await queryRows(client, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
  })
})
