import { createWriteStream, renameSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { ExportFormat } from '@orgpulse/api'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

const FORMATS: readonly string[] = ['csv', 'json', 'parquet', 'review-zip', 'xlsx']

/** `orgpulse export quarterly`: the same file as GET /v1/orgs/{director}/exports/quarterly (see services/api/EXPORTS.md). */
export function registerExportCommands(program: Command, ctx: CommandContext): void {
  program
    .command('export')
    .description('exports for quarterly reviews')
    .command('quarterly')
    .description(
      "one quarter of a director's org: metrics (quarter, previous, change) per org and team, the decision log, the blockers",
    )
    .requiredOption('--org <director-email>', 'the director whose org to export')
    .requiredOption('--quarter <quarter>', 'e.g. 2026-Q3 (calendar quarters, UTC)')
    .option(
      '--format <format>',
      'csv, json (newline-delimited) or parquet; review-zip (one CSV per review table) or xlsx (one sheet per review table)',
      'csv',
    )
    .requiredOption('--out <file>', 'where to write it')
    .action(async (opts: { org: string; quarter: string; format: string; out: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { quarterlyExport, quarterlyReviewExport, isReviewExportFormat } = await import('@orgpulse/api')
        if (!FORMATS.includes(opts.format))
          throw new UserError(`--format must be csv, json, parquet, review-zip or xlsx (got ${opts.format})`)
        const out = resolve(opts.out)
        const partial = `${out}.partial`
        try {
          if (isReviewExportFormat(opts.format)) {
            const review = await quarterlyReviewExport(rt.client, rt.config, {
              director: opts.org,
              quarter: opts.quarter,
              format: opts.format,
            })
            await pipeline(review.stream, createWriteStream(partial))
            renameSync(partial, out)
            io.out(
              `${out}: ${review.report.quarter} review vs ${review.report.base.quarter}, ${review.tables.length} tables (${review.tables.join(', ')})` +
                (review.report.partial.partial
                  ? `; partial quarter through ${review.report.partial.through.slice(0, 10)}`
                  : ''),
            )
            return 0
          }
          const result = await quarterlyExport(rt.client, rt.config, {
            director: opts.org,
            quarter: opts.quarter,
            format: opts.format as ExportFormat,
          })
          // written beside the target and renamed: a failed export never leaves a truncated file under the real name
          await pipeline(result.stream, createWriteStream(partial))
          renameSync(partial, out)
          const r = result.rows
          io.out(
            `${out}: ${result.quarter.label} vs ${result.previous.label}, ${r.metrics} metric rows, ${r.decisions} decisions, ${r.dependencies} dependencies`,
          )
          return 0
        } catch (err) {
          rmSync(partial, { force: true })
          throw err
        }
      })
    })
}
