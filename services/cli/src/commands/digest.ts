import { parseStrictDate } from '@orgpulse/contracts'
import type { SendResult } from '@orgpulse/digest'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'

interface SendOptions {
  org?: string
  dryRun?: boolean
  due?: boolean
  format: string
  at?: string
}

/** one line per director: what happened to their digest */
export function sendSummary(r: SendResult): string {
  const to = r.deliveries.map((d) => (d.ok ? d.to : `${d.to} FAILED: ${d.error}`)).join('; ')
  switch (r.status) {
    case 'sent':
      return `${r.director}: sent (week of ${r.week}) to ${to}`
    case 'failed':
      return `${r.director}: not recorded, a delivery failed (week of ${r.week}): ${to}`
    case 'not_due':
      return `${r.director}: not due yet this week (week of ${r.week})`
    case 'already_sent':
      return `${r.director}: already sent this week (week of ${r.week})`
    case 'dry_run':
      return `${r.director}: would be sent (dry run, nothing sent or recorded)`
  }
}

export function registerDigestCommands(program: Command, ctx: CommandContext): void {
  const digest = program
    .command('digest')
    .description('the weekly digest each configured director receives (digest: in orgpulse.yaml)')
  digest
    .command('send')
    .description(
      'build and deliver the weekly digest (the last complete week vs the week before, alerts firing, decisions waiting, the worst team pair, rituals missed) to each director in digest.directors, each with only their own org; a send is recorded in ClickHouse once every destination took it',
    )
    .option('--org <email>', 'only this director (one of digest.directors)')
    .option('--dry-run', 'print what each director would get; send and record nothing')
    .option(
      '--due',
      "only directors whose day and hour (in their time zone) has come this week and who did not get this week's digest yet: what `start` and `ingest watch` run",
    )
    .option('--format <format>', 'text or json (the output of this command, not of the digest)', 'text')
    .option('--at <instant>', 'as of this instant (YYYY-MM-DD or ISO-8601 with offset; default now)')
    .action(async (opts: SendOptions, cmd: Command) => {
      if (!['text', 'json'].includes(opts.format))
        throw new UserError(`--format must be text or json (got ${opts.format})`)
      const now = opts.at ? parseStrictDate(opts.at, '--at') : new Date()
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { renderText, sendDigests } = await import('@orgpulse/digest')
        const results = await sendDigests(rt.client, rt.config, rt.env, {
          now,
          ...(opts.org ? { org: opts.org } : {}),
          dryRun: opts.dryRun === true,
          dueOnly: opts.due === true,
          log: (line) => io.err(line),
        })
        if (opts.format === 'json') io.out(JSON.stringify(results, null, 2))
        else
          for (const r of results) {
            io.out(sendSummary(r))
            if (r.status === 'dry_run' && r.digest) io.out(`\n${renderText(r.digest)}`)
          }
        return results.some((r) => r.status === 'failed') ? 1 : 0
      })
    })
}
