import { derivedCredentials, GrafanaClient, grafanaAuthFromEnv, syncGrafana } from '@orgpulse/dashboards'
import { listDirectors } from '@orgpulse/org'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

export function registerGrafanaCommands(program: Command, ctx: CommandContext): void {
  const grafana = program.command('grafana').description("Grafana as code: one isolated Grafana organisation per director's org")
  grafana
    .command('sync')
    .description(
      'create/update one Grafana organisation per director (data source user restricted to that org, dashboards, alert rules) and delete those of directors who left; idempotent. Env: GRAFANA_URL + GRAFANA_USER/GRAFANA_PASSWORD (server admin) or GRAFANA_TOKEN; ORGPULSE_DIRECTOR_DS_SECRET derives the per-director ClickHouse passwords',
    )
    .option('--clickhouse-host <host>', 'ClickHouse host as Grafana reaches it', process.env.GRAFANA_CLICKHOUSE_HOST ?? 'clickhouse')
    .option('--clickhouse-port <port>', 'ClickHouse HTTP port as Grafana reaches it', process.env.GRAFANA_CLICKHOUSE_PORT ?? '8123')
    .option('--database <db>', 'ClickHouse database', process.env.CLICKHOUSE_DATABASE ?? 'orgpulse')
    .action(async (opts: { clickhouseHost: string; clickhousePort: string; database: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        let target: ReturnType<typeof grafanaAuthFromEnv>
        try {
          target = grafanaAuthFromEnv()
        } catch (err) {
          throw new UserError((err as Error).message)
        }
        const secret = process.env.ORGPULSE_DIRECTOR_DS_SECRET
        if (!secret) throw new UserError('ORGPULSE_DIRECTOR_DS_SECRET is not set: it derives the per-director ClickHouse passwords')
        const directors = (await listDirectors(rt.client)).map((d) => ({ email: d.email, name: d.name }))
        if (directors.length === 0) throw new UserError('no directors in the org chart (import one with `orgpulse org import`)')
        const api = new GrafanaClient(target.url, target.auth)
        const report = await syncGrafana(api, {
          config: rt.config,
          directors,
          credentialsFor: derivedCredentials(secret),
          clickhouse: { host: opts.clickhouseHost, port: Number(opts.clickhousePort), database: opts.database },
          log: (l) => io.progress(l),
        })
        for (const c of report.created) io.out(`created  ${c}`)
        for (const u of report.updated) io.out(`updated  ${u}`)
        for (const d of report.deleted) io.out(`deleted  ${d}`)
        for (const m of report.missingUsers) io.out(`note: Grafana has no user ${m} yet; re-run sync after their first login`)
        io.out(`${directors.length} director org(s): ${report.created.length} created, ${report.updated.length} updated, ${report.deleted.length} deleted, ${report.unchanged} unchanged (${api.writes} write requests)`)
        return 0
      })
    })
}
