import { type ErrorKind, isOrgpulseError } from '@orgpulse/contracts'
import { CommanderError } from 'commander'
import type { CommandIO } from './io.ts'

/**
 * The one kind → exit code table (HTTP statuses are @orgpulse/http's HTTP_STATUS). Every error
 * exits 1: 2 is taken by commands that finished but refused some records (`ingest decisions`,
 * `ingest watch --once`), which is a result, not an error. A kind that scripts must tell apart
 * gets its own code here.
 */
export const EXIT_CODE: Readonly<Record<ErrorKind, number>> = {
  invalid_input: 1,
  not_found: 1,
  forbidden: 1,
  conflict: 1,
  config: 1,
  upstream: 1,
  unavailable: 1,
}

/** an error nobody raised on purpose: a bug, or a library's failure nothing turned into a kind */
const UNEXPECTED_EXIT = 1

/**
 * Tells the user why a command failed and returns its exit code. Commander has already printed
 * its own usage errors; the stack of an unexpected error is shown only when asked for.
 */
export function reportFailure(io: CommandIO, err: unknown, options: { stack?: boolean } = {}): number {
  if (err instanceof CommanderError) return err.exitCode
  const message = err instanceof Error ? err.message : String(err)
  io.err(`error: ${message}`)
  if (isOrgpulseError(err)) return EXIT_CODE[err.kind]
  if (options.stack && err instanceof Error) io.err(String(err.stack))
  return UNEXPECTED_EXIT
}
