import { CursorStore } from '@orgpulse/clickhouse'
import type { ConnectorWebhook, PullConnector, SyncOptions, WebhookMount } from '@orgpulse/connector'
import { type LinearConfig, linearConfigSchema } from '@orgpulse/contracts'
import { writeDirectoryIdentities } from '@orgpulse/org'
import { credentialFromEnv, LinearClient } from './client.ts'
import { linearClientFromConfig } from './client-from-config.ts'
import { mapLinear } from './mapper.ts'
import { USER_QUERY } from './queries.ts'
import { type SyncProgress, type SyncResult, syncLinear } from './sync.ts'
import { linearWebhookRoutes } from './webhooks.ts'

export interface LinearSyncOptions extends SyncOptions {
  /** reconcile blocking relations (Linear has no webhook for them); default true */
  relations?: boolean
}

function progressLine(p: SyncProgress): string {
  const where = p.team ? `${p.team} ` : ''
  const rate = p.ratePerSecond > 0 ? `, ${p.ratePerSecond.toFixed(1)}/s` : ''
  const total = p.total !== undefined ? `/${p.total}` : ''
  const eta = p.etaSeconds !== undefined ? `, ETA ${Math.ceil(p.etaSeconds)} s` : ''
  return `linear ${where}${p.phase}: ${p.done}${total}${rate}${eta}`
}

/** what `orgpulse ingest linear` prints after a sync */
export function linearReportLines(r: SyncResult): string[] {
  const lines = r.teams.map(
    (t) =>
      `  ${t.team}: ${t.mode}${t.reason ? ` (${t.reason})` : ''}, ${t.issues} issue(s), ${t.cycles} cycle(s), cursor ${t.cursor ?? '(none)'}`,
  )
  if (r.relations)
    lines.push(
      `  relations: ${r.relations.blocking} blocking, ${r.relations.removed} removed since the last pull`,
    )
  if (r.users > 0) lines.push(`  users: ${r.users} in the directory`)
  lines.push(
    `  ${r.envelopes} record(s) published in ${r.requests} request(s)${r.waitedMs > 0 ? `, ${(r.waitedMs / 1000).toFixed(1)} s waiting for Linear rate limits` : ''}`,
  )
  return ['linear sync done', ...lines]
}

/** Linear expects an answer within seconds; a slower look-up leaves the ids to the directory */
const LOOKUP_TIMEOUT_MS = 2_000
/** a user's email rarely changes: one look-up per id and hour at most */
const LOOKUP_CACHE_MS = 3_600_000

/**
 * The webhook route's look-up of user ids a delivery names without an email (GraphQL `user(id)`),
 * when a Linear credential is in this process's environment; undefined otherwise.
 */
function userLookup(
  mount: WebhookMount,
  config: LinearConfig,
): ((ids: string[]) => Promise<Record<string, string>>) | undefined {
  let credential: ReturnType<typeof credentialFromEnv>
  try {
    credential = credentialFromEnv({ named: (name) => mount.secret(name) }, config)
  } catch {
    return undefined
  }
  const client = new LinearClient({
    url: mount.secret('LINEAR_API_URL') ?? config.apiUrl,
    credential,
    maxRetries: 0,
    timeoutMs: LOOKUP_TIMEOUT_MS,
  })
  const cache = new Map<string, { email: string; at: number }>()
  const lookUp = async (ids: string[]): Promise<Record<string, string>> => {
    const found: Record<string, string> = {}
    for (const id of ids) {
      const hit = cache.get(id)
      if (hit && Date.now() - hit.at < LOOKUP_CACHE_MS) {
        found[id] = hit.email
        continue
      }
      const data = await client.request<{ user: { id: string; email?: string | null } | null }>(USER_QUERY, {
        id,
      })
      if (data.user?.email) {
        cache.set(id, { email: data.user.email, at: Date.now() })
        found[id] = data.user.email
      }
    }
    return found
  }
  // the client may also wait for Linear's rate-limit budget: bound the whole look-up
  return (ids) => {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Linear user look-up timed out')), LOOKUP_TIMEOUT_MS)
      timer.unref()
    })
    return Promise.race([lookUp(ids), late]).finally(() => clearTimeout(timer))
  }
}

/* Signed by Linear (HMAC-SHA256 of the raw body), never a bearer token: Linear cannot send one. */
const webhook: ConnectorWebhook = {
  method: 'POST',
  path: '/webhooks/linear',
  auth: 'signature',
  docs: {
    operationId: 'receiveLinearWebhook',
    summary: 'Linear webhook deliveries',
    description:
      'Authenticated by signature, not by token: `Linear-Signature: <hex HMAC-SHA256 of the raw body with the secret in $LINEAR_WEBHOOK_SECRET>`, and a `webhookTimestamp` within the tolerance (replays are refused). Enabled when the secret is set.',
    tags: ['webhooks'],
    accepted: {
      200: {
        description: 'published',
        type: 'object',
        properties: { ok: { type: 'boolean' } },
        additionalProperties: true,
      },
    },
    errors: {
      400: 'not a JSON body',
      401: 'the signature is missing or wrong, the signed body is not a JSON object, or its timestamp is stale',
      415: 'a content type the api does not read',
    },
  },
  plugin(mount) {
    // the secret alone turns it on: a workspace may push to orgpulse before any team is mapped
    const config = mount.config.linear ?? linearConfigSchema.parse({})
    const secret = mount.secret(config.webhookSecretEnv)
    if (!secret)
      return { off: `Linear webhooks off: set ${config.webhookSecretEnv} to enable POST /webhooks/linear` }
    const lookupUsers = userLookup(mount, config)
    if (!lookupUsers)
      mount.log(
        `Linear webhooks: no ${config.apiKeyEnv} or ${config.oauthTokenEnv} here, so user ids a delivery names without an email resolve only through the directory the pull writes`,
      )
    return (scope) =>
      linearWebhookRoutes(scope, { secret, publish: mount.publish, ...(lookupUsers ? { lookupUsers } : {}) })
  },
}

export const linearConnector: PullConnector<SyncResult, LinearSyncOptions> = {
  source: 'linear',
  // 2: webhook people from ids and the actor; `remove` deliveries map to a deletion; 3: the
  // issue's project id on its facts (portfolio)
  mappingVersion: 3,
  configSchema: linearConfigSchema,
  configured: (config) => config.linear !== undefined,
  mapper: mapLinear,
  async sync(ctx, options: LinearSyncOptions = {}) {
    const config = ctx.config.linear ?? linearConfigSchema.parse({})
    const progress = options.progress
    const client = linearClientFromConfig(config, options.env ?? ctx.env, {
      ...(progress
        ? { onWait: ({ ms, reason }) => progress({ line: `waiting ${(ms / 1000).toFixed(1)} s: ${reason}` }) }
        : {}),
    })
    const result = await syncLinear({
      client,
      bus: ctx.bus,
      cursors: new CursorStore(ctx.client),
      durable: ctx.durable,
      config,
      full: options.full === true,
      // webhooks name people by Linear id: `linear:<id>` resolves to the user's email at query time
      directory: async (users) => {
        await writeDirectoryIdentities(
          ctx.client,
          users.filter((u) => u.email).map((u) => ({ identity: `linear:${u.id}`, email: u.email })),
        )
      },
      ...(options.only ? { teams: options.only } : {}),
      ...(options.relations !== undefined ? { relations: options.relations } : {}),
      ...(progress ? { progress: (p) => progress({ line: progressLine(p) }) } : {}),
    })
    return { result, lines: linearReportLines(result), failed: [] }
  },
  webhook,
}
