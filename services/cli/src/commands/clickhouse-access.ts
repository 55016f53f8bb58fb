import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type AccessPlan, DEFAULT_PASSWORD_ENV_PATTERN } from '@orgpulse/clickhouse'
import type { Env } from '@orgpulse/contracts'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

/**
 * The user orgpulse itself connects as (CLICKHOUSE_URL's, else `default`): it must keep reading
 * every row once the tables carry row policies, so it is always a service user.
 */
export function connectionUser(env: Env): string {
  if (!env.CLICKHOUSE_URL) return 'default'
  try {
    return decodeURIComponent(new URL(env.CLICKHOUSE_URL).username) || 'default'
  } catch {
    throw new UserError('CLICKHOUSE_URL is not a URL')
  }
}

/** the per-director lines of a plan, for stderr (a generated password is shown only here, once) */
export function describePlan(plan: AccessPlan): string[] {
  const lines = plan.directors.map((d) => {
    const how =
      d.passwordSource === 'generated'
        ? `password (shown once): ${d.password}`
        : d.passwordSource === 'env'
          ? `password from $${d.passwordEnv}`
          : 'existing user, password unchanged'
    return `  ${d.director} → ${d.user}  ${how}  (${d.units.length} units)`
  })
  for (const u of plan.dropped) lines.push(`  ${u} dropped (director left)`)
  return lines
}

/** `orgpulse clickhouse access`: per-director read-only users and row policies for full mode. */
export function registerClickHouseAccessCommands(program: Command, ctx: CommandContext): void {
  program
    .command('clickhouse')
    .description('ClickHouse administration for full mode')
    .command('access')
    .description(
      "one read-only ClickHouse user per director, confined by row policies to their org (for each director's Grafana datasource)",
    )
    .option('--apply', 'run the statements against CLICKHOUSE_URL')
    .option('--out <file>', 'write the statements to a .sql file')
    .option(
      '--director <email...>',
      'only these directors (default: every manager of managers in the latest org)',
    )
    .option(
      '--password-env <pattern>',
      'env var holding each password; {SLUG} = the user slug in upper case',
      DEFAULT_PASSWORD_ENV_PATTERN,
    )
    .option(
      '--service-user <name...>',
      'users that read every row besides the one in CLICKHOUSE_URL (api, pipeline, admins)',
    )
    .action(
      async (
        opts: {
          apply?: boolean
          out?: string
          director?: string[]
          passwordEnv: string
          serviceUser?: string[]
        },
        cmd: Command,
      ) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const { accessStatements, applyAccess, existingUsers, isEmbedded } = await import(
            '@orgpulse/clickhouse'
          )
          if (opts.apply && isEmbedded({ url: rt.env.CLICKHOUSE_URL }))
            throw new UserError(
              '--apply needs a ClickHouse server (CLICKHOUSE_URL): the embedded engine has no access control',
            )
          const plan = await accessStatements(rt.client, {
            passwordEnvPattern: opts.passwordEnv,
            env: rt.env,
            ...(rt.env.CLICKHOUSE_DATABASE ? { database: rt.env.CLICKHOUSE_DATABASE } : {}),
            ...(opts.director ? { directors: opts.director } : {}),
            serviceUsers: [connectionUser(rt.env), ...(opts.serviceUser ?? [])],
            ...(rt.env.CLICKHOUSE_GRAFANA_ADMIN_PASSWORD
              ? { grafanaAdminPassword: rt.env.CLICKHOUSE_GRAFANA_ADMIN_PASSWORD }
              : {}),
            // applying: existing users keep their passwords unless one is given in the environment,
            // and those of directors who left are dropped
            ...(opts.apply ? { existingUsers: await existingUsers(rt.client) } : {}),
          })
          if (plan.directors.length === 0)
            throw new UserError('no directors in the org (import one with `orgpulse org import`)')
          const sql = `${plan.statements.join(';\n')};\n`
          if (opts.out) writeFileSync(resolve(opts.out), sql)
          if (opts.apply) await applyAccess(rt.client, plan)
          if (!opts.out && !opts.apply) io.out(sql)
          io.err(
            `${plan.directors.length} director users${opts.apply ? ' applied' : ''}${opts.out ? `, statements in ${opts.out}` : ''}`,
          )
          for (const line of describePlan(plan)) io.err(line)
          if (!opts.apply && plan.directors.some((d) => d.passwordSource === 'generated')) {
            io.err('generated passwords apply only to users this SQL creates (CREATE USER IF NOT EXISTS)')
          }
          if (!opts.apply)
            io.err(
              "users of directors who left are found and dropped only with --apply (it lists the server's users)",
            )
          return 0
        })
      },
    )
}
