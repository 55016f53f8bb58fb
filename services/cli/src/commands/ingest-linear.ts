import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'

/** `orgpulse ingest linear`: sync issues, history, cycles and relations of the configured Linear teams. */
export function registerLinearIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('linear')
    .description(
      'sync Linear issues (with history), cycles and blocking relations for the teams in orgpulse.yaml; incremental from the last cursor unless --full. Credentials: LINEAR_API_KEY or LINEAR_OAUTH_TOKEN (names configurable); LINEAR_API_URL overrides the endpoint',
    )
    .option('--full', 'ignore the cursors and resync everything')
    .option('--team <key...>', 'only these Linear team keys')
    .option('--no-relations', 'skip the reconciliation of blocking relations')
    .option('--format <format>', 'output: text or json', 'text')
    .action(
      async (opts: { full?: boolean; team?: string[]; relations: boolean; format: string }, cmd: Command) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const { connectorFor } = await import('@orgpulse/connectors')
          const report = await connectorFor('linear').sync(rt, {
            full: opts.full === true,
            ...(opts.team ? { only: opts.team } : {}),
            relations: opts.relations,
            progress: (p) => io.progress(p.line),
          })
          io.progress(
            `linear: ${report.result.envelopes} records published; waiting until they are queryable…`,
          )
          await rt.flush()
          if (io.isTTY) io.err('')
          if (opts.format === 'json') io.out(JSON.stringify(report.result, null, 2))
          else io.out(report.lines.join('\n'))
          return 0
        })
      },
    )
}
