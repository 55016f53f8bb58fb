import { jiraWebhookRoutes, jiraWebhookSecretFromEnv } from '@orgpulse/connector-jira'
import { linearWebhookRoutes } from '@orgpulse/connector-linear'
import type { NamedEnv, OrgpulseConfig, RawEnvelope } from '@orgpulse/contracts'
import { linearConfigSchema } from '@orgpulse/contracts'
import type { FastifyInstance } from 'fastify'
import { documentRoutes, errorResponse, PUBLIC, type RouteDocs } from './openapi.ts'

/** a 2xx body of a webhook route: the fields listed, whichever apply */
const ack = (description: string, properties: Record<string, unknown>) => ({
  description,
  type: 'object',
  properties,
  additionalProperties: true,
})

/*
 * The webhooks take no bearer token (`security: []`): the vendor cannot send one. Each delivery is
 * authenticated by its signature instead, an HMAC-SHA256 of the raw body with the shared secret,
 * which the connector checks before anything is published.
 */
const JIRA_DOCS: RouteDocs = {
  operationId: 'receiveJiraWebhook',
  summary: 'Jira webhook deliveries (issues and issue links)',
  description:
    'Authenticated by signature, not by token: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret in $JIRA_WEBHOOK_SECRET>`. A retried delivery (same `X-Atlassian-Webhook-Identifier`) is acknowledged without publishing again. Enabled when the secret is set.',
  tags: ['webhooks'],
  security: PUBLIC,
  response: {
    200: ack('a retried delivery, already published', {
      duplicate: { type: 'boolean' },
      deliveryId: { type: 'string' },
    }),
    202: ack('published (or an event type orgpulse does not handle: `ignored`)', {
      accepted: { type: 'integer' },
      deliveryId: { type: 'string' },
      ignored: { type: 'boolean' },
      reason: { type: 'string' },
    }),
    400: errorResponse('the body is not a JSON object, or X-Atlassian-Webhook-Identifier is missing'),
    401: errorResponse('X-Hub-Signature missing or not the signature of this body'),
    415: errorResponse('not a JSON body'),
  },
}

const LINEAR_DOCS: RouteDocs = {
  operationId: 'receiveLinearWebhook',
  summary: 'Linear webhook deliveries',
  description:
    'Authenticated by signature, not by token: `Linear-Signature: <hex HMAC-SHA256 of the raw body with the secret in $LINEAR_WEBHOOK_SECRET>`, and a `webhookTimestamp` within the tolerance (replays are refused). Enabled when the secret is set.',
  tags: ['webhooks'],
  security: PUBLIC,
  response: {
    200: ack('published', { ok: { type: 'boolean' } }),
    400: errorResponse('not a JSON body'),
    401: errorResponse(
      'the signature is missing or wrong, the signed body is not a JSON object, or its timestamp is stale',
    ),
    415: errorResponse('a content type the api does not read'),
  },
}

export interface WebhookWiring {
  config: OrgpulseConfig
  publish(envelopes: RawEnvelope[]): Promise<void>
  /** where the signing secrets named by the config are read */
  env: NamedEnv
  log?: (msg: string) => void
}

/**
 * Vendor webhooks, each enabled when its signing secret is in the environment: they are public
 * routes (no bearer token) whose signatures the connectors verify. Google Calendar has none:
 * its push notifications carry no event body, so calendars are polled.
 */
export async function registerWebhooks(app: FastifyInstance, wiring: WebhookWiring): Promise<string[]> {
  const env = wiring.env
  const enabled: string[] = []
  if (wiring.config.jira) {
    const secret = jiraWebhookSecretFromEnv(wiring.config.jira, env)
    if (secret) {
      await app.register(async (scope) => {
        documentRoutes(scope, { 'POST /webhooks/jira': JIRA_DOCS })
        await scope.register(jiraWebhookRoutes, { secret, publish: wiring.publish })
      })
      enabled.push('/webhooks/jira')
    } else
      wiring.log?.(
        `Jira webhooks off: set ${wiring.config.jira.webhook.secretEnv} to enable POST /webhooks/jira`,
      )
  }
  const linear = wiring.config.linear ?? linearConfigSchema.parse({})
  const linearSecret = env.named(linear.webhookSecretEnv)?.trim()
  if (linearSecret) {
    await app.register(async (scope) => {
      documentRoutes(scope, { 'POST /webhooks/linear': LINEAR_DOCS })
      await scope.register(linearWebhookRoutes, { secret: linearSecret, publish: wiring.publish })
    })
    enabled.push('/webhooks/linear')
  }
  return enabled
}
