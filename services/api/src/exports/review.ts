import { PassThrough, Readable } from 'node:stream'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import type { Viewer } from '@orgpulse/metrics'
import {
  buildReview,
  cellStatus,
  cellText,
  coverageText,
  emptyWords,
  isNumericUnit,
  partialWarning,
  type ReviewCell,
  type ReviewColumn,
  type ReviewReport,
  type ReviewSection,
  type ReviewTable,
  roundFor,
  UNIT_SUFFIX,
} from '@orgpulse/review'
import ExcelJS from 'exceljs'
import yazl from 'yazl'
import { exportMetricsCache } from './quarterly.ts'

/** the review formats of `export quarterly` (the other three are quarterlyExport's) */
export type ReviewExportFormat = 'review-zip' | 'xlsx'
export const REVIEW_EXPORT_FORMATS: readonly ReviewExportFormat[] = ['review-zip', 'xlsx']
export const isReviewExportFormat = (f: string): f is ReviewExportFormat =>
  (REVIEW_EXPORT_FORMATS as readonly string[]).includes(f)

const CONTENT_TYPES: Record<ReviewExportFormat, { contentType: string; extension: string }> = {
  'review-zip': { contentType: 'application/zip', extension: 'zip' },
  xlsx: {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extension: 'xlsx',
  },
}

export interface ReviewExport {
  filename: string
  contentType: string
  /** `section.table` of every table written, in order */
  tables: string[]
  stream: Readable
}

type Value = string | number | boolean | null

/** one exported table: the header row and the rows, values rounded by unit */
export interface ExportTable {
  name: string
  header: string[]
  rows: Value[][]
}

const unitLabel = (c: ReviewColumn) => (UNIT_SUFFIX[c.unit] ? ` (${UNIT_SUFFIX[c.unit]})` : '')

/**
 * A review table as rows for a spreadsheet: a numeric column becomes its rounded value (the unit
 * in the header; an empty figure as its words: "too few (n = 2)", "no data", "withheld"), its n,
 * the previous period's value, the relative change in whole percent and the status; text columns
 * stay one column. Every row carries whether the section's sources cover enough to compare; a
 * refused section exports no previous value and no change.
 */
export function exportTable(report: ReviewReport, s: ReviewSection, t: ReviewTable): ExportTable {
  const refused = s.refused !== null
  const base = report.base.quarter
  const header: string[] = []
  for (const c of t.columns) {
    if (!isNumericUnit(c.unit)) {
      header.push(c.title)
      continue
    }
    header.push(
      `${c.title}${unitLabel(c)}`,
      `${c.title} n`,
      `${c.title} ${base}${unitLabel(c)}`,
      `${c.title} change vs ${base} (%)`,
      `${c.title} status`,
    )
  }
  header.push('coverage enough to compare')
  const enough = !refused && s.coverage.every((c) => c.enough)
  const rows = t.rows.map((r) => {
    const out: Value[] = []
    for (const c of t.columns) {
      const cell: ReviewCell | undefined = r[c.key]
      if (!isNumericUnit(c.unit)) {
        out.push(
          cell?.value === null || cell?.value === undefined ? emptyWords(cell ?? {}) : String(cell.value),
        )
        continue
      }
      const value = typeof cell?.value === 'number' ? roundFor(c.unit, cell.value) : cellText(c, cell)
      const previous = !refused && typeof cell?.previous === 'number' ? roundFor(c.unit, cell.previous) : null
      const change =
        !refused && typeof cell?.change === 'number' && Number.isFinite(cell.change)
          ? Math.round(cell.change * 100)
          : null
      const status = cellStatus(cell)
      out.push(value, cell?.sample ?? null, previous, change, status === 'none' ? '' : status)
    }
    out.push(enough)
    return out
  })
  return { name: `${s.key}.${t.key}`, header, rows }
}

export function exportTables(report: ReviewReport): ExportTable[] {
  return report.sections.flatMap((s) => s.tables.map((t) => exportTable(report, s, t)))
}

