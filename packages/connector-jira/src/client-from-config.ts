import type { JiraConfig, NamedEnv, PortfolioConfig } from '@orgpulse/contracts'
import { JiraClient } from './client.ts'
import { jiraConnectionFromEnv } from './env.ts'
import { JiraHttp, type RetryInfo } from './http.ts'

/** A client for the configured instance, with credentials from the environment. */
export function createJiraClient(
  config: JiraConfig,
  options: {
    env: NamedEnv
    onRetry?: (info: RetryInfo) => void
    /** told before every wait for Jira's rate-limit budget */
    onWait?: (info: { ms: number; reason: string }) => void
    /** the portfolio's legacy Epic Link field is read too, when configured */
    portfolio?: PortfolioConfig | undefined
  },
): { client: JiraClient; instance: string } {
  const conn = jiraConnectionFromEnv(config, options.env)
  const http = new JiraHttp({
    baseUrl: conn.baseUrl,
    auth: conn.auth,
    maxRetries: config.sync.maxRetries,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.onWait ? { onWait: options.onWait } : {}),
  })
  const expected = config.decisions.expectedDecider
  const extraFields = expected.startsWith('customfield_') ? [expected] : []
  const epicLink = options.portfolio?.jira.epicLinkField
  if (epicLink) extraFields.push(epicLink)
  return { client: new JiraClient(http, config.deployment, extraFields), instance: http.baseUrl }
}
