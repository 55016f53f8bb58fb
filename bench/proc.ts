import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** A service as its own process on its built entry point (`pnpm bench` builds first), as in a deployment. */
export function startService(
  service: string,
  env: Record<string, string>,
): ChildProcess & { ready: Promise<void> } {
  const child = spawn(process.execPath, [join(ROOT, 'services', service, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr!.resume()
  // ready once it logs that it runs (pino JSON on stdout) or, for HTTP services, listens
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/service running|Server listening/.test(line)) resolve()
    })
  })
  return Object.assign(child, { ready })
}

/** Samples a process's peak resident set (VmHWM, kB) from /proc until it exits. */
export function peakRss(pid: number): () => number {
  let peak = 0
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak, Number(m[1]))
    } catch {
      // exited
    }
  }
  const timer = setInterval(read, 200)
  return () => {
    read()
    clearInterval(timer)
    return Math.round(peak / 1024)
  }
}

/** CPU time (user + system, all threads) a process has used so far, in seconds, from /proc. */
export function cpuSeconds(pid: number): number {
  // fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s)
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export const stopped = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once('exit', (code) => resolve(code))
    child.kill(signal)
  })

/** Runs a bench section in its own process (chDB: one data directory per process) and returns its JSON. */
export function runSection<T>(
  name: string,
  args: Record<string, string | number | boolean> = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // the workspace packages from their sources, as the sections import services/cli/src
      [
        '--conditions=@orgpulse/source',
        '--import',
        'tsx',
        join(ROOT, 'bench/sections', `${name}.ts`),
        JSON.stringify(args),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
    })
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? ''
      if (code !== 0)
        return reject(new Error(`bench section ${name} exited with ${code}: ${last.slice(0, 500)}`))
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`bench section ${name} printed no result`))
      }
    })
  })
}
