import { calendarConnector } from '@orgpulse/connector-calendar'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig } from '@orgpulse/contracts'

/** The calendar ingest service for full mode: Google Calendar and ICS feeds, pulled only (see startIngestService). */
serveIngest(calendarConnector, {
  config: loadConfig().config,
  env: process.env,
  port: Number(process.env.PORT ?? 8084),
  host: process.env.HOST ?? '0.0.0.0',
  pullEveryMinutes: Number(process.env.ORGPULSE_PULL_EVERY ?? 15),
  dataDir: process.env.ORGPULSE_DATA_DIR ?? '.orgpulse',
  logLevel: process.env.LOG_LEVEL ?? 'info',
})
