import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseEnv } from '@orgpulse/contracts'
import { loadDemo } from '@orgpulse/demo'
import {
  type ExportFormat,
  quarterlyExport,
  quarterlyReviewExport,
  type ReviewExportFormat,
} from '../services/api/src/index.ts'
import { openRuntime } from '../services/cli/src/runtime.ts'

export interface ExportBenchFigures {
  people: number
  weeks: number
  director: string
  quarter: string
  loadSeconds: number
  /** RSS once the demo is loaded, before any export */
  baselineRssMb: number
  formats: {
    format: ExportFormat | ReviewExportFormat
    /** a director's org, or the CEO's (the whole company) */
    org: 'director' | 'ceo'
    seconds: number
    bytes: number
    /** the quarterly export's rows per section; the review exports' tables */
    rows: { metrics: number; decisions: number; dependencies: number } | { tables: number }
    /** highest RSS sampled (every 5 ms) while exporting, and its rise over the RSS just before */
    peakRssMb: number
    rssRiseMb: number
    /** the rise while the staged rows stream to the file only (after the metrics are computed and staged) */
    streamRiseMb: number
  }[]
}

/**
 * The runtime's flush gives up after two minutes of pipeline lag, which a shared bench machine
 * under load can take for the 10,000-person year; the load is the setup here, not the figure.
 */
export async function patientFlush(flush: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      return await flush()
    } catch (err) {
      if (!/unprocessed records after/.test((err as Error).message)) throw err
    }
  }
}

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10

/** the last calendar quarter that ends inside the demo's range */
function lastFullQuarter(end: Date): string {
  const y = end.getUTCFullYear()
  const q = Math.floor(end.getUTCMonth() / 3) // the quarter `end` falls in, 0-based; the one before it is complete
  return q === 0 ? `${y - 1}-Q4` : `${y}-Q${q}`
}

/**
 * A 10,000-person (default), 52-week demo company in a temp data dir (embedded chDB), then one quarterly
 * export of the CEO's org (the whole company: the largest export) in each format (the quarterly
 * export's csv/json/parquet and the review's review-zip/xlsx), written to a file as `orgpulse export
 * quarterly` does. Reports time, size and peak RSS per format: the rise must not grow with the size.
 */
export async function benchExport(
  options: { people?: number; weeks?: number } = {},
): Promise<ExportBenchFigures> {
  const people = options.people ?? 10_000
  const weeks = options.weeks ?? 52
  const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-bench-export-'))
  const rt = await openRuntime({ env: parseEnv(process.env), dataDir, logLevel: 'error' })
  try {
    const t0 = performance.now()
    // direct edges: the bulk data only needs to be there; the connector path is measured by its own tests
    const { company } = await loadDemo(
      { ...rt, flush: () => patientFlush(rt.flush) },
      { people, weeks, seed: 1, edges: 'direct' },
    )
    const loadSeconds = (performance.now() - t0) / 1000
    const ceo = company.snapshots[company.snapshots.length - 1]!.people.find((p) => p.manager === '')!.email
    const director = ceo
    const quarter = lastFullQuarter(company.end)
    const baseline = process.memoryUsage().rss
    const formats: ExportBenchFigures['formats'] = []
    // each format for a director's org, then for the whole company: the rise must not grow with the size
    const orgs = [
      { org: 'director' as const, email: company.stories.centralisingDirector },
      { org: 'ceo' as const, email: ceo },
    ]
    for (const format of ['csv', 'json', 'parquet', 'review-zip', 'xlsx'] as const)
      for (const { org, email } of orgs) {
        const out = join(dataDir, `export-${org}.${format}`)
        const before = process.memoryUsage().rss
        let peak = before
        let streamPeak = 0
        const sampler = setInterval(() => {
          const rss = process.memoryUsage().rss
          peak = Math.max(peak, rss)
          streamPeak = Math.max(streamPeak, rss)
        }, 5)
        const start = performance.now()
        let rows: ExportBenchFigures['formats'][number]['rows']
        let streamBase = 0
        const streaming = async (stream: NodeJS.ReadableStream) => {
          streamBase = process.memoryUsage().rss
          streamPeak = streamBase
          await pipeline(stream, createWriteStream(out))
          streamPeak = Math.max(streamPeak, process.memoryUsage().rss)
        }
        if (format === 'review-zip' || format === 'xlsx') {
          const review = await quarterlyReviewExport(rt.client, rt.config, {
            director: email,
            quarter,
            format,
          })
          await streaming(review.stream)
          rows = { tables: review.tables.length }
        } else {
          const result = await quarterlyExport(rt.client, rt.config, { director: email, quarter, format })
          await streaming(result.stream)
          rows = result.rows
        }
        const seconds = (performance.now() - start) / 1000
        clearInterval(sampler)
        peak = Math.max(peak, process.memoryUsage().rss)
        formats.push({
          format,
          org,
          seconds: Math.round(seconds * 100) / 100,
          bytes: statSync(out).size,
          rows,
          peakRssMb: mb(peak),
          rssRiseMb: mb(peak - before),
          streamRiseMb: mb(streamPeak - streamBase),
        })
      }
    return {
      people,
      weeks,
      director,
      quarter,
      loadSeconds: Math.round(loadSeconds),
      baselineRssMb: mb(baseline),
      formats,
    }
  } finally {
    await rt.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// `tsx --conditions=@orgpulse/source bench/export.ts [people] [weeks]` runs it alone
if (import.meta.url === `file://${process.argv[1]}`) {
  benchExport({ people: Number(process.argv[2] ?? 10_000), weeks: Number(process.argv[3] ?? 52) })
    .then((f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`))
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`)
      process.exit(1)
    })
}
