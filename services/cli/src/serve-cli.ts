import { loadConfig, OrgpulseError } from '@orgpulse/contracts'
import { setAliases } from '@orgpulse/org'
import type { Command } from 'commander'
import { type CommandContext, globalOptions } from './context.ts'
import { reportFailure } from './exit-codes.ts'
import { bufferIO } from './io.ts'
import type { Runtime } from './runtime.ts'

/**
 * Runs `orgpulse` commands inside the process that holds the data directory, for other CLI
 * processes (the embedded engine allows one process per data dir). Commands run one at a time,
 * in the caller's working directory so relative paths mean what the caller meant, and with the
 * caller's orgpulse.yaml when the command line names one (`--config`; the caller turns its
 * ORGPULSE_CONFIG or ./orgpulse.yaml into that flag): read afresh for each command, as a command
 * of its own would, with the aliases it lists. Without one, the instance's config applies. The
 * in-process pipeline keeps mapping with the instance's config, as the transformer service does
 * in full mode.
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
        // the demo installs its config into the instance's own (the pipeline maps with it): it
        // needs the instance's runtime, and replaces the sections a caller's config could set
        const view = cmd.name() === 'demo' ? rt : await withCallersConfig(rt, globalOptions(cmd).config)
        ctx.exitCode = (await handler(view, io, cmd)) ?? 0
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

/** the runtime as a command naming `configFile` sees it (the file is read in the caller's cwd) */
async function withCallersConfig(rt: Runtime, configFile: string | undefined): Promise<Runtime> {
  if (!configFile) return rt
  const { config, path } = loadConfig(configFile)
  // the config file is the complete alias set, as when the command opens its own runtime
  if (path) await setAliases(rt.client, config.identities.aliases)
  // the instance's own file, unchanged: its runtime as it is (the object the pipeline holds)
  if (path === rt.configPath && JSON.stringify(config) === JSON.stringify(rt.config)) return rt
  return { ...rt, config, configPath: path, demoConfig: false }
}
