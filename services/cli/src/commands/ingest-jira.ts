import { CursorStore } from '@orgpulse/clickhouse'
// @orgpulse/connector-jira is not a dependency of @orgpulse/cli yet: imported by path until it is
import {
  createJiraClient,
  formatProgress,
  type SyncProgress,
  type SyncResult,
  syncJira,
} from '@orgpulse/connector-jira'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import type { CommandIO } from '../io.ts'
import { UserError } from '../io.ts'

interface JiraIngestOptions {
  full?: boolean
  project?: string[]
  format: string
}

function progressReporter(io: CommandIO): (p: SyncProgress) => void {
  // a terminal gets one redrawn line; logs get one structured record per page
  return (p) =>
    io.isTTY
      ? io.progress(formatProgress(p))
      : io.err(
          JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'jira sync progress', ...p }),
        )
}

function printResult(io: CommandIO, result: SyncResult, format: string): void {
  if (format === 'json') {
    io.out(JSON.stringify(result, null, 2))
    return
  }
  for (const p of result.projects) {
    io.out(
      `jira ${p.project}: ${p.mode} sync (${p.reason}): ${p.issues} issue(s), ${p.histories} change(s)` +
        `${p.changelogsFetched > 0 ? `, ${p.changelogsFetched} long changelog(s) fetched` : ''}` +
        `${p.sprints ? `, ${p.sprints.published} of ${p.sprints.sprints} sprint(s) on ${p.sprints.boards} scrum board(s) snapshotted` : ''}` +
        `; cursor ${p.cursor ?? 'not set'}`,
    )
  }
  io.out(`${result.requests} request(s) to ${result.instance}`)
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
        const config = rt.config.jira
        if (!config) {
          throw new UserError(
            `no jira: section in ${rt.configPath ?? 'orgpulse.yaml (none found)'}; add one with at least jira.projects`,
          )
        }
        const { client, instance } = createJiraClient(config, {
          env: rt.env,
          onRetry: (r) =>
            io.progress(
              `jira: ${r.status} on ${r.method} ${r.path}; retry ${r.attempt} in ${(r.waitMs / 1000).toFixed(1)} s`,
            ),
        })
        const result = await syncJira({
          client,
          bus: rt.bus,
          cursors: new CursorStore(rt.client),
          durable: rt.durable,
          config,
          instance,
          full: opts.full === true,
          ...(opts.project ? { projects: opts.project.map((p) => p.toUpperCase()) } : {}),
          onProgress: progressReporter(io),
        })
        io.progress('jira: records published; waiting until they are queryable…')
        await rt.flush()
        if (io.isTTY) io.progress('')
        printResult(io, result, opts.format)
        return 0
      })
    })
}
