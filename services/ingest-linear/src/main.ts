import { linearConnector } from '@orgpulse/connector-linear'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig } from '@orgpulse/contracts'

/** The linear ingest service for full mode (see startIngestService). */
serveIngest(linearConnector, {
  config: loadConfig().config,
  env: process.env,
  port: Number(process.env.PORT ?? 8083),
  host: process.env.HOST ?? '0.0.0.0',
  pullEveryMinutes: Number(process.env.ORGPULSE_PULL_EVERY ?? 15),
  dataDir: process.env.ORGPULSE_DATA_DIR ?? '.orgpulse',
  logLevel: process.env.LOG_LEVEL ?? 'info',
})
