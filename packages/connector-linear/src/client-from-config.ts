import type { LinearConfig } from '@orgpulse/contracts'
import { credentialFromEnv, LinearClient, type LinearClientOptions } from './client.ts'

/** The endpoint: LINEAR_API_URL (tests, proxies) over the configured one. */
export const linearApiUrl = (config: LinearConfig, env: NodeJS.ProcessEnv = process.env): string =>
  env.LINEAR_API_URL?.trim() || config.apiUrl

/** A client for the configured endpoint with the credential from the environment. */
export function linearClientFromConfig(
  config: LinearConfig,
  env: NodeJS.ProcessEnv = process.env,
  extra: Partial<Omit<LinearClientOptions, 'url' | 'credential'>> = {},
): LinearClient {
  return new LinearClient({
    url: linearApiUrl(config, env),
    credential: credentialFromEnv(env, config),
    ...extra,
  })
}

/** The webhook secret named by the config, or a clear error. */
export function linearWebhookSecret(config: LinearConfig, env: NodeJS.ProcessEnv = process.env): string {
  const secret = env[config.webhookSecretEnv]?.trim()
  if (!secret) throw new Error(`Linear webhooks need a signing secret: set ${config.webhookSecretEnv}`)
  return secret
}
