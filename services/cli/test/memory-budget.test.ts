import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { errorReply } from '@orgpulse/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reportFailure } from '../src/exit-codes.ts'
import { bufferIO } from '../src/io.ts'

/**
 * A query over the embedded engine's memory budget, as the edges report it: the CLI's exit code
 * and line, the api's status and body. The error is the engine's own, under a 64 MiB budget
 * read from ORGPULSE_ENGINE_MEMORY_MB as the CLI's runtime reads it.
 */
let client: ClickHouseClient

beforeAll(() => {
  const env = parseEnv({ ORGPULSE_ENGINE_MEMORY_MB: '64' })
  expect(env.ORGPULSE_ENGINE_MEMORY_MB).toBe(64)
  client = createClickHouse({
    dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-cli-memory-')),
    memoryMb: env.ORGPULSE_ENGINE_MEMORY_MB,
  })
})
afterAll(async () => client?.close())

describe('a query over the memory budget', () => {
  it('exits 1 with the setting to raise, and the api answers 503 with the same sentence', async () => {
    // 20 million UInt64 in one array: 160 MB, over the 48 MiB one query may use
    const err = await client
      .query({ query: 'SELECT length(groupArray(number)) FROM numbers(20000000)', format: 'JSONEachRow' })
      .then(
        () => null,
        (e: unknown) => e,
      )
    const io = bufferIO()
    expect(reportFailure(io, err)).toBe(1)
    expect(io.stderr).toHaveLength(1)
    expect(io.stderr[0]).toMatch(
      /^error: the query needs more than the engine's memory budget; raise ORGPULSE_ENGINE_MEMORY_MB \(now 64 MiB\) or narrow the window \(ClickHouse: .*memory limit exceeded: would use .*\)\n$/,
    )
    const reply = errorReply(err)
    expect(reply.status).toBe(503)
    expect(reply.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: (err as Error).message,
    })
  })

  it('rejects a budget that is not a positive number of MiB', () => {
    expect(() => parseEnv({ ORGPULSE_ENGINE_MEMORY_MB: '0' })).toThrow(/ORGPULSE_ENGINE_MEMORY_MB/)
    expect(() => parseEnv({ ORGPULSE_ENGINE_MEMORY_MB: '1.5g' })).toThrow(/positive number of MiB/)
  })
})
