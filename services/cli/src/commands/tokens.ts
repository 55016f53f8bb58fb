import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'
import { table } from '../table.ts'

/** `orgpulse tokens create|list|revoke`: bearer tokens for the api, scoped to a director's org or admin. */
export function registerTokenCommands(program: Command, ctx: CommandContext): void {
  const tokens = program
    .command('tokens')
    .description("api bearer tokens: scoped to a director's org (and everything under it) or admin")

  tokens
    .command('create')
    .description('create a token and print it once (only its sha256 is stored)')
    .option('--org <director-email>', 'the director whose org the token is bound to')
    .option(
      '--scope <scope>',
      'with --org: read (the org and every org inside it) or write:decisions (submit decisions raised in the org)',
      'read',
    )
    .option('--admin', 'every org, unresolved identities, and submitting any decision')
    .option('--name <name>', 'a label for `tokens list`')
    .action(async (opts: { org?: string; scope: string; admin?: boolean; name?: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { createToken } = await import('@orgpulse/api')
        if (Boolean(opts.org) === Boolean(opts.admin))
          throw new UserError('pass exactly one of --org EMAIL or --admin')
        // a scope is bound to an org; admin is its own flag so no one gets it by a typo in --scope
        if (opts.org && opts.scope !== 'read' && opts.scope !== 'write:decisions')
          throw new UserError(`--scope must be read or write:decisions (got ${JSON.stringify(opts.scope)})`)
        if (opts.admin && cmd.getOptionValueSource('scope') === 'cli')
          throw new UserError('--scope goes with --org; an admin token has every scope')
        const { token, info } = await createToken(rt.client, {
          scope: opts.admin ? 'admin' : (opts.scope as 'read' | 'write:decisions'),
          ...(opts.org ? { org: opts.org } : {}),
          ...(opts.name ? { name: opts.name } : {}),
        })
        io.out(token)
        io.err(
          `created ${info.id} (${info.scope === 'admin' ? 'admin' : `${info.scope}, org ${info.org}`}, "${info.name}"). The token is shown once: store it now.`,
        )
        io.err('use it as: Authorization: Bearer <token>')
        // a write:decisions token reads nothing, so it opens no page
        if (info.scope !== 'write:decisions')
          io.err(
            `in a browser: sign in at /login with it, or open ${info.scope === 'admin' ? '/' : `/orgs/${info.org}`}?access_token=<token> once (the token then moves into a session cookie)`,
          )
        return 0
      })
    })

  tokens
    .command('list')
    .description('tokens with their scope and state (never the secrets)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: { format: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { listTokens } = await import('@orgpulse/api')
        const list = await listTokens(rt.client)
        if (opts.format === 'json') io.out(JSON.stringify(list, null, 2))
        else if (list.length === 0)
          io.out('no tokens (orgpulse tokens create --org EMAIL [--scope read|write:decisions] | --admin)')
        else
          io.out(
            table(
              list.map((t) => ({
                id: t.id,
                name: t.name,
                scope: t.scope,
                org: t.org,
                created: t.createdAt,
                revoked: t.revokedAt ?? '',
              })),
            ),
          )
        return 0
      })
    })

  tokens
    .command('revoke <id>')
    .description('revoke a token: it answers 401 from then on, and its browser sessions end')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { revokeToken } = await import('@orgpulse/api')
        const info = await revokeToken(rt.client, id)
        io.out(`revoked ${info.id} ("${info.name}") at ${info.revokedAt}`)
        return 0
      })
    })
}
