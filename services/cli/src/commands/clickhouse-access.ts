import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { DEFAULT_PASSWORD_ENV_PATTERN } from '@orgpulse/clickhouse'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

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
    .action(
      async (
        opts: { apply?: boolean; out?: string; director?: string[]; passwordEnv: string },
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
            // applying: existing users keep their passwords unless one is given in the environment
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
          for (const d of plan.directors) {
            const how =
              d.passwordSource === 'generated'
                ? `password (shown once): ${d.password}`
                : d.passwordSource === 'env'
                  ? `password from $${d.passwordEnv}`
                  : 'existing user, password unchanged'
            io.err(`  ${d.director} → ${d.user}  ${how}`)
          }
          if (!opts.apply && plan.directors.some((d) => d.passwordSource === 'generated')) {
            io.err('generated passwords apply only to users this SQL creates (CREATE USER IF NOT EXISTS)')
          }
          return 0
        })
      },
    )
}
