import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { shellLog, UserError } from '../io.ts'
import { acquireLock, releaseLock } from '../lock.ts'

/** the longest the start-up rollup refresh waits for the first page (see `start`) */
const FIRST_REFRESH_AFTER_MS = 5_000

/** `buildProgram` runs the commands other CLI processes forward to a running `start` */
export function registerCoreCommands(
  program: Command,
  ctx: CommandContext,
  buildProgram: (ctx: CommandContext) => Command,
): void {
  program
    .command('start')
    .description(
      'run orgpulse: pipeline, api and built-in pages (embedded mode unless KAFKA_BROKERS/CLICKHOUSE_URL are set); loads a demo org when nothing is configured',
    )
    .option('--port <port>', 'HTTP port', String(ctx.env.ORGPULSE_PORT))
    .option('--host <host>', 'address to listen on', ctx.env.ORGPULSE_HOST)
    .option('--no-demo', 'do not load the demo org when the data dir is empty')
    .option(
      '--pull-every <minutes>',
      'pull the connectors orgpulse.yaml configures (jira, linear, calendar) this often, as `ingest watch` does; 0: never',
      String(ctx.env.ORGPULSE_PULL_EVERY),
    )
    .action(async (opts: { port: string; host: string; demo: boolean; pullEvery: string }, cmd: Command) => {
      const pullEvery = Number(opts.pullEvery)
      if (!Number.isFinite(pullEvery) || pullEvery < 0)
        throw new UserError(`--pull-every must be a number of minutes, 0 for never (got "${opts.pullEvery}")`)
      await ctx.withRuntime(
        cmd,
        async (rt, io) => {
          // the server's graph loads here, not with the command line: --help and forwarded commands skip it
          const { buildApp } = await import('@orgpulse/api')
          const { loadDemo } = await import('@orgpulse/demo')
          const { startRollupRefresher } = await import('@orgpulse/metrics')
          const { effectiveAt } = await import('@orgpulse/org')
          const { cliRunner } = await import('../serve-cli.ts')
          const { configuredSources, HR_ROUND } = await import('./ingest-watch.ts')
          const { pullRounds } = await import('@orgpulse/connectors')
          const { onShutdown } = await import('@orgpulse/http')
          if (opts.demo && !rt.configPath && (await effectiveAt(rt.client)) === null) {
            io.out(
              'no org configured: loading the demo company (orgpulse demo --people 120 --weeks 26 --edges direct)…',
            )
            // its records straight to the facts: the same facts and figures as through the fake
            // vendors and the connectors (`orgpulse demo`'s default), in a fraction of the time
            const demo = await loadDemo(
              rt,
              { people: 120, weeks: 26, seed: 1, edges: 'direct', retain: false },
              (m) => io.progress(m),
            )
            io.out(`\ndemo loaded: ${demo.summary}`)
          }
          const secret = randomBytes(24).toString('hex')
          const runCli = cliRunner(rt, buildProgram)
          const app = await buildApp({
            client: rt.client,
            bus: rt.bus,
            config: rt.config,
            flush: () => rt.flush(),
            health: rt.health,
            // other `orgpulse` processes on this data dir send their commands here
            runCli,
            cliSecret: secret,
            // 5xx and refusals reach the runtime's log (stderr): an error nobody sees is a defect
            log: rt.log,
            env: rt.env,
            serverUrl: callableUrl(opts.host, opts.port),
          })
          // dashboards and alerts read weekly rollups: keep them current as data arrives. The
          // pages read the facts, and the start-up refresh (a year of weeks) would hold the first
          // page's queries behind it in the engine: it starts once the first page is served, or
          // after a few seconds without one
          let refresher: { stop(): Promise<void> } | null = null
          const startRefresher = () => {
            refresher ??= startRollupRefresher(rt.client, rt.config, {
              onError: (err) =>
                rt.log.warn({ err: err.message }, 'rollup refresh failed; retrying on the next run'),
            })
          }
          app.addHook('onResponse', async (req) => {
            if (req.routeOptions.url === '/') startRefresher()
          })
          const refreshAnyway = setTimeout(startRefresher, FIRST_REFRESH_AFTER_MS)
          refreshAnyway.unref()
          const address = await app.listen({ port: Number(opts.port), host: opts.host })
          if (rt.mode === 'embedded') acquireLock(rt.dataDir, address.replace('0.0.0.0', '127.0.0.1'), secret)
          // the weekly digest: sent to each configured director at their day and hour, once a week
          const { startDigestScheduler } = await import('@orgpulse/digest')
          const digests =
            (rt.config.digest?.directors.length ?? 0) > 0
              ? startDigestScheduler(rt.client, rt.config, rt.env, { log: (line) => io.err(line) })
              : null
          io.out(`orgpulse is running in ${rt.mode} mode at ${address}`)
          io.out(`  pages:   ${address}/            api docs: ${address}/docs`)
          io.out(`  ingest:  POST ${address}/v1/decisions   or   pnpm orgpulse ingest decisions FILE`)
          // the demo's connectors pointed at fake servers that are gone (also when a restart reuses
          // its config): only a user's config is pulled
          const pulls = rt.configPath && !rt.demoConfig && pullEvery > 0
          // the HR sync rides on the pulls; `org sync --due` keeps it to hr.every minutes
          const hrSync = pulls && rt.config.hr !== undefined && rt.config.hr.every > 0
          const sources = pulls
            ? [...(await configuredSources(rt.config)), ...(hrSync ? [HR_ROUND] : [])]
            : []
          if (sources.length > 0)
            io.out(`  pulls:   ${sources.join(', ')} every ${pullEvery} min (--pull-every; 0 turns it off)`)
          if (hrSync)
            io.out(
              `  hr sync: ${rt.config.hr!.source}, every ${rt.config.hr!.every} min (hr.every; org sync --due)`,
            )
          if (digests)
            io.out(
              `  digest:  ${rt.config.digest!.directors.length} director(s), weekly (digest.day/hour/timeZone)`,
            )
          io.out('  stop:    Ctrl-C')
          const shutdown = onShutdown('orgpulse start', { log: shellLog(io), timeoutMs: null })
          const stopped = shutdown.signalled
          const pulling =
            sources.length > 0
              ? pullRounds({
                  sources,
                  everyMs: pullEvery * 60_000,
                  stopped,
                  log: (line) => io.err(line),
                  run: async (source) => {
                    // orgpulse.yaml read afresh each round: a changed rule set is seen (and re-read) without a restart
                    const r = await runCli(
                      source === HR_ROUND
                        ? ['--config', rt.configPath as string, 'org', 'sync', '--due']
                        : ['--config', rt.configPath as string, 'ingest', source],
                      process.cwd(),
                    )
                    // the sync's change summary (or its hold) goes to the log, as `ingest watch` shows it
                    if (source === HR_ROUND && r.stdout.trim())
                      for (const line of r.stdout.trimEnd().split('\n')) io.err(line)
                    const detail = r.stderr.trim().split('\n').at(-1)
                    return { code: r.exitCode, ...(r.exitCode !== 0 && detail ? { detail } : {}) }
                  },
                })
              : Promise.resolve()
          await stopped
          io.out('stopping…')
          // in start order; stopped in reverse, so the pull in hand finishes first: it shares the runtime being closed
          const clean = await shutdown.stop([
            {
              name: 'rollup refresher',
              stop: () => {
                clearTimeout(refreshAnyway)
                return refresher?.stop() ?? Promise.resolve()
              },
            },
            { name: 'digest scheduler', stop: () => digests?.stop() ?? Promise.resolve() },
            { name: 'http server', stop: () => app.close() },
            { name: 'connector pull', stop: () => pulling },
          ])
          releaseLock(rt.dataDir)
          return clean ? 0 : 1
        },
        { pipeline: true },
      )
    })

  program
    .command('migrate')
    .description('apply pending ClickHouse migrations (each once, in order, checksummed)')
    .action(async (_opts: unknown, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { migrate } = await import('@orgpulse/clickhouse')
        const result = await migrate(rt.client)
        io.out(
          result.applied.length > 0
            ? `applied ${result.applied.join(', ')}`
            : `schema is up to date (version ${result.current})`,
        )
        return 0
      })
    })
}

/** the OpenAPI document's `servers` entry for this listen address: 0.0.0.0 is not an address to call */
function callableUrl(host: string, port: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return `http://${h}:${port}`
}
