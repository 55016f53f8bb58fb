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

function printSync(
  io: { out(line: string): void },
  format: string,
  result: import('@orgpulse/org').SyncResult,
): void {
  if (format === 'json') {
    if (result.status === 'held') {
      const { format: _f, ...rest } = result
      io.out(JSON.stringify(rest, null, 2))
    } else {
      const { format: _f, ...summary } = result.summary
      io.out(JSON.stringify({ status: result.status, snapshotId: result.snapshotId, ...summary }, null, 2))
    }
    return
  }
  if (result.status === 'held') io.out(result.format())
  else io.out(`${result.summary.format()}\n  sync ${result.snapshotId} (${result.status})`)
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
    .command('sync')
    .description(
      'read the HR source orgpulse.yaml names (hr.source: scim, graph or bamboohr) into an effective-dated snapshot like `org import`; a diff past hr.guard is held until --confirm',
    )
    .option('--confirm <snapshot-id>', 'put a sync the guard held in force, as it was read')
    .option('--held', 'list the syncs the guard holds (not in force), newest first')
    .option(
      '--due',
      'only when hr.every minutes have passed since the last sync (what `ingest watch` and `start` run)',
    )
    .option('--format <format>', 'output: text or json', 'text')
    .action(
      async (opts: { confirm?: string; held?: boolean; due?: boolean; format: string }, cmd: Command) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const org = await import('@orgpulse/org')
          const hr = rt.config.hr
          if (opts.held) {
            const held = await org.heldSyncs(rt.client)
            if (opts.format === 'json') io.out(JSON.stringify(held, null, 2))
            else {
              io.out(`${held.length} held sync${held.length === 1 ? '' : 's'}`)
              for (const h of held)
                io.out(`  ${h.snapshotId} from ${h.source}, read ${h.createdAt}: ${h.reasons.join('; ')}`)
            }
            return 0
          }
          if (opts.confirm) {
            const done = await org.confirmSync({
              client: rt.client,
              bus: rt.bus,
              config: rt.config,
              snapshotId: opts.confirm,
            })
            rt.log.info(
              { snapshotId: done.snapshotId, effective: done.summary.effective },
              'org sync confirmed: the held snapshot is in force',
            )
            printSync(io, opts.format, done)
            await refreshClickHouseAccess(rt, io)
            return 0
          }
          if (!hr)
            throw new UserError(
              'org sync reads the HR source of orgpulse.yaml: add `hr: { source: scim | graph | bamboohr }` (README Configuration)',
            )
          if (opts.due) {
            const last = await org.lastSyncAt(rt.client)
            const now = Date.now()
            if (hr.every === 0 || (last && now - last.getTime() < hr.every * 60_000)) {
              io.err(
                hr.every === 0
                  ? 'org sync: hr.every is 0, syncs run only by hand'
                  : `org sync: not due (last ${last?.toISOString()}, every ${hr.every} min)`,
              )
              return 0
            }
          }
          const source = await org.hrSource(hr, { client: rt.client, env: rt.env })
          const result = await org.syncOrg({
            client: rt.client,
            bus: rt.bus,
            source,
            config: rt.config,
            guard: hr.guard,
          })
          if (result.status === 'held') {
            rt.log.warn(
              { snapshotId: result.snapshotId, source: result.source, reasons: result.reasons },
              `org sync held: not in force until \`orgpulse org sync --confirm ${result.snapshotId}\``,
            )
            printSync(io, opts.format, result)
            return 0
          }
          const c = result.summary.changes
          rt.log.info(
            {
              snapshotId: result.snapshotId,
              effective: result.summary.effective,
              people: result.summary.people,
              added: c.added.length,
              removed: c.removed.length,
              moved: c.moved.length,
              retitled: c.retitled.length,
            },
            'org sync applied',
          )
          printSync(io, opts.format, result)
          await refreshClickHouseAccess(rt, io)
          return 0
        })
      },
    )

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
