import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ReviewReport, reviewReportSchema } from '@orgpulse/review'
import ExcelJS from 'exceljs'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLI_MAIN, orgpulseIn } from '../setup/cli.ts'

/**
 * `orgpulse review` and `export quarterly --format review-zip|xlsx` as a user runs them, on a small
 * demo ending 2026-11-30: 2026-Q3 is complete, 2026-Q4 still running (partial).
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-review-'))
const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work })
let director = ''
let json: ReviewReport

beforeAll(async () => {
  const demo = await orgpulse(
    'demo',
    '--people',
    '40',
    '--weeks',
    '30',
    '--edges',
    'direct',
    '--end',
    '2026-11-30',
  )
  expect(demo.code, demo.stderr).toBe(0)
  director = /--org (\S+)/.exec(demo.stdout)![1]!
  const r = await orgpulse(
    'review',
    '--org',
    director,
    '--quarter',
    '2026-Q3',
    '--format',
    'json',
    '--out',
    'q3.json',
  )
  expect(r.code, r.stderr).toBe(0)
  json = reviewReportSchema.parse(JSON.parse(readFileSync(join(work, 'q3.json'), 'utf8')))
}, 600_000)

describe('orgpulse review', () => {
  it('--format json writes the ReviewReport of the quarter, complete and compared with Q2', () => {
    expect(json.org).toBe(director)
    expect(json.quarter).toBe('2026-Q3')
    expect(json.base.quarter).toBe('2026-Q2')
    expect(json.partial.partial).toBe(false)
    expect(json.sections.map((s) => s.key)).toEqual([
      'structure_changes',
      'teams',
      'centralisation',
      'shape',
      'portfolio',
      'stability',
    ])
  })

  it('--format json to stdout is whole through a shell pipe, past the 64 KiB the pipe holds', async () => {
    // a real pipe (`| cat`), not the socket pair execFile gives a child: exiting before stdout
    // drained cut the report off at exactly 65,536 bytes
    const piped = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'sh',
        [
          '-c',
          `"${process.execPath}" "${CLI_MAIN}" --data-dir "${join(work, 'data')}" review --org "${director}" --quarter 2026-Q3 --format json | cat`,
        ],
        {
          cwd: work,
          env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: '' },
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    )
    expect(piped.code, piped.stderr).toBe(0)
    expect(readFileSync(join(work, 'q3.json'), 'utf8').length).toBeGreaterThan(65_536)
    const report = reviewReportSchema.parse(JSON.parse(piped.stdout))
    // the same report but for the time it was generated at
    expect({ ...report, generatedAt: '' }).toEqual({ ...json, generatedAt: '' })
  })

  it('--format html (to stdout and to a file) is the self-contained report; a running quarter carries the banner', async () => {
    const stdout = await orgpulse('review', '--org', director, '--quarter', '2026-Q3')
    expect(stdout.code, stdout.stderr).toBe(0)
    expect(stdout.stdout.startsWith('<!doctype html>')).toBe(true)
    expect(stdout.stdout).not.toContain('data-partial')
    const file = await orgpulse('review', '--org', director, '--quarter', '2026-Q4', '--out', 'q4.html')
    expect(file.code, file.stderr).toBe(0)
    expect(file.stdout).toMatch(
      /q4\.html: 2026-Q4 review of .*, 6 sections.*; partial quarter through 2026-1[12]-\d\d/,
    )
    const html = readFileSync(join(work, 'q4.html'), 'utf8')
    expect(html).toContain('data-partial="true"')
    expect(html).not.toMatch(/\b(src|href)="https?:/)
  })

  it('--format pdf prints with Chromium and needs --out; an unknown format is refused', async () => {
    const pdf = await orgpulse(
      'review',
      '--org',
      director,
      '--quarter',
      '2026-Q3',
      '--format',
      'pdf',
      '--out',
      'q3.pdf',
    )
    expect(pdf.code, pdf.stderr).toBe(0)
    expect(readFileSync(join(work, 'q3.pdf')).subarray(0, 5).toString()).toBe('%PDF-')
    const none = await orgpulseIn({ dataDir: join(work, 'data'), cwd: work })(
      'review',
      '--org',
      director,
      '--quarter',
      '2026-Q3',
      '--format',
      'pdf',
    )
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('--format pdf writes a file: give --out <file>')
    const bad = await orgpulse('review', '--org', director, '--quarter', '2026-Q3', '--format', 'docx')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--format must be html, pdf or json (got docx)')
  })

  it('export quarterly --format review-zip|xlsx writes one table per section table', async () => {
    const tables = json.sections.flatMap((s) => s.tables.map((t) => `${s.key}.${t.key}`))
    const zip = await orgpulse(
      'export',
      'quarterly',
      '--org',
      director,
      '--quarter',
      '2026-Q3',
      '--format',
      'review-zip',
      '--out',
      'q3.zip',
    )
    expect(zip.code, zip.stderr).toBe(0)
    expect(zip.stdout).toContain(`${tables.length} tables (${tables.join(', ')})`)
    expect(readFileSync(join(work, 'q3.zip')).subarray(0, 2).toString()).toBe('PK')
    const xlsx = await orgpulse(
      'export',
      'quarterly',
      '--org',
      director,
      '--quarter',
      '2026-Q3',
      '--format',
      'xlsx',
      '--out',
      'q3.xlsx',
    )
    expect(xlsx.code, xlsx.stderr).toBe(0)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.readFile(join(work, 'q3.xlsx'))
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      'README',
      'coverage',
      ...tables.map((t) => t.slice(0, 31)),
    ])
    expect(existsSync(join(work, 'q3.xlsx.partial'))).toBe(false)
  })
})
