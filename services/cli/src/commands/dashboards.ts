import { relative } from 'node:path'
import type { Command } from 'commander'
import type { CommandContext } from '../context.ts'

export function registerDashboardsCommands(program: Command, ctx: CommandContext): void {
  const dashboards = program
    .command('dashboards')
    .description('Grafana dashboards, alert rules and provisioning generated from the metric catalog')
  dashboards
    .command('build')
    .description(
      'regenerate dashboards/generated (Grafana JSON) and dashboards/provisioning (data source, providers, alert rules, contact points); byte-identical for the same catalog and config',
    )
    .option('--check', 'write nothing; exit 1 when the committed files differ from a fresh build')
    .action(async (opts: { check?: boolean }, cmd: Command) => {
      await ctx.withRuntime(cmd, async (rt, io) => {
        const { DASHBOARDS_DIR, staleArtifacts, writeArtifacts } = await import('@orgpulse/dashboards')
        const where = relative(process.cwd(), DASHBOARDS_DIR) || '.'
        if (opts.check) {
          const stale = staleArtifacts(rt.config)
          if (stale.length === 0) {
            io.out(`${where}: up to date`)
            return 0
          }
          io.out(
            `${where}: stale, run \`orgpulse dashboards build\`:\n${stale.map((s) => `  ${s}`).join('\n')}`,
          )
          return 1
        }
        const report = writeArtifacts(rt.config)
        for (const p of report.written) io.out(`wrote    ${where}/${p}`)
        for (const p of report.removed) io.out(`removed  ${where}/${p}`)
        io.out(
          `${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed`,
        )
        return 0
      })
    })
}
