import { linearConnector } from '@orgpulse/connector-linear'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig, parseEnv } from '@orgpulse/contracts'

/** The linear ingest service for full mode (see startIngestService). */
serveIngest(linearConnector, () => {
  const env = parseEnv(process.env)
  return {
    config: loadConfig(env.ORGPULSE_CONFIG).config,
    env,
    port: 8083,
    pullEveryMinutes: env.ORGPULSE_PULL_EVERY,
  }
})
