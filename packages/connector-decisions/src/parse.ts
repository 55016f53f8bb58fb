import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import { parse as parseYaml } from 'yaml'

/** One record as read from a file, before validation; `line` is 1-based where the format has lines. */
export interface SourceRecord {
  file: string
  line: number
  /** the record as an object with DESIGN.md's camelCase field names; null when unreadable */
  record: Record<string, unknown> | null
  /** why the record could not be read at all (non-JSON line, broken front matter, ...) */
  error?: string
  /** for MADR: which source each date came from */
  provenance?: Record<string, string>
}

export const DECISION_FILE_EXTENSIONS = ['.json', '.jsonl', '.ndjson', '.csv', '.md', '.markdown']

const camel = (key: string): string => key.trim().replace(/[_-]([a-z])/g, (_, c: string) => c.toUpperCase())

const camelKeys = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]))

/** A file or a directory (recursively, known extensions only, sorted for a stable order). */
export function readDecisionSource(path: string): SourceRecord[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path, { recursive: true, encoding: 'utf8' })
      .filter(
        (f) =>
          DECISION_FILE_EXTENSIONS.includes(extname(f).toLowerCase()) &&
          !/(^|\/)(node_modules|\.git)\//.test(f),
      )
      .sort()
      .flatMap((f) => readDecisionFile(join(path, f)))
  }
  return readDecisionFile(path)
}

export function readDecisionFile(file: string): SourceRecord[] {
  return readDecisionText(file, readFileSync(file, 'utf8'))
}

/** A record together with its original text, which is what a dead letter keeps (and replays). */
export interface SourceRecordWithText {
  record: SourceRecord
  /**
   * The record's own bytes, parseable alone by the format of `file`: a JSONL line; a CSV row under
   * the file's header line; a JSON array element as written; a whole MADR file (or a whole file
   * that could not be split into records at all).
   */
  text: string
}

/** readDecisionSource, each record with its original text */
export function readDecisionSourceWithText(path: string): SourceRecordWithText[] {
  const files = statSync(path).isDirectory()
    ? [...new Set(readDecisionSource(path).map((r) => r.file))]
    : [path]
  return files.flatMap((f) => withText(f, readFileSync(f, 'utf8')))
}

/** the records of one file's text, each with its original text */
export function withText(file: string, raw: string): SourceRecordWithText[] {
  const text = raw.replace(/^\uFEFF/, '')
  const records = readDecisionText(file, text)
  const whole = (record: SourceRecord) => ({ record, text })
  switch (extname(file).toLowerCase()) {
    case '.jsonl':
    case '.ndjson': {
      const lines = text.split(/\r?\n/)
      return records.map((record) => ({ record, text: lines[record.line - 1] ?? text }))
    }
    case '.csv': {
      const rows = csvRows(text)
      if (!rows || rows.length !== records.length) return records.map(whole)
      const header = text.replace(/\r\n?/g, '\n').split('\n', 1)[0] ?? ''
      return records.map((record, i) => ({
        record,
        text: `${header}\n${rows[i]!.raw.replace(/^\n+/, '').replace(/\n$/, '')}\n`,
      }))
    }
    case '.json': {
      const elements = topLevelArrayElements(text)
      if (!elements || elements.length !== records.length) return records.map(whole)
      return records.map((record, i) => ({ record, text: elements[i]! }))
    }
    default:
      return records.map(whole)
  }
}

/**
 * The text of each element of a top-level JSON array, as written; null when the text is not a
 * top-level array (a single object, `{"decisions": [...]}`: the whole file is the record text).
 */
function topLevelArrayElements(text: string): string[] | null {
  let i = text.search(/\S/)
  if (i < 0 || text[i] !== '[') return null
  const out: string[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (i = i + 1; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    if (start < 0 && !/[\s,\]]/.test(c)) start = i
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      if (depth === 0) {
        if (start >= 0) out.push(text.slice(start, i).trimEnd())
        return out
      }
      depth--
    } else if (c === ',' && depth === 0) {
      if (start >= 0) out.push(text.slice(start, i).trimEnd())
      start = -1
    }
  }
  return null
}

