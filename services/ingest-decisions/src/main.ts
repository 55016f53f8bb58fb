import { decisionsConnector } from '@orgpulse/connector-decisions'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig } from '@orgpulse/contracts'

/**
 * The decision-log ingest service for full mode: POST /v1/decisions → orgpulse.raw.decisions.v1
 * (no pull: decision records are pushed). See startIngestService.
 */
serveIngest(decisionsConnector, {
  config: loadConfig().config,
  env: process.env,
  port: Number(process.env.PORT ?? 8081),
  host: process.env.HOST ?? '0.0.0.0',
  pullEveryMinutes: 0,
  dataDir: process.env.ORGPULSE_DATA_DIR ?? '.orgpulse',
  logLevel: process.env.LOG_LEVEL ?? 'info',
})
