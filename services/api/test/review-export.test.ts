import type { Readable } from 'node:stream'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import { FIXTURE } from '../../../packages/review/test/render/fixture.ts'
import { reviewExport } from '../src/exports/review.ts'

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

/** every entry of a zip, read back with yauzl (the reader of yazl's author) */
function unzip(buf: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err)
      const files = new Map<string, string>()
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, s) => {
          if (e || !s) return reject(e)
          bytes(s).then((b) => {
            files.set(entry.fileName, b.toString('utf8'))
            zip.readEntry()
          }, reject)
        })
      })
      zip.on('end', () => resolve(files))
      zip.on('error', reject)
      zip.readEntry()
    })
  })
}

const TABLES = [
  'structure_changes.reorgs',
  'teams.team_change',
  'centralisation.who_decides',
  'shape.load',
  'stability.stability',
]

describe('review-zip', () => {
  it('holds README.txt, coverage.csv and one CSV per section table, values rounded with units', async () => {
    const out = reviewExport(FIXTURE, 'review-zip')
    expect(out.filename).toBe('orgpulse-review-dana-example-com-2026-Q3.zip')
    expect(out.contentType).toBe('application/zip')
    expect(out.tables).toEqual(TABLES)
    const files = await unzip(await bytes(out.stream))
    expect([...files.keys()]).toEqual(['README.txt', 'coverage.csv', ...TABLES.map((t) => `${t}.csv`)])

    const readme = files.get('README.txt')!
    expect(readme).toContain(
      'WARNING: PARTIAL QUARTER. 2026-Q3 is still running: figures cover 45 of its 92 days, through 2026-08-15 (exclusive).',
    )
    expect(readme).toContain(
      '  NO COMPARISON: jira covered 30 of the 91 days of 2026-Q2 (33 %, under 90 %): no comparison with 2026-Q2',
    )

    // hand-computed: 31.46 h → 31.5, change −0.23641 → −24 %; 0.2857 → 29 %, previous 0.25 → 25, change +14
    expect(files.get('structure_changes.reorgs.csv')!.split('\r\n')).toEqual([
      'Team,Re-org,Decision latency (h),Decision latency n,Decision latency 2026-Q2 (h),Decision latency change vs 2026-Q2 (%),Decision latency status,Escalation rate (%),Escalation rate n,Escalation rate 2026-Q2 (%),Escalation rate change vs 2026-Q2 (%),Escalation rate status,coverage enough to compare',
      'Payments,2026-07-20,31.5,14,41.2,-24,ok,29,14,25,14,warn,true',
      'Checkout,2026-07-20,too few (n = 2),2,,,too_few,too few (n = 2),2,,,too_few,true',
      '',
    ])
    // the refused section: no previous, no change, coverage flag false
    expect(files.get('teams.team_change.csv')!.split('\r\n').slice(1, 3)).toEqual([
      'Payments,3,3,,,ok,81,40,,,ok,12.3,3,,,warn,false',
      'Platform,no data,,,,no_data,no data,,,,no_data,no data,,,,no_data,false',
    ])
    expect(files.get('centralisation.who_decides.csv')!.split('\r\n')[2]).toBe(
      'withheld,withheld,,,,withheld,withheld,,,,withheld,withheld,,,,withheld,withheld,,,,withheld,true',
    )
    expect(files.get('coverage.csv')!.split('\r\n')[3]).toBe(
      'teams,jira,2026-04-01,2026-07-01,30,91,33,false,"jira covered 30 of the 91 days of 2026-Q2 (33 %, under 90 %): no comparison with 2026-Q2"',
    )
  })
})

describe('xlsx', () => {
  it('holds a README sheet, a coverage sheet and one sheet per section table, read back with exceljs', async () => {
    const out = reviewExport(FIXTURE, 'xlsx')
    expect(out.filename).toBe('orgpulse-review-dana-example-com-2026-Q3.xlsx')
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load((await bytes(out.stream)) as unknown as ArrayBuffer)
    // sheet names are capped at 31 characters by Excel
    expect(wb.worksheets.map((w) => w.name)).toEqual(['README', 'coverage', ...TABLES])
    const readme = wb.getWorksheet('README')!
    const lines: string[] = []
    readme.eachRow((r) => lines.push(String(r.getCell(1).value)))
    expect(lines.some((l) => l.startsWith('WARNING: PARTIAL QUARTER. 2026-Q3 is still running'))).toBe(true)
    const who = wb.getWorksheet('centralisation.who_decides')!
    const row = (n: number) => (who.getRow(n).values as unknown[]).slice(1)
    expect(row(1).slice(0, 6)).toEqual([
      'Decider',
      'Decisions',
      'Decisions n',
      'Decisions 2026-Q2',
      'Decisions change vs 2026-Q2 (%)',
      'Decisions status',
    ])
    // numbers stay numbers: 0.6136 → 61 (%), change 0.36356 → 36; 1.345 level → 1.35; 2.04 d → 2 (one decimal)
    expect(row(2)).toEqual([
      'dana@example.com',
      27,
      27,
      18,
      50,
      undefined,
      61,
      44,
      45,
      36,
      'critical',
      1.35,
      44,
      1.5,
      -10,
      'warn',
      2,
      27,
      2,
      0,
      undefined,
      true,
    ])
  })
})
