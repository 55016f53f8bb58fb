import type { Env, LinearConfig } from '@orgpulse/contracts'
import { credentialFromEnv, LinearClient, type LinearClientOptions } from './client.ts'

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
