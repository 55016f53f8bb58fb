import { z } from 'zod'

/**
 * What ClickHouse can store faithfully, checked before anything reaches it. A value outside these
 * rules used to reach the sink, fail the insert, and hold the batch (and every ingest after it)
 * forever; now it is refused at the edge (400, the import's rejected list) or dead-lettered by the
 * transformer with its original bytes. Measured on the embedded engine (chDB 26.7):
 * - a lone high surrogate ("\ud800", JSON-escaped by JSON.stringify) fails the insert with
 *   CANNOT_PARSE_ESCAPE_SEQUENCE; a lone low surrogate is stored as invalid UTF-8 (ED B0 80);
 * - a NUL is stored as is, but no source sends one in text on purpose: it means binary garbage;
 * - a 20-million-character string is stored, but one such value is a whole Kafka message's worth;
 * - DateTime64 stored years 1 to 9999 here, but ClickHouse documents 1900 to 2299 (servers are
 *   not all 26.7: docker-compose runs 26.3, not measured), and a year past 9999 (`+010000-…` from
 *   toISOString) fails with CANNOT_PARSE_DATETIME;
 * - integers beyond a column's width wrap silently (2^64 into UInt64 is stored as 384).
 */

/** Characters per text value (ids, titles, names, tags, identities); far above any real title. */
export const MAX_TEXT_LENGTH = 4096

/** DateTime64's documented range, which every server version stores: instants outside it are refused. */
export const EARLIEST_INSTANT = '1900-01-01T00:00:00.000Z'
export const LATEST_INSTANT = '2299-12-31T23:59:59.999Z'
const EARLIEST_MS = Date.parse(EARLIEST_INSTANT)
const LATEST_MS = Date.parse(LATEST_INSTANT)

export const instantInRange = (ms: number): boolean => ms >= EARLIEST_MS && ms <= LATEST_MS

export const OUT_OF_RANGE_INSTANT = `is outside the range orgpulse stores (${EARLIEST_INSTANT.slice(0, 10)} to ${LATEST_INSTANT.slice(0, 10)})`

// in unicode mode a well-formed pair is one code point, so \p{Cs} matches only lone surrogates
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the NUL is the point
const LONE_SURROGATE_OR_NUL = /[\p{Cs}\u0000]/u

// String.prototype.isWellFormed (V8 11.3, Node 20) is native and several times faster than the
// regex; ES2023's lib does not declare it
const isWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed
const fine = (value: string): boolean =>
  value.length <= MAX_TEXT_LENGTH &&
  !value.includes('\u0000') &&
  (isWellFormed ? isWellFormed.call(value) : !LONE_SURROGATE_OR_NUL.test(value))

/** Why a string cannot be stored, or null when it can. */
export function textProblem(value: string): string | null {
  if (fine(value)) return null
  if (value.length > MAX_TEXT_LENGTH) return `is ${value.length} characters long (at most ${MAX_TEXT_LENGTH})`
  const bad = LONE_SURROGATE_OR_NUL.exec(value)
  if (!bad) return null
  const at = bad.index + 1
  if (bad[0] === '\u0000') return `contains a NUL character (at character ${at})`
  const hex = bad[0].charCodeAt(0).toString(16).toUpperCase()
  return `contains a lone UTF-16 surrogate (U+${hex} at character ${at}); send well-formed Unicode`
}

/** true when every string anywhere in `value` is storable; allocates nothing (the sink's hot path) */
function allFine(value: unknown): boolean {
  if (typeof value === 'string') return fine(value)
  if (Array.isArray(value)) {
    for (const v of value) if (!allFine(v)) return false
    return true
  }
  if (value !== null && typeof value === 'object') {
    for (const k in value) if (!allFine((value as Record<string, unknown>)[k])) return false
  }
  return true
}

/** A string schema that refuses what `textProblem` names, as an issue on that field. */
export const storableString = (params?: Parameters<typeof z.string>[0]) =>
  z.string(params).superRefine((value, ctx) => {
    const problem = textProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })

/**
 * Adds an issue for every string anywhere in `value` that cannot be stored. One walk over the
 * whole value, so a field added to a schema later is covered without a rule of its own.
 */
export function checkStorable(value: unknown, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  if (path.length === 0 && allFine(value)) return
  if (typeof value === 'string') {
    const problem = textProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', path, message: problem })
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkStorable(v, ctx, [...path, i])
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkStorable(v, ctx, [...path, k])
  }
}

/**
 * A diagnostic string (a DLQ reason, a message key) made storable: lone surrogates become U+FFFD
 * (as a UTF-8 encoder would write them) and NULs are dropped. Only for text that describes data;
 * data itself is refused, never altered.
 */
export function toStorableText(value: string): string {
  if (
    value.includes('\u0000') === false &&
    (isWellFormed ? isWellFormed.call(value) : !LONE_SURROGATE_OR_NUL.test(value))
  )
    return value
  return value.replace(/\p{Cs}/gu, '\ufffd').replaceAll('\u0000', '')
}
