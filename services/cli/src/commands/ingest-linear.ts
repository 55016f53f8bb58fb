import { CursorStore } from '@orgpulse/clickhouse'
import {
  linearClientFromConfig,
  type SyncProgress,
  type SyncResult,
  syncLinear,
} from '@orgpulse/connector-linear'
import { linearConfigSchema } from '@orgpulse/contracts'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'

function progressLine(p: SyncProgress): string {
  const where = p.team ? `${p.team} ` : ''
  const rate = p.ratePerSecond > 0 ? `, ${p.ratePerSecond.toFixed(1)}/s` : ''
  const total = p.total !== undefined ? `/${p.total}` : ''
  const eta = p.etaSeconds !== undefined ? `, ETA ${Math.ceil(p.etaSeconds)} s` : ''
  return `linear ${where}${p.phase}: ${p.done}${total}${rate}${eta}`
}

function summary(r: SyncResult): string[] {
  const lines = r.teams.map(
    (t) =>
      `  ${t.team}: ${t.mode}${t.reason ? ` (${t.reason})` : ''}, ${t.issues} issue(s), ${t.cycles} cycle(s), cursor ${t.cursor ?? '(none)'}`,
  )
  if (r.relations)
    lines.push(
      `  relations: ${r.relations.blocking} blocking, ${r.relations.removed} removed since the last pull`,
    )
  if (r.users > 0) lines.push(`  users: ${r.users}`)
  lines.push(
    `  ${r.envelopes} record(s) published in ${r.requests} request(s)${r.waitedMs > 0 ? `, ${(r.waitedMs / 1000).toFixed(1)} s waiting for Linear rate limits` : ''}`,
  )
  return lines
}

/** `orgpulse ingest linear`: sync issues, history, cycles and relations of the configured Linear teams. */
export function registerLinearIngest(ingest: Command, ctx: CommandContext): void {
  ingest
    .command('linear')
    .description(
      'sync Linear issues (with history), cycles and blocking relations for the teams in orgpulse.yaml; incremental from the last cursor unless --full. Credentials: LINEAR_API_KEY or LINEAR_OAUTH_TOKEN (names configurable); LINEAR_API_URL overrides the endpoint',
    )
    .option('--full', 'ignore the cursors and resync everything')
    .option('--team <key...>', 'only these Linear team keys')
    .option('--no-relations', 'skip the reconciliation of blocking relations')
    .option('--format <format>', 'output: text or json', 'text')
    .action(
      async (opts: { full?: boolean; team?: string[]; relations: boolean; format: string }, cmd: Command) => {
        await ctx.withRuntime(cmd, async (rt, io) => {
          const config = rt.config.linear ?? linearConfigSchema.parse({})
          const client = linearClientFromConfig(config, rt.env, {
            onWait: ({ ms, reason }) => io.progress(`waiting ${(ms / 1000).toFixed(1)} s: ${reason}`),
          })
          const result = await syncLinear({
            client,
            bus: rt.bus,
            cursors: new CursorStore(rt.client),
            durable: rt.durable,
            config,
            full: opts.full === true,
            ...(opts.team ? { teams: opts.team } : {}),
            relations: opts.relations,
            progress: (p) => io.progress(progressLine(p)),
          })
          io.progress(`linear: ${result.envelopes} records published; waiting until they are queryable…`)
          await rt.flush()
          if (io.isTTY) io.err('')
          if (opts.format === 'json') io.out(JSON.stringify(result, null, 2))
          else io.out(['linear sync done', ...summary(result)].join('\n'))
          return 0
        })
      },
    )
}
