export interface PullRounds {
  sources: readonly string[]
  everyMs: number
  /** one round, then return */
  once?: boolean
  run(source: string): Promise<{ code: number; detail?: string }>
  log(line: string): void
  /** resolves when the rounds should end (after the run in hand) */
  stopped: Promise<unknown>
  /** what the log lines say is pulling (default `ingest watch`) */
  label?: string
}

/**
 * Runs each source's pull, one after the other, every `everyMs` from the start of one round to
 * the start of the next; a failure is logged and the next source runs. `ingest watch`, `start`
 * and the ingest services all schedule their pulls with it.
 */
export async function pullRounds(options: PullRounds): Promise<{ failedLastRound: boolean }> {
  const label = options.label ?? 'ingest watch'
  let stopping = false
  let wake: (() => void) | undefined
  void options.stopped.then(() => {
    stopping = true
    wake?.()
  })
  const stamp = () => new Date().toISOString()
  let failedLastRound = false
  while (!stopping) {
    const started = Date.now()
    failedLastRound = false
    for (const source of options.sources) {
      if (stopping) break
      options.log(`${stamp()} ${label}: ${source}…`)
      const { code, detail } = await options.run(source)
      if (code !== 0) failedLastRound = true
      options.log(
        `${stamp()} ${label}: ${source} ${code === 0 ? 'done' : `FAILED (exit ${code})${detail ? `: ${detail}` : ''}`}`,
      )
    }
    if (options.once || stopping) break
    const next = started + options.everyMs
    options.log(`${stamp()} ${label}: next round at ${new Date(next).toISOString()}`)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, next - Date.now()))
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
  return { failedLastRound }
}
