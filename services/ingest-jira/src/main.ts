import { jiraConnector } from '@orgpulse/connector-jira'
import { serveIngest } from '@orgpulse/connectors'
import { loadConfig, parseEnv } from '@orgpulse/contracts'

/** The jira ingest service for full mode (see startIngestService). */
serveIngest(jiraConnector, () => {
  const env = parseEnv(process.env)
  return {
    config: loadConfig(env.ORGPULSE_CONFIG).config,
    env,
    port: 8082,
    pullEveryMinutes: env.ORGPULSE_PULL_EVERY,
  }
})
