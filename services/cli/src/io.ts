import { OrgpulseError } from '@orgpulse/contracts'
import type { ShellLog } from '@orgpulse/http'
/** Where a command writes: the terminal, or a buffer when a running instance executes it for a client. */
export interface CommandIO {
  out(text: string): void
  err(text: string): void
  /** progress lines: a TTY redraws them; elsewhere they are structured log lines */
  progress(text: string): void
  isTTY: boolean
}

export const consoleIO = (): CommandIO => ({
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  progress: (t) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${t}`)
    else
      process.stderr.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: t })}\n`)
  },
  isTTY: Boolean(process.stdout.isTTY),
})

export function bufferIO(): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => stderr.push(t.endsWith('\n') ? t : `${t}\n`),
    progress: (t) => stderr.push(`${t}\n`),
    isTTY: false,
  }
}

/** A command line the command cannot act on (a bad flag value, a missing option). */
export class UserError extends OrgpulseError {
  constructor(message: string) {
    super('invalid_input', message)
  }
}

/**
 * The process shell's lines for a command that waits for Ctrl-C: the command says "stopping…"
 * itself, so only a forced exit is written.
 */
export const shellLog = (io: CommandIO): ShellLog => ({ info: () => {}, error: (m) => io.err(m) })
