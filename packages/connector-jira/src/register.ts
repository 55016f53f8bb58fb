import type { JiraConfig, NamedEnv } from '@orgpulse/contracts'
import { z } from 'zod'
import type { JiraClient } from './client.ts'
import { JiraAuthError, JiraError, JiraNotFoundError, JiraPermissionError } from './errors.ts'
import { JIRA_WEBHOOK_EVENTS } from './webhooks.ts'

/**
 * Registers orgpulse's webhook at Jira, once: every pull calls it, and it only writes when Jira's
 * admin webhook for our URL is missing or differs from what the config asks for.
 *
 * Admin webhooks (`/rest/webhooks/1.0/webhook`) are the one kind a basic-auth or PAT credential
 * can register: they need a Jira administrator, carry our shared secret (deliveries signed
 * `X-Hub-Signature`, which the webhook route checks) and never expire. Dynamic webhooks
 * (`/rest/api/3/webhook`, 30-day expiry, JWT-signed deliveries) are open only to Connect and
 * OAuth 2.0 apps, which this connector does not authenticate as; asking for them reports why.
 * Shapes: https://developer.atlassian.com/cloud/jira/platform/webhooks/ ("Registering a webhook
 * using the REST API", "Secure admin webhooks").
 */

export type WebhookRegistration =
  | { state: 'registered' | 'already registered' | 'updated'; url: string; id: string }
  | { state: 'off'; reason: string }

const adminWebhookSchema = z.looseObject({
  self: z.string(),
  name: z.string().optional(),
  url: z.string(),
  events: z.array(z.string()).default([]),
  filters: z.record(z.string(), z.unknown()).nullish(),
  enabled: z.boolean().optional(),
})
type AdminWebhook = z.infer<typeof adminWebhookSchema>

const ADMIN_PATH = '/rest/webhooks/1.0/webhook'
const JQL_FILTER = 'issue-related-events-section'

/** where Jira should deliver, from jira.webhook.url or the variable it names */
export function webhookTarget(config: JiraConfig, env: NamedEnv): string | null {
  const base = config.webhook.url ?? env.named(config.webhook.urlEnv)
  if (!base) return null
  return `${base.replace(/\/+$/, '')}/webhooks/jira`
}

/** the JQL that limits issue events to the configured projects */
export const webhookJql = (config: JiraConfig): string => `project in (${config.projects.join(', ')})`

const sameSet = (a: string[], b: readonly string[]) => a.length === b.length && b.every((x) => a.includes(x))

export async function registerJiraWebhook(options: {
  client: JiraClient
  config: JiraConfig
  env: NamedEnv
}): Promise<WebhookRegistration> {
  const { client, config, env } = options
  const hook = config.webhook
  if (hook.registration === 'off')
    return { state: 'off', reason: 'jira.webhook.registration is off (register the webhook by hand)' }
  if (hook.registration === 'dynamic')
    return {
      state: 'off',
      reason:
        'dynamic webhooks (/rest/api/3/webhook, 30-day expiry, JWT-signed) can only be registered by an OAuth 2.0 or Connect app, and this connector authenticates with an API token or PAT; set jira.webhook.registration: admin (a Jira administrator credential) or off',
    }
  const secret = env.named(hook.secretEnv)
  if (!secret)
    return { state: 'off', reason: `set ${hook.secretEnv} (the secret Jira signs deliveries with)` }
  const url = webhookTarget(config, env)
  if (!url)
    return {
      state: 'off',
      reason: `no public URL for Jira to call: set jira.webhook.url or ${hook.urlEnv}`,
    }
  const jql = webhookJql(config)
  const what = 'registering the Jira admin webhook'
  let existing: AdminWebhook[]
  try {
    existing = z
      .array(adminWebhookSchema)
      .parse(await client.http.request<unknown>('GET', ADMIN_PATH, { what: `${what} (listing)` }))
  } catch (err) {
    if (err instanceof JiraPermissionError || err instanceof JiraAuthError)
      return {
        state: 'off',
        reason: `the Jira account is not a Jira administrator (${err.status} on ${ADMIN_PATH}); register the webhook by hand or use an admin credential`,
      }
    if (err instanceof JiraNotFoundError)
      return { state: 'off', reason: `this Jira has no admin webhook API (404 on ${ADMIN_PATH})` }
    if (err instanceof z.ZodError)
      throw new JiraError(`${what}: unexpected response shape from ${ADMIN_PATH}: ${err.message}`)
    throw err
  }
  const body = {
    name: hook.name,
    url,
    events: [...JIRA_WEBHOOK_EVENTS],
    filters: { [JQL_FILTER]: jql },
    excludeBody: false,
    // write-only at Jira: it cannot be read back, so a changed secret is not detected here
    secret,
  }
  const idOf = (w: { self: string }) => w.self.replace(/\/+$/, '').split('/').pop() ?? w.self
  const ours = existing.find((w) => w.url === url)
  if (ours) {
    // an administrator's choice to pause it stands: re-enabling it behind their back would not
    if (ours.enabled === false)
      return {
        state: 'off',
        reason: `admin webhook ${idOf(ours)} for ${url} is disabled in Jira; enable it there (Jira settings → System → WebHooks)`,
      }
    const current = typeof ours.filters?.[JQL_FILTER] === 'string' ? ours.filters[JQL_FILTER] : ''
    if (sameSet(ours.events, JIRA_WEBHOOK_EVENTS) && current === jql)
      return { state: 'already registered', url, id: idOf(ours) }
    const updated = adminWebhookSchema.parse(
      await client.http.request<unknown>('PUT', `${ADMIN_PATH}/${idOf(ours)}`, { body, what }),
    )
    return { state: 'updated', url, id: idOf(updated) }
  }
  const created = adminWebhookSchema.parse(
    await client.http.request<unknown>('POST', ADMIN_PATH, { body, what }),
  )
  return { state: 'registered', url, id: idOf(created) }
}

export function registrationLine(r: WebhookRegistration): string {
  return r.state === 'off'
    ? `jira webhook: off: ${r.reason}`
    : `jira webhook: ${r.state} (admin webhook ${r.id} → ${r.url})`
}
