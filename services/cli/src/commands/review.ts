import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

const FORMATS = ['html', 'pdf', 'json'] as const
type Format = (typeof FORMATS)[number]

/**
 * `orgpulse review`: the quarterly review of a director's org (packages/review buildReview) as one
 * self-contained HTML file, a PDF printed by a local Chromium, or the ReviewReport as JSON.
 */
export function registerReviewCommand(program: Command, ctx: CommandContext): void {
  program
    .command('review')
    .description(
      "the quarterly review of a director's org: structure changes, teams, centralisation, shape, portfolio, stability, each with its coverage",
    )
    .requiredOption('--org <director-email>', 'the director whose org to review')
    .requiredOption(
      '--quarter <quarter>',
      'e.g. 2026-Q3 (calendar quarters, UTC; a running quarter is marked partial)',
    )
    .option(
      '--format <format>',
      'html (one self-contained file), pdf (needs Chromium: CHROMIUM_PATH) or json',
      'html',
    )
    .option('--out <file>', 'where to write it (default: stdout; required for pdf)')
    .action(async (opts: { org: string; quarter: string; format: string; out?: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        if (!FORMATS.includes(opts.format as Format))
          throw new UserError(`--format must be html, pdf or json (got ${opts.format})`)
        const format = opts.format as Format
        if (format === 'pdf' && !opts.out)
          throw new UserError('--format pdf writes a file: give --out <file>')
        const { buildReview, reviewHtml } = await import('@orgpulse/review')
        const report = await buildReview(rt.client, rt.config, { director: opts.org, quarter: opts.quarter })
        let body: string | Buffer
        if (format === 'json') body = `${JSON.stringify(report, null, 2)}\n`
        else if (format === 'html') body = reviewHtml(report)
        else {
          const { reviewPdf } = await import('../pdf.ts')
          body = await reviewPdf(reviewHtml(report), { chromiumPath: ctx.env.CHROMIUM_PATH })
        }
        if (!opts.out) {
          io.out(typeof body === 'string' ? body : body.toString('utf8'))
          return 0
        }
        const out = resolve(opts.out)
        const partial = `${out}.partial`
        try {
          // written beside the target and renamed: a failure never leaves a truncated file under the real name
          writeFileSync(partial, body)
          renameSync(partial, out)
        } catch (err) {
          rmSync(partial, { force: true })
          throw err
        }
        const refused = report.sections.filter((s) => s.refused).map((s) => s.key)
        io.out(
          `${out}: ${report.quarter} review of ${report.orgName}'s org (${report.people} people), ${report.sections.length} sections` +
            (refused.length ? `; no comparison in ${refused.join(', ')}` : '') +
            (report.partial.partial
              ? `; partial quarter through ${report.partial.through.slice(0, 10)}`
              : ''),
        )
        return 0
      })
    })
}
