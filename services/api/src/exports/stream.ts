import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { ClickHouseClient } from '@orgpulse/clickhouse'

/**
 * Streams a query's result in a ClickHouse output format without holding it in Node.
 *
 * - ClickHouse server: `client.exec` hands back the HTTP response body as it arrives. (`query()`
 *   + `ResultSet.stream()` is for row formats only: it splits on newlines and drops bytes after
 *   the last one, which truncates Parquet.)
 * - Embedded chDB: its `Connection.query` materialises the whole result in one Buffer (measured:
 *   +900 MB RSS for a 430 MB CSV), and its native `queryStream` is cancelled by any other query
 *   on the session (the pipeline and other requests share it). So the engine writes the result
 *   with `INTO OUTFILE` into a private temp file in one call, and Node streams the file
 *   (measured: +25 MB RSS for the same 430 MB CSV). The temp file is removed when the stream
 *   ends, fails or is destroyed.
 *
 * `sql` must be a complete SELECT without FORMAT/SETTINGS; it is not parameterised here (callers
 * read a staging table whose name they generated), so it must not contain user input.
 */
export async function streamFormatted(
  client: ClickHouseClient,
  sql: string,
  format: string,
  settings: Record<string, string | number>,
): Promise<Readable> {
  const settingsSql = Object.entries(settings)
    .map(([k, v]) => `${assertIdentifier(k)} = ${typeof v === 'number' ? String(v) : quote(v)}`)
    .join(', ')
  const withSettings = settingsSql ? `${sql} SETTINGS ${settingsSql}` : sql
  if (isChdb(client)) {
    const dir = mkdtempSync(join(tmpdir(), 'orgpulse-export-'))
    const file = join(dir, `export.${format.toLowerCase()}`)
    const cleanup = () => rmSync(dir, { recursive: true, force: true })
    try {
      await client.command({
        query: `${withSettings} INTO OUTFILE ${quote(file)} TRUNCATE FORMAT ${assertIdentifier(format)}`,
      })
    } catch (err) {
      cleanup()
      throw err
    }
    const stream = createReadStream(file, { highWaterMark: 256 * 1024 })
    stream.once('close', cleanup)
    return stream
  }
  const result = await client.exec({ query: `${withSettings} FORMAT ${assertIdentifier(format)}` })
  return result.stream
}

/** True when the client runs on the embedded engine (chDB's Connection implementation). */
export function isChdb(client: ClickHouseClient): boolean {
  // the client keeps its Connection in a field its typings mark private; chDB brands its own
  const connection = (client as unknown as { connection?: { connectionName?: unknown } }).connection
  return connection?.connectionName === 'chdb'
}

function assertIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${JSON.stringify(name)}`)
  return name
}

/** a ClickHouse string literal: backslash and quote escaped */
export const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
