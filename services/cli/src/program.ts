import { Command } from 'commander'
import { registerAlertsCommands } from './commands/alerts.ts'
import { registerCalendarCommands } from './commands/calendar.ts'
import { registerClickHouseAccessCommands } from './commands/clickhouse-access.ts'
import { registerCoreCommands } from './commands/core.ts'
import { registerDashboardsCommands } from './commands/dashboards.ts'
import { registerDemoCommand } from './commands/demo.ts'
import { registerDigestCommands } from './commands/digest.ts'
import { registerDlqCommands } from './commands/dlq.ts'
import { registerExportCommands } from './commands/export.ts'
import { registerGrafanaCommands } from './commands/grafana.ts'
import { registerIngestCommands } from './commands/ingest.ts'
import { registerMetricsCommands } from './commands/metrics.ts'
import { registerOrgCommands } from './commands/org.ts'
import { registerReviewCommand } from './commands/review.ts'
import { registerTokenCommands } from './commands/tokens.ts'
import type { CommandContext } from './context.ts'

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('orgpulse')
    .description('Decision-health metrics for directors of product and engineering.')
    .option(
      '--data-dir <dir>',
      'where embedded mode keeps its data (ClickHouse files, lock)',
      ctx.env.ORGPULSE_DATA_DIR,
    )
    .option('--config <file>', 'orgpulse.yaml (default: $ORGPULSE_CONFIG or ./orgpulse.yaml)')
    .option('--log-level <level>', 'pino log level for pipeline logs on stderr', ctx.env.LOG_LEVEL ?? 'warn')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
    })
  registerCoreCommands(program, ctx, buildProgram)
  registerOrgCommands(program, ctx)
  registerIngestCommands(program, ctx)
  registerCalendarCommands(program, ctx)
  registerMetricsCommands(program, ctx)
  registerDemoCommand(program, ctx)
  registerTokenCommands(program, ctx)
  registerExportCommands(program, ctx)
  registerReviewCommand(program, ctx)
  registerClickHouseAccessCommands(program, ctx)
  registerDashboardsCommands(program, ctx)
  registerAlertsCommands(program, ctx)
  registerDigestCommands(program, ctx)
  registerGrafanaCommands(program, ctx)
  registerDlqCommands(program, ctx)
  return program
}
