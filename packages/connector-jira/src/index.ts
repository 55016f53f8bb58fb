import type { JiraConfig, NamedEnv } from '@orgpulse/contracts'
import { JiraClient } from './client.ts'
import { jiraConnectionFromEnv } from './env.ts'
import { JiraHttp, type RetryInfo } from './http.ts'

export * from './client.ts'
export * from './env.ts'
export * from './envelopes.ts'
export * from './errors.ts'
export * from './http.ts'
export * from './jql.ts'
export * from './progress.ts'
export * from './sprints.ts'
export * from './sync.ts'
export * from './webhooks.ts'

/** A client for the configured instance, with credentials from the environment. */
export function createJiraClient(
  config: JiraConfig,
  options: { env: NamedEnv; onRetry?: (info: RetryInfo) => void },
): { client: JiraClient; instance: string } {
  const conn = jiraConnectionFromEnv(config, options.env)
  const http = new JiraHttp({
    baseUrl: conn.baseUrl,
    auth: conn.auth,
    maxRetries: config.sync.maxRetries,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  })
  return { client: new JiraClient(http, config.deployment), instance: http.baseUrl }
}
export * from './mapper/issue.ts'
