import type { Env } from '@orgpulse/contracts'
import type { Command } from 'commander'
import { type CommandIO, UserError } from './io.ts'
import type { Runtime, RuntimeOptions } from './runtime.ts'

export interface GlobalOptions {
  dataDir: string
  config?: string
  logLevel?: string
}

export type Handler = (rt: Runtime, io: CommandIO, cmd: Command) => Promise<number | undefined>

/**
 * How commands reach a runtime. Locally, each command opens one (or forwards to the running
 * instance that holds the data directory); inside `orgpulse start`, the server's own runtime is used.
 */
export interface CommandContext {
  io: CommandIO
  /** the process's environment, parsed once at its entry point (main.ts) */
  env: Env
  withRuntime(cmd: Command, handler: Handler, options?: Partial<RuntimeOptions>): Promise<void>
  /** the exit code the last handler asked for */
  exitCode: number
  /** runs another command line as the CLI would (its own runtime or forwarding); absent inside a running instance */
  runCommand?(argv: string[]): Promise<number>
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions
}

export function requireOption<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === null || value === '')
    throw new UserError(`missing required option ${flag}`)
  return value
}
