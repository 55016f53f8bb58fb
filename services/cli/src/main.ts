#!/usr/bin/env node
import { existsSync } from 'node:fs'
import { type Env, loadConfig, OrgpulseError, parseEnv } from '@orgpulse/contracts'
import type { Command } from 'commander'
import { type CommandContext, globalOptions, type Handler } from './context.ts'
import { reportFailure } from './exit-codes.ts'
import { forwardCommand } from './forward.ts'
import { consoleIO } from './io.ts'
import { readLiveLock } from './lock.ts'
import { buildProgram } from './program.ts'
import type { RuntimeOptions } from './runtime.ts'

/** Commands that must run here even when an instance holds the data dir. */
const LOCAL_ONLY = new Set(['start'])

async function forward(
  url: string,
  secret: string,
  argv: string[],
  io: CommandContext['io'],
): Promise<number> {
  const out = await forwardCommand(url, secret, { argv, cwd: process.cwd() })
  // progress and warnings first, as they would have appeared while the command ran
  if (out.stderr) io.err(out.stderr)
  if (out.stdout) process.stdout.write(out.stdout)
  return out.exitCode
}

/**
 * The config a forwarded command must run with is the caller's: its `--config` travels in argv
 * (resolved in the caller's cwd by the instance); ORGPULSE_CONFIG and ./orgpulse.yaml, which the
 * instance cannot see, become that flag. It is loaded here first, so a config error is the
 * caller's error before anything runs. Nothing given: the instance's config.
 */
function withConfigFlag(argv: string[], flag: string | undefined, env: Env): string[] {
  const chosen = flag || env.ORGPULSE_CONFIG || (existsSync('orgpulse.yaml') ? 'orgpulse.yaml' : '')
  if (!chosen) return argv
  const { path } = loadConfig(chosen)
  return flag || !path ? argv : ['--config', path, ...argv]
}

async function main(argv: string[], env: Env): Promise<number> {
  const io = consoleIO()
  const ctx: CommandContext = {
    io,
    env,
    exitCode: 0,
    runCommand: (next) => main(next, env),
    async withRuntime(cmd: Command, handler: Handler, options: Partial<RuntimeOptions> = {}) {
      const g = globalOptions(cmd)
      const lock = env.KAFKA_BROKERS.length > 0 ? null : readLiveLock(g.dataDir)
      if (lock && !LOCAL_ONLY.has(cmd.name())) {
        ctx.exitCode = await forward(lock.url, lock.secret, withConfigFlag(argv, g.config, env), io)
        return
      }
      if (lock) {
        throw new OrgpulseError(
          'conflict',
          `${g.dataDir} is in use by orgpulse (pid ${lock.pid}, ${lock.url}); stop it or use another --data-dir`,
        )
      }
      // the runtime's graph (engine, bus, pipeline) is loaded only by a command that runs here
      const { openRuntime } = await import('./runtime.ts')
      const rt = await openRuntime({
        env,
        dataDir: g.dataDir,
        configPath: g.config,
        logLevel: g.logLevel,
        ...options,
      })
      try {
        ctx.exitCode = (await handler(rt, io, cmd)) ?? 0
      } finally {
        await rt.close()
      }
    },
  }
  const program = buildProgram(ctx).exitOverride()
  try {
    await program.parseAsync(argv, { from: 'user' })
    return ctx.exitCode
  } catch (err) {
    return reportFailure(io, err, { stack: env.LOG_LEVEL === 'debug' })
  }
}

/** the one read of the environment in this process: everything below gets the parsed values */
function environment(): Env {
  try {
    return parseEnv(process.env)
  } catch (err) {
    process.exit(reportFailure(consoleIO(), err))
  }
}

/**
 * Resolves once everything written to the stream so far has been handed to the OS: exiting
 * before that cut `orgpulse review --format json | jq` off at the pipe's 64 KiB.
 */
const drained = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    if (stream.writableLength === 0) resolve()
    else stream.write('', () => resolve())
  })

main(process.argv.slice(2), environment()).then(
  async (code) => {
    await Promise.all([drained(process.stdout), drained(process.stderr)])
    process.exit(code)
  },
  (err) => {
    process.stderr.write(`fatal: ${String(err)}\n`)
    process.exit(1)
  },
)
