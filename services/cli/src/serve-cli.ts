import { OrgpulseError } from '@orgpulse/contracts'
import type { Command } from 'commander'
import type { CommandContext } from './context.ts'
import { reportFailure } from './exit-codes.ts'
import { bufferIO } from './io.ts'
import type { Runtime } from './runtime.ts'

/**
 * Runs `orgpulse` commands inside the process that holds the data directory, for other CLI
 * processes (the embedded engine allows one process per data dir). Commands run one at a time,
 * in the caller's working directory so relative paths mean what the caller meant.
 */
export function cliRunner(
  rt: Runtime,
  /** the CLI's program (passed in: the program registers the command that calls this) */
  buildProgram: (ctx: CommandContext) => Command,
): (argv: string[], cwd: string) => Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let tail: Promise<unknown> = Promise.resolve()
  const runOne = async (argv: string[], cwd: string) => {
    const io = bufferIO()
    const ctx: CommandContext = {
      io,
      env: rt.env,
      exitCode: 0,
      async withRuntime(cmd, handler) {
        if (cmd.name() === 'start')
          throw new OrgpulseError('conflict', `orgpulse is already running on ${rt.dataDir}`)
        ctx.exitCode = (await handler(rt, io, cmd)) ?? 0
      },
    }
    const previous = process.cwd()
    try {
      process.chdir(cwd)
      await buildProgram(ctx).exitOverride().parseAsync(argv, { from: 'user' })
    } catch (err) {
      ctx.exitCode = reportFailure(io, err)
    } finally {
      process.chdir(previous)
    }
    return { exitCode: ctx.exitCode, stdout: io.stdout.join(''), stderr: io.stderr.join('') }
  }
  return (argv, cwd) => {
    const next = tail.then(() => runOne(argv, cwd))
    tail = next.catch(() => {})
    return next
  }
}
