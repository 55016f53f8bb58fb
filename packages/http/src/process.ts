/**
 * The one start/stop shell of an orgpulse process. A service's entry point hands `runProcess`
 * a function that starts its parts and returns them in start order; the shell turns the first
 * SIGTERM/SIGINT into stopping them in reverse order (the HTTP server before the bus it
 * publishes to, the bus before the ClickHouse client the sink writes with) and exits 0. A second
 * signal, or a part that does not stop within the timeout, forces the process out with exit 1
 * and a line naming what had not stopped: an orchestrator's SIGKILL would say nothing.
 */

/** One thing a process started and must stop, named for the shutdown log. */
export interface Stoppable {
  name: string
  stop(): unknown
}

/** Where the shell says what it does: a pino or fastify logger fits, as does a line writer. */
export interface ShellLog {
  info(msg: string): void
  error(msg: string): void
}

export interface ShutdownOptions {
  /** default: lines on stderr */
  log?: ShellLog
  /**
   * from the first signal, how long the parts get to stop before the process is forced out;
   * null: no limit (a CLI command whose run in hand may take minutes; a second Ctrl-C still forces)
   */
  timeoutMs?: number | null
  /** for tests; default process.exit */
  exit?: (code: number) => void
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

export const stderrLog = (name: string): ShellLog => ({
  info: (msg) => process.stderr.write(`${name}: ${msg}\n`),
  error: (msg) => process.stderr.write(`${name}: ${msg}\n`),
})

export interface Shutdown {
  /** resolves with the first SIGTERM or SIGINT */
  readonly signalled: Promise<string>
  /**
   * Stops `parts` in reverse order (each awaited), under the second-signal and timeout guard
   * armed by the first signal. A part that throws is logged and the rest still stop; resolves
   * false when one did.
   */
  stop(parts: readonly Stoppable[]): Promise<boolean>
}

/**
 * Listens for the shutdown signals. For code that decides itself when it ends (a CLI command
 * that waits for Ctrl-C, then returns its exit code); a service main uses `runProcess`.
 */
export function onShutdown(name: string, options: ShutdownOptions = {}): Shutdown {
  const log = options.log ?? stderrLog(name)
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
  // what has not stopped yet, in the order it will be stopped; empty until stop() is called
  let remaining: string[] = []
  let first: string | null = null
  const force = (why: string) => {
    const what = remaining.length > 0 ? remaining.join(', ') : 'the work in hand'
    log.error(`${why}: forced exit; not stopped: ${what}`)
    exit(1)
  }
  let resolveSignalled: (signal: string) => void = () => {}
  const signalled = new Promise<string>((resolve) => {
    resolveSignalled = resolve
  })
  const onSignal = (signal: string) => {
    if (first !== null) return force(`second ${signal} while stopping`)
    first = signal
    log.info(`${signal}: stopping`)
    // a hung part must not keep the process alive past the timeout, nor the timer keep it alive
    if (timeoutMs !== null)
      setTimeout(() => force(`not stopped ${timeoutMs} ms after ${signal}`), timeoutMs).unref()
    resolveSignalled(signal)
  }
  for (const s of SIGNALS) process.on(s, onSignal)
  return {
    signalled,
    async stop(parts) {
      const order = [...parts].reverse()
      remaining = order.map((p) => p.name)
      let clean = true
      for (const part of order) {
        try {
          await part.stop()
        } catch (err) {
          clean = false
          log.error(`${part.name} failed to stop: ${(err as Error).message}`)
        }
        remaining = remaining.slice(1)
      }
      return clean
    },
  }
}

/**
 * Runs a service: `start` brings its parts up and returns them in start order. A start failure
 * is logged and exits 1 (after stopping nothing: what started is the process's own). The first
 * signal stops the parts in reverse order and exits 0 (1 if one failed to stop); a signal that
 * arrives while starting waits for the start to finish, then stops what it started.
 */
export function runProcess(
  name: string,
  start: () => Promise<readonly Stoppable[]>,
  options: ShutdownOptions = {},
): void {
  const log = options.log ?? stderrLog(name)
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const shutdown = onShutdown(name, { ...options, log, exit })
  const started = start()
  started.then(
    async (parts) => {
      await shutdown.signalled
      const clean = await shutdown.stop(parts)
      if (clean) log.info('stopped cleanly')
      exit(clean ? 0 : 1)
    },
    (err: unknown) => {
      log.error(`failed to start: ${err instanceof Error ? err.message : String(err)}`)
      exit(1)
    },
  )
}