/** The records of a decision file's text; the file name says the format. */
export function readDecisionText(file: string, raw: string): SourceRecord[] {
  const text = raw.replace(/^\uFEFF/, '')
  switch (extname(file).toLowerCase()) {
    case '.json':
      return readJson(file, text)
    case '.jsonl':
    case '.ndjson':
      return readJsonLines(file, text)
    case '.csv':
      return readCsv(file, text)
    case '.md':
    case '.markdown':
      return [readMadr(file, text)]
    default:
      return [
        {
          file,
          line: 1,
          record: null,
          error: `unsupported file type ${extname(file) || '(none)'}; use .json, .jsonl, .csv or .md`,
        },
      ]
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function readJson(file: string, text: string): SourceRecord[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    return [{ file, line: 1, record: null, error: `not valid JSON: ${(err as Error).message}` }]
  }
  const items = Array.isArray(data)
    ? data
    : isObject(data) && Array.isArray(data.decisions)
      ? data.decisions
      : [data]
  return items.map((item: unknown, i: number) =>
    isObject(item)
      ? { file, line: i + 1, record: camelKeys(item) }
      : { file, line: i + 1, record: null, error: `item ${i + 1} is not an object` },
  )
}

function readJsonLines(file: string, text: string): SourceRecord[] {
  const out: SourceRecord[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (!line) return
    try {
      const value: unknown = JSON.parse(line)
      out.push(
        isObject(value)
          ? { file, line: i + 1, record: camelKeys(value) }
          : { file, line: i + 1, record: null, error: 'line is JSON but not an object' },
      )
    } catch (err) {
      out.push({ file, line: i + 1, record: null, error: `not valid JSON: ${(err as Error).message}` })
    }
  })
  return out
}

interface CsvRow {
  record: Record<string, string>
  /** the record's text, with the blank lines skipped before it */
  raw: string
  info: { lines: number }
}

function csvRows(text: string): CsvRow[] | null {
  try {
    return parseCsvRows(text)
  } catch {
    return null
  }
}

function parseCsvRows(text: string): CsvRow[] {
  // One kind of line break, so csv-parse's line count is the file's (CRLF is counted twice).
  return parseCsv(text.replace(/\r\n?/g, '\n'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
    relax_column_count: false,
    info: true,
    raw: true,
    // csv-parse's overloads do not model `info`/`raw`, which wrap each record with its position and text.
  }) as unknown as CsvRow[]
}

function readCsv(file: string, text: string): SourceRecord[] {
  let rows: CsvRow[]
  try {
    rows = parseCsvRows(text)
  } catch (err) {
    return [{ file, line: 1, record: null, error: `unreadable CSV: ${(err as Error).message}` }]
  }
  return rows.map((row) => {
    const record: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(row.record)) if (v !== '') record[camel(k)] = v
    return { file, line: startLine(row), record }
  })
}

/**
 * csv-parse reports the line a record ends on; a record with quoted line breaks started as many
 * lines earlier as its own text (without the blank lines before it and its terminator) has breaks.
 */
function startLine(row: CsvRow): number {
  const own = row.raw.replace(/^\n+/, '').replace(/\n$/, '')
  return row.info.lines - (own.match(/\n/g)?.length ?? 0)
}

const MADR_STATUS: Record<string, string> = {
  proposed: 'proposed',
  accepted: 'decided',
  decided: 'decided',
  rejected: 'rejected',
  deprecated: 'reversed',
  reversed: 'reversed',
  withdrawn: 'withdrawn',
  superseded: 'superseded',
}

/**
 * MADR (markdown architecture decision records) with YAML front matter. MADR's `date` is the
 * last-update date, not the decision date, so dates come from explicit orgpulse fields first,
 * then git history, and `date` only as the last resort; `provenance` says which one was used.
 */
