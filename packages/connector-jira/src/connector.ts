import { CursorStore } from '@orgpulse/clickhouse'
import type { ConnectorWebhook, PullConnector, SyncOptions } from '@orgpulse/connector'
import { jiraConfigSchema } from '@orgpulse/contracts'
import { createJiraClient } from './client-from-config.ts'
import { JiraConfigError, JiraError } from './errors.ts'
import { mapJira } from './mapper/issue.ts'
import { formatProgress } from './progress.ts'
import { registerJiraWebhook, registrationLine, type WebhookRegistration } from './register.ts'
import { type SyncResult, syncJira } from './sync.ts'
import { jiraWebhookRoutes } from './webhooks.ts'

const ack = (description: string, properties: Record<string, unknown>) => ({
  description,
  type: 'object',
  properties,
  additionalProperties: true,
})

/** one line per project and the request count, as `orgpulse ingest jira` prints them */
export function jiraReportLines(result: SyncResult): string[] {
  const lines = result.webhook ? [registrationLine(result.webhook)] : []
  lines.push(
    ...result.projects.map(
      (p) =>
        `jira ${p.project}: ${p.mode} sync (${p.reason}): ${p.issues} issue(s), ${p.histories} change(s)` +
        `${p.changelogsFetched > 0 ? `, ${p.changelogsFetched} long changelog(s) fetched` : ''}` +
        `${p.sprints ? `, ${p.sprints.published} of ${p.sprints.sprints} sprint(s) on ${p.sprints.boards} scrum board(s) snapshotted` : ''}` +
        `; cursor ${p.cursor ?? 'not set'}` +
        `${p.deletions && p.deletions.checked > 0 ? `; ${p.deletions.missing} of ${p.deletions.checked} open item(s) deleted in Jira (${p.deletions.requests} request(s))` : ''}`,
    ),
  )
  lines.push(`${result.requests} request(s) to ${result.instance}`)
  return lines
}

/*
 * No bearer token on this route: Jira cannot send one. Each delivery is signed instead (HMAC-SHA256
 * of the raw body with the shared secret), checked before anything is published.
 */
const webhook: ConnectorWebhook = {
  method: 'POST',
  path: '/webhooks/jira',
  auth: 'signature',
  docs: {
    operationId: 'receiveJiraWebhook',
    summary: 'Jira webhook deliveries (issues and issue links)',
    description:
      'Authenticated by signature, not by token: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret in $JIRA_WEBHOOK_SECRET>`. A retried delivery (same `X-Atlassian-Webhook-Identifier`) or a replayed one (the same signed body under another identifier) is acknowledged without publishing again, also after a restart (the api and the ingest service remember published deliveries in ClickHouse). Enabled when the secret is set.',
    tags: ['webhooks'],
    accepted: {
      200: ack('a retried or replayed delivery, already published', {
        duplicate: { type: 'boolean' },
        deliveryId: { type: 'string' },
      }),
      202: ack('published (or an event type orgpulse does not handle: `ignored`)', {
        accepted: { type: 'integer' },
        deliveryId: { type: 'string' },
        ignored: { type: 'boolean' },
        reason: { type: 'string' },
      }),
    },
    errors: {
      400: 'the body is not a JSON object, X-Atlassian-Webhook-Identifier is missing, or (with jira.webhook.maxAgeSeconds set) the payload `timestamp` is missing or too old',
      401: 'X-Hub-Signature missing or not the signature of this body',
      415: 'not a JSON body',
    },
  },
  plugin(mount) {
    const config = mount.config.jira
    if (!config) return { off: 'Jira webhooks off: no jira section in orgpulse.yaml' }
    const secret = mount.secret(config.webhook.secretEnv)
    if (!secret)
      return {
        off: `Jira webhooks off: set ${config.webhook.secretEnv} to enable POST /webhooks/jira`,
      }
    // issuelink_* deliveries name issues by id only: the route reads their keys back with the
    // configured credentials; without them those deliveries are dead-lettered with the reason
    let client: ReturnType<typeof createJiraClient> | undefined
    try {
      client = createJiraClient(config, { env: mount.env, portfolio: mount.config.portfolio })
    } catch (err) {
      if (!(err instanceof JiraConfigError)) throw err
      mount.log(
        `Jira webhooks: issuelink_* deliveries cannot be read back (${err.message}); they go to the dead-letter topic`,
      )
    }
    return (scope) =>
      jiraWebhookRoutes(scope, {
        secret,
        publish: mount.publish,
        ...(mount.deliveries ? { deliveries: mount.deliveries('jira') } : {}),
        ...(config.webhook.maxAgeSeconds ? { maxAgeMs: config.webhook.maxAgeSeconds * 1000 } : {}),
        ...(client ? { client: client.client, instance: client.instance } : {}),
      })
  },
}

export const jiraConnector: PullConnector<SyncResult> = {
  source: 'jira',
  // 2: issuelink_* deliveries map to dependency events (they mapped to none); a history `created`
  // in epoch ms is read (it was rejected); 3: the item's project and epic on its facts (portfolio)
  mappingVersion: 3,
  configSchema: jiraConfigSchema,
  configured: (config) => config.jira !== undefined,
  mapper: mapJira,
  async sync(ctx, options: SyncOptions = {}) {
    const config = ctx.config.jira
    if (!config)
      throw new JiraConfigError('no jira: section in orgpulse.yaml; add one with at least jira.projects')
    const progress = options.progress
    const env = options.env ?? ctx.env
    const { client, instance } = createJiraClient(config, {
      env,
      portfolio: ctx.config.portfolio,
      ...(progress
        ? {
            onRetry: (r) =>
              progress({
                line: `jira: ${r.status} on ${r.method} ${r.path}; retry ${r.attempt} in ${(r.waitMs / 1000).toFixed(1)} s`,
              }),
            // a long backfill spends Jira's budget and then waits for its reset: say so, or it looks stuck
            onWait: (w) => progress({ line: `jira: waiting ${(w.ms / 1000).toFixed(1)} s; ${w.reason}` }),
          }
        : {}),
    })
    // every pull makes sure the webhook exists (idempotent): `ingest jira`, `ingest watch`, `start`
    // and the ingest-jira service all come through here
    const before = client.http.requestCount
    const webhook: WebhookRegistration = await registerJiraWebhook({ client, config, env }).catch(
      (err: unknown) => {
        if (err instanceof JiraError) return { state: 'off', reason: err.message }
        throw err
      },
    )
    const registrationRequests = client.http.requestCount - before
    const result = await syncJira({
      client,
      clickhouse: ctx.client,
      bus: ctx.bus,
      cursors: new CursorStore(ctx.client),
      durable: ctx.durable,
      config,
      instance,
      full: options.full === true,
      ...(options.only ? { projects: options.only.map((p) => p.toUpperCase()) } : {}),
      ...(progress
        ? {
            onProgress: (p) =>
              progress({ line: formatProgress(p), record: { msg: 'jira sync progress', ...p } }),
          }
        : {}),
    })
    result.webhook = webhook
    result.requests += registrationRequests
    return { result, lines: jiraReportLines(result), failed: [] }
  },
  webhook,
}