/** what the README file / sheet says: the org, the periods, the partial-quarter warning, each section's coverage and refusal */
export function readmeLines(report: ReviewReport): string[] {
  const warning = partialWarning(report)
  const lines = [
    `Quarterly review: ${report.orgName} (${report.org}), ${report.quarter}`,
    `Quarter measured: ${report.window.from.slice(0, 10)} → ${report.window.to.slice(0, 10)} (end exclusive); compared with ${report.base.quarter} (${report.base.from.slice(0, 10)} → ${report.base.to.slice(0, 10)})`,
    `Generated ${report.generatedAt}; ${report.people} people; groups under ${report.minGroupSize} people are not shown`,
  ]
  if (warning) lines.push(`WARNING: PARTIAL QUARTER. ${warning}`)
  lines.push(
    'Values are rounded by unit (in each column header); change is relative to the base quarter in whole percent; status is against the catalog thresholds.',
    '',
  )
  for (const s of report.sections) {
    lines.push(`${s.title} — ${s.question}`)
    for (const c of s.coverage) lines.push(`  coverage: ${coverageText(c)}`)
    if (s.coverage.length === 0) lines.push('  coverage: no source connected for this section')
    if (s.refused) lines.push(`  NO COMPARISON: ${s.refused}`)
    for (const t of s.tables)
      lines.push(
        `  table ${s.key}.${t.key}: ${t.title}${t.comparison && !s.refused ? ` (${t.comparison})` : ''}`,
      )
    for (const n of s.notes) lines.push(`  note: ${n}`)
    lines.push('')
  }
  return lines
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled */
function csvField(v: Value): string {
  if (v === null) return ''
  const s = String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

function* csvLines(t: ExportTable): Generator<string> {
  yield `${t.header.map(csvField).join(',')}\r\n`
  for (const r of t.rows) yield `${r.map(csvField).join(',')}\r\n`
}

const coverageTable = (report: ReviewReport): ExportTable => ({
  name: 'coverage',
  header: [
    'section',
    'source',
    'from',
    'to',
    'days covered',
    'days',
    'share (%)',
    'enough to compare',
    'refused',
  ],
  rows: report.sections.flatMap((s) =>
    s.coverage.map((c): Value[] => [
      s.key,
      c.source,
      c.period.from.slice(0, 10),
      c.period.to.slice(0, 10),
      c.daysCovered,
      c.days,
      c.share === null ? null : Math.round(c.share * 100),
      c.enough,
      s.refused ?? '',
    ]),
  ),
})

/**
 * The review as files a spreadsheet opens: `review-zip` is README.txt, coverage.csv and one CSV per
 * section table (`section.table.csv`); `xlsx` the same as worksheets. Both are written as a stream
 * (yazl's zip stream, exceljs's streaming WorkbookWriter committing row by row): nothing holds the
 * whole file.
 */
export function reviewExport(report: ReviewReport, format: ReviewExportFormat): ReviewExport {
  const tables = exportTables(report)
  const kind = CONTENT_TYPES[format]
  const filename = `orgpulse-review-${report.org.replace(/[^a-z0-9]+/g, '-')}-${report.quarter}.${kind.extension}`
  const stream = format === 'review-zip' ? zipStream(report, tables) : xlsxStream(report, tables)
  return { filename, contentType: kind.contentType, tables: tables.map((t) => t.name), stream }
}

function zipStream(report: ReviewReport, tables: ExportTable[]): Readable {
  const zip = new yazl.ZipFile()
  const mtime = new Date(report.generatedAt)
  zip.addReadStream(Readable.from([`${readmeLines(report).join('\r\n')}\r\n`]), 'README.txt', { mtime })
  zip.addReadStream(Readable.from(csvLines(coverageTable(report))), 'coverage.csv', { mtime })
  for (const t of tables) zip.addReadStream(Readable.from(csvLines(t)), `${t.name}.csv`, { mtime })
  zip.end()
  return zip.outputStream as Readable
}

/** Excel limits a sheet name to 31 characters without []:*?/\ and unique per workbook */
function sheetName(name: string, used: Set<string>): string {
  const clean = name.replace(/[[\]:*?/\\]/g, '_').slice(0, 31)
  let n = clean
  for (let i = 2; used.has(n.toLowerCase()); i++) n = `${clean.slice(0, 31 - String(i).length - 1)}~${i}`
  used.add(n.toLowerCase())
  return n
}

function xlsxStream(report: ReviewReport, tables: ExportTable[]): Readable {
  const out = new PassThrough()
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  })
  workbook.created = new Date(report.generatedAt)
  const used = new Set<string>()
  const write = async () => {
    const readme = workbook.addWorksheet(sheetName('README', used))
    readme.getColumn(1).width = 120
    const warning = partialWarning(report)
    for (const line of readmeLines(report)) {
      const row = readme.addRow([line])
      if (warning && line.startsWith('WARNING')) row.font = { bold: true, color: { argb: 'FFA3281A' } }
      row.commit()
    }
    readme.commit()
    for (const t of [coverageTable(report), ...tables]) {
      const sheet = workbook.addWorksheet(sheetName(t.name, used))
      const head = sheet.addRow(t.header)
      head.font = { bold: true }
      head.commit()
      for (const r of t.rows) sheet.addRow(r).commit()
      sheet.commit()
    }
    await workbook.commit()
  }
  write().catch((err: unknown) => out.destroy(err as Error))
  return out
}

/** `export quarterly --format review-zip|xlsx`: builds the review (packages/review) and renders it */
export async function quarterlyReviewExport(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  request: { director: string; quarter: string; format: ReviewExportFormat; viewer?: Viewer; now?: Date },
): Promise<ReviewExport & { report: ReviewReport }> {
  const report = await buildReview(client, config, {
    director: request.director,
    quarter: request.quarter,
    ...(request.viewer ? { viewer: request.viewer } : {}),
    ...(request.now ? { now: request.now } : {}),
    metricsCache: exportMetricsCache(client),
  })
  return { ...reviewExport(report, request.format), report }
}