export function readMadr(file: string, text: string): SourceRecord {
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text)
  let front: Record<string, unknown> = {}
  const body = fm ? fm[2]! : text
  if (fm) {
    try {
      const parsed: unknown = parseYaml(fm[1]!)
      if (isObject(parsed)) front = camelKeys(parsed)
    } catch (err) {
      return {
        file,
        line: 1,
        record: null,
        error: `front matter is not valid YAML: ${(err as Error).message}`,
      }
    }
  }
  const provenance: Record<string, string> = {}
  const title = (front.title as string | undefined) ?? /^#\s+(.+)$/m.exec(body)?.[1]?.trim()
  if (front.status !== undefined && front.status !== null && scalarText(front.status) === undefined)
    return { file, line: 1, record: null, error: 'front matter status: expected text such as "accepted"' }
  const rawStatus = (
    scalarText(front.status) ??
    /^##?\s*Status\s*\n+\s*(\w+)/im.exec(body)?.[1] ??
    'proposed'
  )
    .toLowerCase()
    .trim()
  const statusWord = rawStatus.split(/\s+/)[0] ?? 'proposed'
  const status = MADR_STATUS[statusWord] ?? statusWord
  const supersededBy = /superseded by\s+(\S+)/i.exec(rawStatus)?.[1]
  const deciders = front.deciders ?? front.decisionMakers
  const firstDecider = Array.isArray(deciders)
    ? deciders[0]
    : typeof deciders === 'string'
      ? deciders.split(',')[0]?.trim()
      : undefined
  if (front.date !== undefined && front.date !== null && scalarText(front.date) === undefined)
    return { file, line: 1, record: null, error: 'front matter date: expected a date such as 2026-07-09' }
  const git = gitHistory(file)
  const madrDate = front.date === undefined || front.date === null ? undefined : asDate(front.date)

  const pick = (
    field: string,
    explicit: unknown,
    fromGit: string | undefined,
    fallback?: string,
  ): string | undefined => {
    if (explicit !== undefined && explicit !== null && explicit !== '') {
      provenance[field] = 'front matter'
      return asDate(explicit)
    }
    if (fromGit) {
      provenance[field] = 'git history'
      return fromGit
    }
    if (fallback) {
      provenance[field] = 'MADR date (last update; no explicit field or git history)'
      return fallback
    }
    return undefined
  }
  const record: Record<string, unknown> = {
    ...front,
    id: front.id ?? basename(file).replace(/\.(md|markdown)$/i, ''),
    title,
    status,
    raisedBy: front.raisedBy ?? git?.author,
    raisedAt: pick('raisedAt', front.raisedAt, git?.created, madrDate),
    updatedAt: pick('updatedAt', front.updatedAt, git?.updated, madrDate),
  }
  // who is to make the call: the explicit field (`expected_decider`), else MADR's first
  // decision-maker, who is named on a proposed record precisely because the call is theirs
  if (
    (front.expectedDecider === undefined || front.expectedDecider === null) &&
    typeof firstDecider === 'string' &&
    firstDecider.trim() !== ''
  ) {
    record.expectedDecider = firstDecider
    provenance.expectedDecider = 'MADR decision-makers (the first one listed)'
  } else if (front.expectedDecider !== undefined && front.expectedDecider !== null)
    provenance.expectedDecider = 'front matter'
  if (status !== 'proposed' && status !== 'withdrawn') {
    record.decidedBy = front.decidedBy ?? firstDecider
    record.decidedAt = pick('decidedAt', front.decidedAt, git?.statusChanged, madrDate)
  }
  if (supersededBy) {
    // links may be a list or a `;`/`,`-separated string; anything else is left for validation to report
    const links: unknown = front.links
    const link = `superseded-by:${supersededBy}`
    if (links === undefined || links === null) record.links = [link]
    else if (Array.isArray(links)) record.links = [...links, link]
    else if (typeof links === 'string') record.links = `${links};${link}`
  }
  delete record.date
  delete record.deciders
  delete record.decisionMakers
  delete record.consulted
  delete record.informed
  return { file, line: 1, record, provenance }
}

/** a front-matter scalar as text; mappings, lists and values without a string form are not text */
const scalarText = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    ? String(v)
    : v instanceof Date && !Number.isNaN(v.getTime())
      ? v.toISOString()
      : undefined
// a non-text date becomes an empty one, which the record schema then rejects as unparseable
const asDate = (v: unknown): string => scalarText(v) ?? ''

interface GitHistory {
  author?: string
  created?: string
  updated?: string
  statusChanged?: string
}

/** First commit (author, date), last commit date, and the last commit that touched the status line. */
function gitHistory(file: string): GitHistory | undefined {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, {
        cwd: dirname(file),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    const log = run(['log', '--follow', '--format=%ae\t%aI', '--', basename(file)])
    if (!log) return undefined
    const lines = log.split('\n')
    const [author, created] = lines[lines.length - 1]!.split('\t')
    const updated = lines[0]!.split('\t')[1]
    const statusLog = run(['log', '--format=%aI', '-G', '^status:', '--', basename(file)])
    const statusChanged = statusLog ? statusLog.split('\n')[0] : undefined
    return {
      ...(author ? { author } : {}),
      ...(created ? { created } : {}),
      ...(updated ? { updated } : {}),
      ...(statusChanged ? { statusChanged } : {}),
    }
  } catch {
    return undefined
  }
}
