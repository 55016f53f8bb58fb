import type { Env, LinearConfig, NamedEnv } from '@orgpulse/contracts'
import { credentialFromEnv, LinearClient, type LinearClientOptions } from './client.ts'

export * from './client.ts'
export * from './complexity.ts'
export * from './queries.ts'
export * from './rate-limit.ts'
export * from './sync.ts'
export * from './webhooks.ts'

/** The endpoint: LINEAR_API_URL (tests, proxies) over the configured one. */
export const linearApiUrl = (config: LinearConfig, env: Pick<Env, 'LINEAR_API_URL'>): string =>
  env.LINEAR_API_URL || config.apiUrl

/** A client for the configured endpoint with the credential from the environment. */
export function linearClientFromConfig(
  config: LinearConfig,
  env: Pick<Env, 'LINEAR_API_URL' | 'named'>,
  extra: Partial<Omit<LinearClientOptions, 'url' | 'credential'>> = {},
): LinearClient {
  return new LinearClient({
    url: linearApiUrl(config, env),
    credential: credentialFromEnv(env, config),
    ...extra,
  })
}

/** The webhook secret named by the config, or a clear error. */
export function linearWebhookSecret(config: LinearConfig, env: NamedEnv): string {
  const secret = env.named(config.webhookSecretEnv)?.trim()
  if (!secret) throw new Error(`Linear webhooks need a signing secret: set ${config.webhookSecretEnv}`)
  return secret
}
export * from './mapper.ts'
