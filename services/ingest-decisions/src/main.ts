import { decisionsConnector } from '@orgpulse/connector-decisions'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig } from '@orgpulse/contracts'

/** The decisions ingest service for full mode (see startIngestService). */
serveIngest(decisionsConnector, {
  config: loadConfig().config,
  env: process.env,
  port: Number(process.env.PORT ?? 8081),
  host: process.env.HOST ?? '0.0.0.0',
  pullEveryMinutes: Number(process.env.ORGPULSE_PULL_EVERY ?? 15),
  dataDir: process.env.ORGPULSE_DATA_DIR ?? '.orgpulse',
})
