import { loadConfig, type OrgpulseConfig } from '@orgpulse/contracts'
import type { Command } from 'commander'
import { type CommandContext, globalOptions } from '../context.ts'
import { shellLog, UserError } from '../io.ts'

// the registry loads every connector: only a command that pulls pays for it (`--help` stays fast)
const registry = () => import('@orgpulse/connectors')

/** the connectors orgpulse.yaml configures, in pull order */
export const configuredSources = async (config: OrgpulseConfig): Promise<string[]> =>
  (await registry()).configuredConnectors(config).map((c) => c.source)

/** the round's step that sends the weekly digests that are due (`digest send --due`) */
export const DIGEST_ROUND = 'digest'

/** the round's step that syncs the org from the HR source when hr.every has passed (`org sync --due`) */
export const HR_ROUND = 'org-sync'

interface WatchOptions {
  every: string
  only?: string[]
  once?: boolean
}

/**
 * `orgpulse ingest watch`: the scheduled pull from one process (next to `orgpulse start`, or from
 * cron; in full mode each ingest service pulls its own connector instead): every
 * `--every` minutes it runs `ingest <source>` for each configured connector, exactly as typed by
 * hand (incremental from the cursors, forwarded to a running instance that holds the data dir),
 * one after the other, then, when orgpulse.yaml configures digest.directors (and no --only),
`digest send --due`, and with `hr:` `org sync --due` (every hr.every minutes). A failed run is reported and retried next round; SIGTERM/SIGINT stop it
 * after the run in hand.
 */
export function registerWatchIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('watch')
    .description(
      'pull every configured connector (jira, linear, calendar) on a schedule: each round runs `ingest <source>` incrementally, one after the other',
    )
    .option('--every <minutes>', 'minutes from the start of one round to the start of the next', '15')
    .option('--only <source...>', 'only these of the connectors it pulls')
    .option('--once', 'run one round and exit (exit code 2 when a connector failed): for cron')
    .action(async (opts: WatchOptions, cmd: Command) => {
      const run = ctx.runCommand
      if (!run) throw new UserError('ingest watch runs as its own process: `orgpulse ingest watch`')
      const every = Number(opts.every)
      if (!Number.isFinite(every) || every <= 0)
        throw new UserError(`--every must be a positive number of minutes (got "${opts.every}")`)
      const { PULLED, pullRounds } = await registry()
      const { onShutdown } = await import('@orgpulse/http')
      const WATCHABLE: string[] = PULLED.map((c) => c.source)
      const g = globalOptions(cmd)
      const config = loadConfig(g.config || ctx.env.ORGPULSE_CONFIG).config
      const unknown = (opts.only ?? []).filter((s) => !WATCHABLE.includes(s))
      if (unknown.length > 0)
        throw new UserError(
          `--only: unknown connector(s) ${unknown.join(', ')} (use ${WATCHABLE.join(', ')})`,
        )
      const configured = await configuredSources(config)
      const pulled = opts.only ? configured.filter((s) => opts.only!.includes(s)) : configured
      // the weekly digest rides on the rounds: `digest send --due` after the pulls (at most once a week per director)
      const digest = !opts.only && (config.digest?.directors.length ?? 0) > 0
      // the HR sync too, held to hr.every by --due; a held snapshot is reported by the command itself
      const hr = !opts.only && config.hr !== undefined && config.hr.every > 0
      const sources = [...pulled, ...(digest ? [DIGEST_ROUND] : []), ...(hr ? [HR_ROUND] : [])]
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
        run: async (source) => ({
          code: await run(
            source === DIGEST_ROUND
              ? [...globals, 'digest', 'send', '--due']
              : source === HR_ROUND
                ? [...globals, 'org', 'sync', '--due']
                : [...globals, 'ingest', source],
          ),
        }),
        log: (line) => ctx.io.err(line),
        stopped: onShutdown('ingest watch', { log: shellLog(ctx.io), timeoutMs: null }).signalled,
      })
      ctx.exitCode = opts.once && failedLastRound ? 2 : 0
    })
}
