import type { OrgpulseConfig, RawEnvelope } from '@orgpulse/contracts'
import { linearConfigSchema } from '@orgpulse/contracts'
import { jiraWebhookRoutes, jiraWebhookSecretFromEnv } from '@orgpulse/ingest-jira'
import { linearWebhookRoutes } from '@orgpulse/ingest-linear'
import type { FastifyInstance } from 'fastify'

export interface WebhookWiring {
  config: OrgpulseConfig
  publish(envelopes: RawEnvelope[]): Promise<void>
  env?: NodeJS.ProcessEnv
  log?: (msg: string) => void
}

/**
 * Vendor webhooks, each enabled when its signing secret is in the environment: they are public
 * routes (no bearer token) whose signatures the connectors verify. Google Calendar has none:
 * its push notifications carry no event body, so calendars are polled.
 */
export async function registerWebhooks(app: FastifyInstance, wiring: WebhookWiring): Promise<string[]> {
  const env = wiring.env ?? process.env
  const enabled: string[] = []
  if (wiring.config.jira) {
    const secret = jiraWebhookSecretFromEnv(wiring.config.jira, env)
    if (secret) {
      await app.register(jiraWebhookRoutes, { secret, publish: wiring.publish })
      enabled.push('/webhooks/jira')
    } else
      wiring.log?.(
        `Jira webhooks off: set ${wiring.config.jira.webhook.secretEnv} to enable POST /webhooks/jira`,
      )
  }
  const linear = wiring.config.linear ?? linearConfigSchema.parse({})
  const linearSecret = env[linear.webhookSecretEnv]?.trim()
  if (linearSecret) {
    await app.register(linearWebhookRoutes, { secret: linearSecret, publish: wiring.publish })
    enabled.push('/webhooks/linear')
  }
  return enabled
}
