import { CsvError, parse } from 'csv-parse/sync'
import type { OrgIssue } from './errors.ts'
import { checkRow, type ParsedInput, type RawPerson, type SourcedRow } from './rows.ts'

/** The fixed shape of an HR export (DESIGN "Inputs with a fixed shape"). */
export const REQUIRED_COLUMNS = ['email', 'name', 'manager_email', 'title'] as const
export const OPTIONAL_COLUMNS = ['employee_id', 'team', 'timezone'] as const
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number]
const KNOWN: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]

interface CsvRecord {
  record: string[]
  info: { lines: number }
}

/**
 * Parses an HR export. Headers are matched case-insensitively and unknown columns are ignored
 * (exports carry many more fields than orgpulse needs); BOM, CRLF and quoted fields (also with
 * embedded line breaks, which come out as '\n') are handled. Rows that are entirely empty
 * (",,,," as spreadsheets write them) are skipped. Problems are returned, not thrown, so
 * validation can report them together.
 */
export function parseHrCsv(text: string): ParsedInput {
  const issues: OrgIssue[] = []
  const rejected = new Set<string>()
  let records: CsvRecord[]
  try {
    // One kind of line break, so line numbers can be derived (see startLine).
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      // csv-parse's overloads do not model `info: true`, which wraps each record with its position.
    }) as unknown as CsvRecord[]
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines
      return {
        rows: [],
        rejected,
        issues: [{ code: 'syntax', ...(line ? { line } : {}), message: `CSV syntax: ${err.message}` }],
      }
    }
    throw err
  }
  const [header, ...body] = records
  if (!header)
    return {
      rows: [],
      rejected,
      issues: [{ code: 'empty', message: 'the file is empty: expected a header and one row per person' }],
    }

  const headerLine = startLine(header)
  const names = header.record.map((h) => h.trim().toLowerCase())
  const index = new Map<Column, number>()
  names.forEach((name, i) => {
    if (!KNOWN.includes(name)) return
    if (index.has(name as Column)) {
      issues.push({ code: 'header', line: headerLine, message: `column "${name}" appears more than once` })
    } else index.set(name as Column, i)
  })
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c))
  if (missing.length > 0) {
    issues.push({
      code: 'header',
      line: headerLine,
      message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header must include ${REQUIRED_COLUMNS.join(',')}; found ${names.join(',')})`,
    })
  }
  if (issues.length > 0) return { rows: [], rejected, issues }
  if (body.length === 0)
    return { rows: [], rejected, issues: [{ code: 'empty', message: 'the file has a header but no people' }] }

  const rows: SourcedRow[] = []
  for (const rec of body) {
    const line = startLine(rec)
    if (rec.record.length !== names.length) {
      // Usually an unquoted comma inside a name or title: better refused than shifted into the wrong column.
      issues.push({
        code: 'fields',
        line,
        message: `expected ${names.length} fields like the header, found ${rec.record.length} (quote values that contain commas)`,
      })
      const email = rec.record[index.get('email')!]?.trim().toLowerCase()
      if (email) rejected.add(email)
      continue
    }
    const raw: RawPerson = {}
    for (const [column, i] of index) raw[column] = rec.record[i] ?? ''
    const row = checkRow(raw, line, { issues, rejected })
    if (row) rows.push(row)
  }
  return { rows, issues, rejected }
}

/**
 * csv-parse reports the line a record ends on; a record with quoted line breaks started as many
 * lines earlier as its fields hold line breaks (all are '\n' after normalisation).
 */
function startLine(rec: CsvRecord): number {
  const newlines = rec.record.reduce((n, field) => n + field.split('\n').length - 1, 0)
  return rec.info.lines - newlines
}
