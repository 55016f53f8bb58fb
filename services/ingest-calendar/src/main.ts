import { calendarConnector } from '@orgpulse/connector-calendar'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig, parseEnv } from '@orgpulse/contracts'

/** The calendar ingest service for full mode: Google Calendar, Microsoft 365 and ICS feeds, pulled only (see startIngestService). */
serveIngest(calendarConnector, () => {
  const env = parseEnv(process.env)
  return {
    config: loadConfig(env.ORGPULSE_CONFIG).config,
    env,
    port: 8084,
    pullEveryMinutes: env.ORGPULSE_PULL_EVERY,
  }
})
