import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'
import { registerCalendarIngest } from './ingest-calendar.ts'
import { registerJiraIngest } from './ingest-jira.ts'
import { registerLinearIngest } from './ingest-linear.ts'
import { registerWatchIngest } from './ingest-watch.ts'

export function registerIngestCommands(program: Command, ctx: CommandContext): void {
  const ingest = program.command('ingest').description('bring data in from a source')

  ingest
    .command('decisions')
    .description('import decision records from a file or directory (JSON, JSONL, CSV, MADR markdown)')
    .argument('<path>', 'file or directory')
    .option('--format <format>', 'output: text or json', 'text')
    .action(async (path: string, opts: { format: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { importDecisions } = await import('@orgpulse/connector-decisions')
        let result: Awaited<ReturnType<typeof importDecisions>>
        try {
          result = await importDecisions(rt.bus, path)
        } catch (err) {
          throw new UserError(`cannot read ${path}: ${(err as Error).message}`)
        }
        io.progress(`${result.accepted} records published; waiting until they are queryable…`)
        await rt.flush()
        if (opts.format === 'json') {
          io.out(JSON.stringify(result, null, 2))
        } else {
          io.out(`accepted ${result.accepted} decision records from ${result.files} file(s)`)
          for (const n of result.notes) io.out(`  note: ${n}`)
          if (result.rejected.length > 0) {
            io.out(`rejected ${result.rejected.length} record(s) (sent to the dead-letter topic):`)
            for (const r of result.rejected) io.out(`  ${r.file}:${r.line}: ${r.errors.join('; ')}`)
          }
        }
        return result.rejected.length > 0 ? 2 : 0
      })
    })
  registerLinearIngest(ingest, ctx)
  registerCalendarIngest(ingest, ctx)
  registerJiraIngest(ingest, ctx)
  registerWatchIngest(ingest, ctx)
}
