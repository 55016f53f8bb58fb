import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'
import { UserError } from '../io.ts'
import { table } from '../table.ts'

interface DlqRow {
  id: string
  reason: string
  stage: string
  topic: string
  partition: number
  offset: string
  key: string
  value: string
  failed_at: string
  replayed: number
}

export function registerDlqCommands(program: Command, ctx: CommandContext): void {
  const dlq = program.command('dlq').description('records the pipeline could not process (orgpulse.dlq.v1)')

  dlq
    .command('list')
    .description('dead-lettered records with their reason, newest first')
    .option('--stage <stage>', 'only one stage: transformer, sink, ingest-decisions, …')
    .option('--all', 'include records already replayed')
    .option('--limit <n>', 'at most this many', '50')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: { stage?: string; all?: boolean; limit: string; format: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { queryRows } = await import('@orgpulse/clickhouse')
        const rows = await queryRows<DlqRow>(
          rt.client,
          `SELECT id, reason, stage, topic, partition, offset, key, value, toString(failed_at) AS failed_at,
             replayed_at IS NOT NULL AS replayed
           FROM dlq FINAL
           WHERE ({stage:String} = '' OR stage = {stage:String}) AND ({all:UInt8} = 1 OR replayed_at IS NULL)
           ORDER BY failed_at DESC LIMIT {limit:UInt32}`,
          { stage: opts.stage ?? '', all: opts.all ? 1 : 0, limit: Number(opts.limit) || 50 },
        )
        if (opts.format === 'json') {
          io.out(
            JSON.stringify(
              rows.map((r) => ({ ...r, original: Buffer.from(r.value, 'base64').toString('utf8') })),
              null,
              2,
            ),
          )
          return 0
        }
        io.out(`${rows.length} dead-lettered record(s)${opts.all ? '' : ' not yet replayed'}`)
        if (rows.length > 0) {
          io.out(
            table(
              rows.map((r) => ({
                id: r.id.slice(0, 12),
                failed_at: r.failed_at.slice(0, 19),
                stage: r.stage,
                source: `${r.topic}[${r.partition}]@${r.offset}`,
                reason: r.reason.length > 100 ? `${r.reason.slice(0, 97)}…` : r.reason,
              })),
            ),
          )
        }
        return 0
      })
    })

  dlq
    .command('replay')
    .description(
      're-publish dead-lettered records (original bytes) to the topic they came from, after fixing the cause',
    )
    .argument('[ids...]', 'record ids (or id prefixes) from `dlq list`; none = every record not yet replayed')
    .option('--stage <stage>', 'only one stage')
    .action(async (ids: string[], opts: { stage?: string }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { queryRows } = await import('@orgpulse/clickhouse')
        // @orgpulse/connector-decisions is how `ingest decisions` reads records: a replayed record is read the same way
        const { importDecisionText } = await import('@orgpulse/connector-decisions')
        const { toClickHouseTime } = await import('@orgpulse/contracts')
        const rows = await queryRows<DlqRow>(
          rt.client,
          `SELECT id, reason, stage, topic, partition, offset, key, value, toString(failed_at) AS failed_at, 0 AS replayed
           FROM dlq FINAL
           WHERE replayed_at IS NULL AND ({stage:String} = '' OR stage = {stage:String})
             AND (length({ids:Array(String)}) = 0 OR arrayExists(p -> startsWith(id, p), {ids:Array(String)}))`,
          { stage: opts.stage ?? '', ids },
        )
        if (rows.length === 0) throw new UserError('nothing to replay (see `orgpulse dlq list`)')
        let replayed = 0
        let failedAgain = 0
        const skipped: string[] = []
        const markReplayed = (r: DlqRow) =>
          rt.client.insert({
            table: 'dlq',
            format: 'JSONEachRow',
            values: [
              {
                ...r,
                replayed: undefined,
                failed_at: r.failed_at,
                replayed_at: toClickHouseTime(new Date()),
              },
            ],
            clickhouse_settings: { async_insert: 0 },
          })
        for (const r of rows) {
          const bytes = Buffer.from(r.value, 'base64')
          if (r.topic.startsWith('file:')) {
            // a decision import's record: no topic to return to, so its original text is imported
            // again as a record of that file. Marked first: a record rejected again is dead-lettered
            // anew under the same id, and that later row must win.
            if (bytes.length === 0) {
              skipped.push(
                `${r.id.slice(0, 12)} (${r.topic.slice(5)}:${r.offset}: no original bytes were kept; re-import the fixed file)`,
              )
              continue
            }
            await markReplayed(r)
            const result = await importDecisionText(rt.bus, {
              where: r.topic.slice(5),
              line: Number(r.offset) || 1,
              text: bytes.toString('utf8'),
            })
            failedAgain += result.rejected.length
            replayed++
            continue
          }
          // a record an api client sent and was refused (400): the client sends it again, fixed
          if (r.topic.startsWith('api:')) {
            skipped.push(
              `${r.id.slice(0, 12)} (${r.topic.slice(4)} ${r.offset}: refused with 400, to be resent fixed)`,
            )
            continue
          }
          await rt.bus.publish(r.topic, [{ key: r.key || null, value: bytes }])
          await markReplayed(r)
          replayed++
        }
        await rt.flush()
        io.out(`replayed ${replayed} record(s); any that fail again are dead-lettered anew with their reason`)
        if (failedAgain > 0)
          io.out(`  ${failedAgain} decision record(s) were rejected again (see \`orgpulse dlq list\`)`)
        for (const s of skipped) io.out(`  skipped ${s}`)
        return 0
      })
    })
}
