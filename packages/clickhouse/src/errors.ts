import type { ClickHouseClient } from '@clickhouse/client'
import { OrgpulseError } from '@orgpulse/contracts'

/**
 * Insert errors that retrying can never fix: ClickHouse refused the data itself. Everything else
 * (connection refused or reset, timeouts, TOO_MANY_PARTS, MEMORY_LIMIT_EXCEEDED, a missing table
 * before migrations ran, a code this list does not know) is transient: the batch is held and
 * retried, never dead-lettered, because dead-lettering good rows for an outage loses nothing but
 * costs a replay, while retrying bad rows forever stalls everything behind them.
 * Codes: https://github.com/ClickHouse/ClickHouse/blob/master/src/Common/ErrorCodes.cpp
 */
const BAD_DATA: ReadonlySet<string> = new Set([
  'CANNOT_PARSE_TEXT', // 6
  'CANNOT_PARSE_ESCAPE_SEQUENCE', // 25: a lone surrogate, as JSON.stringify escapes it
  'CANNOT_PARSE_QUOTED_STRING', // 26
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED', // 27: a fraction or an exponent where an integer goes
  'CANNOT_PARSE_DATE', // 38
  'CANNOT_PARSE_DATETIME', // 41: a year past 9999
  'TYPE_MISMATCH', // 53
  'ARGUMENT_OUT_OF_BOUND', // 69
  'CANNOT_CONVERT_TYPE', // 70
  'CANNOT_PARSE_NUMBER', // 72: a negative number into an unsigned column
  'INCORRECT_DATA', // 117
  'TOO_LARGE_ARRAY_SIZE', // 128
  'CANNOT_READ_ARRAY_FROM_TEXT', // 130
  'TOO_LARGE_STRING_SIZE', // 131
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE', // 321
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN', // 349
  'CANNOT_PARSE_UUID', // 376
  'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', // 441
  'CANNOT_PARSE_BOOL', // 467
  'VIOLATED_CONSTRAINT', // 469
  'UNKNOWN_ELEMENT_OF_ENUM', // 691
])

export interface ClickHouseErrorLike {
  /** the numeric code as a string, e.g. "25" */
  code: string
  /** the code's name, e.g. "CANNOT_PARSE_ESCAPE_SEQUENCE" */
  type: string
  message: string
}

/**
 * The error @clickhouse/client raises for an error ClickHouse answered with. Matched by shape:
 * chDB's connection builds it from its own copy of @clickhouse/client-common, so `instanceof`
 * against the client's class fails for the embedded engine.
 */
export function asClickHouseError(err: unknown): ClickHouseErrorLike | null {
  if (!(err instanceof Error)) return null
  const { code, type } = err as Error & { code?: unknown; type?: unknown }
  return typeof code === 'string' && /^\d+$/.test(code) && typeof type === 'string'
    ? { code, type, message: err.message }
    : null
}

/** true when ClickHouse refused the rows themselves (see BAD_DATA); false for anything worth retrying */
export function isPermanentInsertError(err: unknown): boolean {
  const ch = asClickHouseError(err)
  return ch !== null && BAD_DATA.has(ch.type)
}

/** What a dead letter says about a refused row: ClickHouse's own words, code and name included. */
export function refusalReason(err: unknown): string {
  const ch = asClickHouseError(err)
  if (!ch) return `insert failed: ${(err as Error).message ?? String(err)}`
  // ClickHouse appends the pipeline step (": While executing …"): not about the row
  const message = ch.message.split('\n: While executing')[0]!.trim()
  return `ClickHouse refused the row: ${ch.type} (${ch.code}): ${message}`
}

/**
 * A query refused for memory (MEMORY_LIMIT_EXCEEDED, 241): either one query's `max_memory_usage`
 * or the whole engine's `max_server_memory_usage`. It is the caller's to act on (a wider budget
 * or a smaller question), so it is an OrgpulseError (`unavailable`: api 503, CLI exit 1) with the
 * setting to raise; it keeps ClickHouse's code and name, so asClickHouseError still reads it and
 * the sink still holds and retries a batch it hit.
 */
export class EngineMemoryError extends OrgpulseError {
  readonly code = '241'
  readonly type = 'MEMORY_LIMIT_EXCEEDED'
}

const MEMORY_LIMIT_EXCEEDED = 'MEMORY_LIMIT_EXCEEDED'

/** `err` as an EngineMemoryError when ClickHouse refused it for memory; anything else unchanged */
export function memoryError(err: unknown, memoryMb: number | null): unknown {
  const ch = asClickHouseError(err)
  if (!ch || ch.type !== MEMORY_LIMIT_EXCEEDED || err instanceof EngineMemoryError) return err
  // ClickHouse's sentence without the pipeline step: "(total) memory limit exceeded: would use …"
  const said = ch.message.split(': While executing')[0]!.trim()
  const raise =
    memoryMb === null
      ? "raise the ClickHouse server's max_memory_usage / max_server_memory_usage"
      : `raise ORGPULSE_ENGINE_MEMORY_MB (now ${memoryMb} MiB)`
  const budget = memoryMb === null ? "the ClickHouse server's memory limit" : `the engine's memory budget`
  return new EngineMemoryError(
    'unavailable',
    `the query needs more than ${budget}; ${raise} or narrow the window (ClickHouse: ${said})`,
    {
      cause: err,
      details: { clickhouse_code: ch.code, memoryMb },
    },
  )
}

/**
 * The client with every call's MEMORY_LIMIT_EXCEEDED turned into an EngineMemoryError. The
 * client keeps its state in private fields, so its methods run on the client itself.
 */
export function withMemoryErrors(client: ClickHouseClient, memoryMb: number | null): ClickHouseClient {
  const wrapped = new Set(['query', 'command', 'exec', 'insert'])
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const bound = (value as (...a: unknown[]) => unknown).bind(target)
      if (typeof prop !== 'string' || !wrapped.has(prop)) return bound
      return (...args: unknown[]) =>
        (bound(...args) as Promise<unknown>).catch((err: unknown) => {
          throw memoryError(err, memoryMb)
        })
    },
  })
}
