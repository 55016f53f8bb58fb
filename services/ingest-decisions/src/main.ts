import { decisionsConnector } from '@orgpulse/connector-decisions'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig, parseEnv } from '@orgpulse/contracts'

/**
 * The decision-log ingest service for full mode: POST /v1/decisions → orgpulse.raw.decisions.v1
 * (no pull: decision records are pushed). See startIngestService.
 */
serveIngest(decisionsConnector, () => {
  const env = parseEnv(process.env)
  return {
    config: loadConfig(env.ORGPULSE_CONFIG).config,
    env,
    port: 8081,
    pullEveryMinutes: 0,
  }
})
