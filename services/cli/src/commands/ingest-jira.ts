import type { SyncProgressLine } from '@orgpulse/connector'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import type { CommandIO } from '../io.ts'
import { UserError } from '../io.ts'

interface JiraIngestOptions {
  full?: boolean
  project?: string[]
  format: string
}

function progressReporter(io: CommandIO): (p: SyncProgressLine) => void {
  // a terminal gets one redrawn line; logs get one structured record per page
  return (p) =>
    p.record && !io.isTTY
      ? io.err(JSON.stringify({ level: 'info', time: new Date().toISOString(), ...p.record }))
      : io.progress(p.line)
}

/** `orgpulse ingest jira [--full] [--project KEY...] [--format text|json]` */
export function registerJiraIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('jira')
    .description(
      'sync Jira issues, changelogs and links from orgpulse.yaml (incremental per project; credentials from the environment)',
    )
    .option('--full', 'ignore the cursors and re-read every issue')
    .option('--project <key...>', 'only these project keys (must be in jira.projects)')
    .option('--format <format>', 'output: text or json', 'text')
    .action(async (opts: JiraIngestOptions, cmd: Command) => {
      if (opts.format !== 'text' && opts.format !== 'json')
        throw new UserError(`--format must be text or json (got "${opts.format}")`)
      await ctx.withRuntime(cmd, async (rt, io) => {
        if (!rt.config.jira) {
          throw new UserError(
            `no jira: section in ${rt.configPath ?? 'orgpulse.yaml (none found)'}; add one with at least jira.projects`,
          )
        }
        const { connectorFor } = await import('@orgpulse/connectors')
        const report = await connectorFor('jira').sync(rt, {
          full: opts.full === true,
          ...(opts.project ? { only: opts.project } : {}),
          progress: progressReporter(io),
        })
        io.progress('jira: records published; waiting until they are queryable…')
        await rt.flush()
        if (io.isTTY) io.progress('')
        if (opts.format === 'json') io.out(JSON.stringify(report.result, null, 2))
        else for (const line of report.lines) io.out(line)
        return 0
      })
    })
}
