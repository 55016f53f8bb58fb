import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { serviceMain } from '../setup/cli.ts'

export const ROOT = join(import.meta.dirname, '..', '..')

/** The real transformer service as a child process; `onBatch` hears each sink write. */
export function startWorker(
  env: Record<string, string>,
  onBatch: (events: number) => void = () => {},
  /** every stdout and stderr line is appended here too (the evidence when a fault test fails) */
  logFile?: string,
): ChildProcess {
  // one process (node on the built service), so a SIGKILL hits the service itself, not a wrapper
  const child = spawn(process.execPath, [serviceMain('transformer')], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const keep = (line: string): void => {
    if (logFile) appendFileSync(logFile, `${line}\n`)
  }
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line)
    try {
      const entry = JSON.parse(line) as { msg?: string; events?: number }
      if (entry.msg === 'batch written' && entry.events) onBatch(entry.events)
    } catch {
      // not a log line
    }
  })
  // keep the tail of stderr: a worker that dies on its own says why in the test failure
  const tail: string[] = []
  createInterface({ input: child.stderr! }).on('line', (l) => {
    keep(l)
    tail.push(l)
    if (tail.length > 20) tail.shift()
  })
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`worker exited with ${code}:\n${tail.join('\n')}\n`)
  })
  return child
}

export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })

export const decision = (i: number, extra: Record<string, unknown> = {}) => ({
  id: `F-${i}`,
  title: `decision ${i}`,
  raisedBy: `p${i % 50}@x.io`,
  raisedAt: '2026-07-01T09:00:00Z',
  status: 'decided',
  decidedBy: 'm@x.io',
  decidedAt: '2026-07-02T09:00:00Z',
  ...extra,
})
