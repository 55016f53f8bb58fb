import type { DirectorCredentials } from '@orgpulse/dashboards'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

export function registerGrafanaCommands(program: Command, ctx: CommandContext): void {
  const grafana = program
    .command('grafana')
    .description("Grafana as code: one isolated Grafana organisation per director's org")
  grafana
    .command('sync')
    .description(
      'create/update one Grafana organisation per director (data source user restricted to that org, dashboards, alert rules) and delete those of directors who left; idempotent. Env: GRAFANA_URL + GRAFANA_USER/GRAFANA_PASSWORD (server admin) or GRAFANA_TOKEN; ClickHouse user per director as created by accessStatements, password from ORGPULSE_CH_PASSWORD_{SLUG} or derived from ORGPULSE_DIRECTOR_DS_SECRET',
    )
    .option(
      '--clickhouse-host <host>',
      'ClickHouse host as Grafana reaches it',
      ctx.env.GRAFANA_CLICKHOUSE_HOST,
    )
    .option(
      '--clickhouse-port <port>',
      'ClickHouse HTTP port as Grafana reaches it',
      String(ctx.env.GRAFANA_CLICKHOUSE_PORT),
    )
    .option('--database <db>', 'ClickHouse database', ctx.env.CLICKHOUSE_DATABASE ?? 'orgpulse')
    .action(
      async (opts: { clickhouseHost: string; clickhousePort: string; database: string }, cmd: Command) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const { DEFAULT_PASSWORD_ENV_PATTERN, directorUser, userSlug } = await import(
            '@orgpulse/clickhouse'
          )
          const { derivedCredentials, GrafanaClient, grafanaAuthFromEnv, syncGrafana } = await import(
            '@orgpulse/dashboards'
          )
          const { listDirectors } = await import('@orgpulse/org')
          const target = grafanaAuthFromEnv(rt.env)
          const secret = rt.env.ORGPULSE_DIRECTOR_DS_SECRET
          // the ClickHouse users and row policies come from accessStatements (same user names);
          // the password is the one its env var gives that user, else derived from the secret
          const credentialsFor = (email: string): DirectorCredentials => {
            const fromEnv = rt.env.named(
              DEFAULT_PASSWORD_ENV_PATTERN.replace('{SLUG}', userSlug(email).toUpperCase()),
            )
            if (fromEnv) return { username: directorUser(email), password: fromEnv }
            if (!secret) {
              throw new UserError(
                `no ClickHouse password for ${email}: set ${DEFAULT_PASSWORD_ENV_PATTERN} or ORGPULSE_DIRECTOR_DS_SECRET`,
              )
            }
            return { username: directorUser(email), password: derivedCredentials(secret)(email).password }
          }
          const directors = (await listDirectors(rt.client)).map((d) => ({ email: d.email, name: d.name }))
          if (directors.length === 0)
            throw new UserError('no directors in the org chart (import one with `orgpulse org import`)')
          const api = new GrafanaClient(target.url, target.auth)
          const report = await syncGrafana(api, {
            config: rt.config,
            directors,
            credentialsFor,
            clickhouse: {
              host: opts.clickhouseHost,
              port: Number(opts.clickhousePort),
              database: opts.database,
            },
            log: (l) => io.progress(l),
          })
          for (const c of report.created) io.out(`created  ${c}`)
          for (const u of report.updated) io.out(`updated  ${u}`)
          for (const d of report.deleted) io.out(`deleted  ${d}`)
          for (const m of report.missingUsers)
            io.out(`note: Grafana has no user ${m} yet; re-run sync after their first login`)
          io.out(
            `${directors.length} director org(s): ${report.created.length} created, ${report.updated.length} updated, ${report.deleted.length} deleted, ${report.unchanged} unchanged (${api.writes} write requests)`,
          )
          return 0
        })
      },
    )
}
