import { parseStrictDate } from '@orgpulse/contracts'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

const positiveInt = (v: string, flag: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0)
    throw new UserError(`${flag} must be a positive whole number (got ${v})`)
  return n
}

export function registerDemoCommand(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('load a deterministic synthetic company with planted stories into the data dir')
    .option('--people <n>', 'headcount', '120')
    .option('--weeks <n>', 'weeks of history ending this week', '26')
    .option('--seed <s>', 'random seed: the same seed gives the same company', '1')
    .option('--end <date>', 'the Monday the history ends on (default: this week)')
    .option(
      '--edges <edges>',
      'connectors: through fake Jira/Linear/Google servers and the connectors (default in embedded mode); direct: canonical events straight to the sink (faster for large demos)',
    )
    .action(
      async (
        opts: { people: string; weeks: string; seed: string; end?: string; edges?: string },
        cmd: Command,
      ) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const { loadDemo } = await import('@orgpulse/demo')
          const end = opts.end ? parseStrictDate(opts.end, '--end') : undefined
          if (opts.edges !== undefined && opts.edges !== 'connectors' && opts.edges !== 'direct') {
            throw new UserError(`--edges must be connectors or direct (got ${opts.edges})`)
          }
          const { summary, company } = await loadDemo(
            rt,
            {
              people: positiveInt(opts.people, '--people'),
              weeks: positiveInt(opts.weeks, '--weeks'),
              seed: Number(opts.seed) || 0,
              ...(end ? { end } : {}),
              ...(opts.edges === 'connectors' || opts.edges === 'direct' ? { edges: opts.edges } : {}),
              // only the stories and the range are printed: a direct load holds a week at a time
              retain: false,
            },
            (m) => io.progress(m),
          )
          io.out(`\ndemo loaded: ${summary}`)
          io.out(
            `try: pnpm orgpulse metrics --org ${company.stories.centralisingDirector} --from ${company.start.toISOString().slice(0, 10)} --to ${company.end.toISOString().slice(0, 10)}`,
          )
          return 0
        })
      },
    )
}
