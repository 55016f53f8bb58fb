import type { JiraConfig, NamedEnv } from '@orgpulse/contracts'
import { JiraConfigError } from './errors.ts'
import type { JiraAuth } from './http.ts'

export interface JiraConnection {
  baseUrl: string
  auth: JiraAuth
}

/** Base URL from config or env; credentials from the environment only (never from the file). */
export function jiraConnectionFromEnv(config: JiraConfig, env: NamedEnv): JiraConnection {
  const baseUrl = config.baseUrl ?? env.named(config.baseUrlEnv)
  if (!baseUrl) {
    throw new JiraConfigError(
      `no Jira URL: set jira.baseUrl in orgpulse.yaml or the ${config.baseUrlEnv} environment variable`,
    )
  }
  try {
    new URL(baseUrl)
  } catch {
    throw new JiraConfigError(
      `Jira URL "${baseUrl}" (from ${config.baseUrl ? 'jira.baseUrl' : config.baseUrlEnv}) is not a URL`,
    )
  }
  const a = config.auth
  if (config.deployment === 'cloud') {
    const email = env.named(a.emailEnv)
    const token = env.named(a.tokenEnv)
    const missing = [!email && a.emailEnv, !token && a.tokenEnv].filter(Boolean)
    if (missing.length > 0) {
      throw new JiraConfigError(
        `Jira Cloud needs an account email and API token: set ${missing.join(' and ')} (basic auth; create a token at https://id.atlassian.com/manage-profile/security/api-tokens)`,
      )
    }
    return {
      baseUrl,
      auth: { kind: 'basic', email: email!, token: token!, describe: `${a.emailEnv} + ${a.tokenEnv}` },
    }
  }
  const pat = env.named(a.patEnv)
  if (!pat)
    throw new JiraConfigError(
      `Jira Data Center needs a personal access token: set ${a.patEnv} (sent as a bearer token)`,
    )
  return { baseUrl, auth: { kind: 'bearer', token: pat, describe: a.patEnv } }
}
