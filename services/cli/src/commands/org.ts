import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'
import type { Runtime } from '../runtime.ts'
import { table } from '../table.ts'
import { connectionUser, describePlan } from './clickhouse-access.ts'

/**
 * The ClickHouse row policies name the units of each director's org in the current snapshot, so
 * an import that re-orgs must regenerate them or a team that moved stays readable by its old
 * director. Done here when access was applied before (an `orgpulse_dir_*` user exists); the
 * embedded engine has no access control.
 */
async function refreshClickHouseAccess(rt: Runtime, io: { err(line: string): void }): Promise<void> {
  const { isEmbedded, refreshAccess } = await import('@orgpulse/clickhouse')
  if (isEmbedded({ url: rt.env.CLICKHOUSE_URL })) return
  let plan: Awaited<ReturnType<typeof refreshAccess>>
  try {
    plan = await refreshAccess(rt.client, {
      env: rt.env,
      serviceUsers: [connectionUser(rt.env)],
      ...(rt.env.CLICKHOUSE_GRAFANA_ADMIN_PASSWORD
        ? { grafanaAdminPassword: rt.env.CLICKHOUSE_GRAFANA_ADMIN_PASSWORD }
        : {}),
      ...(rt.env.CLICKHOUSE_DATABASE ? { database: rt.env.CLICKHOUSE_DATABASE } : {}),
    })
  } catch (err) {
    // the snapshot is stored; stale policies still admit moved teams, so the command must fail loudly
    throw new UserError(
      `org imported, but the ClickHouse row policies were not regenerated (${(err as Error).message.split('\n')[0]}): run \`orgpulse clickhouse access --apply\` as a user allowed to manage access`,
    )
  }
  if (!plan) return
  io.err(
    `ClickHouse access regenerated for snapshot ${plan.snapshot}: ${plan.directors.length} director users`,
  )
  for (const line of describePlan(plan)) io.err(line)
}

interface ImportOptions {
  effective?: string
  rootsOutside?: boolean
  format: string
}

export function registerOrgCommands(program: Command, ctx: CommandContext): void {
  const org = program.command('org').description('the org chart: snapshots, directors, identities')

  org
    .command('import')
    .description(
      'import an HR export (CSV: email,name,manager_email,title[,employee_id,team,timezone]) or an org.yaml as a snapshot',
    )
    .argument('<file>', 'CSV or YAML file')
    .option(
      '--effective <date>',
      'the day this org takes effect (YYYY-MM-DD); default today. Before a stored later snapshot, it applies only until that one',
    )
    .option(
      '--roots-outside',
      "the file is an export of a subtree: its top person's manager is not in it (that person becomes the top; anyone else's unknown manager is still an error)",
    )
    .option('--format <format>', 'output: text or json', 'text')
    .action(async (file: string, opts: ImportOptions, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { importOrg } = await import('@orgpulse/org')
        const summary = await importOrg({
          client: rt.client,
          bus: rt.bus,
          file,
          config: rt.config,
          rootsOutside: opts.rootsOutside === true,
          ...(opts.effective ? { effective: opts.effective } : {}),
        })
        if (opts.format === 'json') {
          const { format: _format, ...rest } = summary
          io.out(JSON.stringify(rest, null, 2))
        } else io.out(summary.format())
        await refreshClickHouseAccess(rt, io)
        return 0
      })
    })

  org
    .command('directors')
    .description('list the directors (managers of managers) in the current org')
    .option('--format <format>', 'output: table or json', 'table')
    .action(async (opts: { format: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { listDirectors } = await import('@orgpulse/org')
        const directors = await listDirectors(rt.client)
        if (opts.format === 'json') io.out(JSON.stringify(directors, null, 2))
        else io.out(table(directors as unknown as Record<string, unknown>[]))
        return 0
      })
    })

  org
    .command('identities')
    .description(
      'source identities (Jira account ids, Linear users, calendar emails, decision-log handles) and how they resolve',
    )
    .option('--unresolved', 'only identities that map to no person (their events count for no org)')
    .option('--format <format>', 'output: table or json', 'table')
    .action(async (opts: { unresolved?: boolean; format: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { unresolvedIdentities } = await import('@orgpulse/org')
        if (!opts.unresolved)
          throw new UserError('only --unresolved is supported: resolved identities are the org itself')
        const rows = await unresolvedIdentities(rt.client)
        if (opts.format === 'json') {
          io.out(JSON.stringify({ count: rows.length, identities: rows }, null, 2))
          return 0
        }
        io.out(`${rows.length} unresolved identit${rows.length === 1 ? 'y' : 'ies'}`)
        if (rows.length > 0) {
          io.out(
            table(
              rows.map((r) => ({
                identity: r.identity,
                source: r.source,
                occurrences: r.occurrences,
                seen_in: r.fields.join(' '),
              })),
            ),
          )
          io.out('map them with identities.aliases in orgpulse.yaml (identity → email)')
        }
        return 0
      })
    })
}
