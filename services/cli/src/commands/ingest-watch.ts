import { loadConfig, type OrgpulseConfig } from '@orgpulse/contracts'
import { onShutdown } from '@orgpulse/http'
import type { Command } from 'commander'
import { type CommandContext, globalOptions } from '../context.ts'
import { shellLog, UserError } from '../io.ts'

export const WATCHABLE = ['jira', 'linear', 'calendar'] as const
type Watchable = (typeof WATCHABLE)[number]

/** the connectors orgpulse.yaml configures, in a fixed order */
export function configuredSources(config: OrgpulseConfig): Watchable[] {
  const on: Record<Watchable, boolean> = {
    jira: config.jira !== undefined,
    linear: config.linear !== undefined,
    calendar:
      config.calendar !== undefined &&
      (config.calendar.google !== undefined || config.calendar.ics.length > 0),
  }
  return WATCHABLE.filter((s) => on[s])
}

export interface PullRounds {
  sources: readonly Watchable[]
  everyMs: number
  /** one round, then return */
  once?: boolean
  run(source: Watchable): Promise<{ code: number; detail?: string }>
  log(line: string): void
  /** resolves when the rounds should end (after the run in hand) */
  stopped: Promise<unknown>
}

/**
 * Runs `ingest <source>` for each source, one after the other, every `everyMs` from the start of
 * one round to the start of the next; a failure is logged and the next source runs.
 */
export async function pullRounds(options: PullRounds): Promise<{ failedLastRound: boolean }> {
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
      options.log(`${stamp()} ingest watch: ${source}…`)
      const { code, detail } = await options.run(source)
      if (code !== 0) failedLastRound = true
      options.log(
        `${stamp()} ingest watch: ${source} ${code === 0 ? 'done' : `FAILED (exit ${code})${detail ? `: ${detail}` : ''}`}`,
      )
    }
    if (options.once || stopping) break
    const next = started + options.everyMs
    options.log(`${stamp()} ingest watch: next round at ${new Date(next).toISOString()}`)
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

interface WatchOptions {
  every: string
  only?: string[]
  once?: boolean
}

/**
 * `orgpulse ingest watch`: the scheduled pull for full mode (and next to `orgpulse start`): every
 * `--every` minutes it runs `ingest <source>` for each configured connector, exactly as typed by
 * hand (incremental from the cursors, forwarded to a running instance that holds the data dir),
 * one after the other. A failed run is reported and retried next round; SIGTERM/SIGINT stop it
 * after the run in hand.
 */
export function registerWatchIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('watch')
    .description(
      'pull every configured connector (jira, linear, calendar) on a schedule: each round runs `ingest <source>` incrementally, one after the other',
    )
    .option('--every <minutes>', 'minutes from the start of one round to the start of the next', '15')
    .option('--only <source...>', `only these connectors (${WATCHABLE.join(', ')})`)
    .option('--once', 'run one round and exit (exit code 2 when a connector failed): for cron')
    .action(async (opts: WatchOptions, cmd: Command) => {
      const run = ctx.runCommand
      if (!run) throw new UserError('ingest watch runs as its own process: `orgpulse ingest watch`')
      const every = Number(opts.every)
      if (!Number.isFinite(every) || every <= 0)
        throw new UserError(`--every must be a positive number of minutes (got "${opts.every}")`)
      const g = globalOptions(cmd)
      const config = loadConfig(g.config || ctx.env.ORGPULSE_CONFIG).config
      const unknown = (opts.only ?? []).filter((s) => !(WATCHABLE as readonly string[]).includes(s))
      if (unknown.length > 0)
        throw new UserError(
          `--only: unknown connector(s) ${unknown.join(', ')} (use ${WATCHABLE.join(', ')})`,
        )
      const configured = configuredSources(config)
      const sources = opts.only ? configured.filter((s) => opts.only!.includes(s)) : configured
      if (sources.length === 0)
        throw new UserError(
          `nothing to watch: orgpulse.yaml configures none of ${(opts.only ?? WATCHABLE).join(', ')}`,
        )
      const globals = [
        '--data-dir',
        g.dataDir,
        ...(g.logLevel ? ['--log-level', g.logLevel] : []),
        ...(g.config ? ['--config', g.config] : []),
      ]
      const { failedLastRound } = await pullRounds({
        sources,
        everyMs: every * 60_000,
        once: opts.once === true,
        run: async (source) => ({ code: await run([...globals, 'ingest', source]) }),
        log: (line) => ctx.io.err(line),
        stopped: onShutdown('ingest watch', { log: shellLog(ctx.io), timeoutMs: null }).signalled,
      })
      ctx.exitCode = opts.once && failedLastRound ? 2 : 0
    })
}
