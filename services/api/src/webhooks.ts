import type { ConnectorWebhook, DeliveryStore, WebhookMount } from '@orgpulse/connector'
import { withWebhook } from '@orgpulse/connectors'
import type { DlqRecord, NamedEnv, OrgpulseConfig, RawEnvelope } from '@orgpulse/contracts'
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify'
import { declareAuth } from './auth/routes.ts'
import { BEARER, documentRoutes, errorResponse, PUBLIC, type RouteDocs } from './openapi.ts'

export interface WebhookWiring {
  config: OrgpulseConfig
  publish(envelopes: RawEnvelope[]): Promise<void>
  deadLetter?(records: DlqRecord[]): Promise<void>
  /** where the signing secrets named by the config are read */
  env: NamedEnv
  log?: (msg: string) => void
  /** durable memory of published deliveries per source (replay dedupe that survives a restart) */
  deliveries?: (source: string) => DeliveryStore
  /**
   * runs before a token route's handler, after authorisation: the api checks there that an org
   * token's records belong to its org (auth/writes.ts)
   */
  writeGuard?: preHandlerAsyncHookHandler
}

/** what the api says about a route: the connector's docs, plus the auth this mount puts in front */
function routeDocs(webhook: ConnectorWebhook): RouteDocs {
  const { accepted, errors, ...docs } = webhook.docs
  const response: Record<string, unknown> = { ...accepted }
  for (const [status, when] of Object.entries(errors)) response[status] = errorResponse(when)
  if (webhook.auth === 'token') {
    // the api's tokens (auth/routes.ts, auth/writes.ts), rate-limited per token
    response[401] = errorResponse('no token, or an unknown or revoked one')
    response[403] = errorResponse(
      "a token without scope write:decisions, or a write:decisions token whose org does not hold a record's raiser, or the stored raiser of a resubmitted id (the reason says which record)",
    )
    response[429] = errorResponse("over the token's rate limit (see Retry-After)")
  }
  return { ...docs, security: webhook.auth === 'token' ? BEARER : PUBLIC, response }
}

async function mount(
  app: FastifyInstance,
  wiring: WebhookWiring,
  auth: ConnectorWebhook['auth'],
): Promise<string[]> {
  const env = wiring.env
  const on: WebhookMount = {
    config: wiring.config,
    publish: wiring.publish,
    ...(wiring.deadLetter ? { deadLetter: wiring.deadLetter } : {}),
    ...(wiring.deliveries ? { deliveries: wiring.deliveries } : {}),
    log: (m) => wiring.log?.(m),
    secret: (name) => env.named(name)?.trim() || undefined,
    env,
  }
  const enabled: string[] = []
  for (const connector of withWebhook()) {
    const webhook = connector.webhook
    if (!webhook || webhook.auth !== auth) continue
    const plugin = webhook.plugin(on)
    if ('off' in plugin) {
      wiring.log?.(plugin.off)
      continue
    }
    await app.register(async (scope) => {
      documentRoutes(scope, { [`${webhook.method} ${webhook.path}`]: routeDocs(webhook) })
      // signed deliveries carry no token (the connector checks the signature); the token routes
      // are the client ingest, which writes decisions
      declareAuth(scope, auth === 'token' ? 'write:decisions' : 'public')
      if (auth === 'token' && wiring.writeGuard) scope.addHook('preHandler', wiring.writeGuard)
      await scope.register(plugin)
    })
    enabled.push(webhook.path)
  }
  return enabled
}

/**
 * The vendor webhooks of every connector that has one, each enabled when its signing secret is
 * in the environment: public routes (no bearer token: the vendor cannot send one) whose
 * signatures the connectors verify. The same routes the ingest services serve in full mode.
 */
export const registerWebhooks = (app: FastifyInstance, wiring: WebhookWiring): Promise<string[]> =>
  mount(app, wiring, 'signature')

/** The connectors' client ingest routes (POST /v1/decisions), behind the api's tokens. */
export const registerClientIngest = (app: FastifyInstance, wiring: WebhookWiring): Promise<string[]> =>
  mount(app, wiring, 'token')
