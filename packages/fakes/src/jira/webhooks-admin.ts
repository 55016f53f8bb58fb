import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Jira's webhook registration APIs, as the fake Jira serves them.
 *
 * Admin webhooks, `/rest/webhooks/1.0/webhook` (Jira Cloud and Data Center), from
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/ ("Registering a webhook using the
 * REST API", "Secure admin webhooks") and the Server/Data Center page it grew from
 * (https://developer.atlassian.com/server/jira/platform/webhooks/), with the request and response
 * types jira.js publishes for it (server `createWebhook`: name, url, events, filters
 * `{"issue-related-events-section": jql}`, excludeBody; https://mrrefactoring.github.io/jira.js/api/functions/server.createWebhook.html):
 * - GET lists every admin webhook as a bare JSON array (no paging), each with `self`, `name`,
 *   `url`, `events`, `filters`, `excludeBody`, `enabled` and the last editor; the `secret` is
 *   write-only and never returned;
 * - POST registers one and answers 201 with it; PUT `/{id}` replaces it; DELETE `/{id}` answers 204;
 * - only a Jira administrator may call them: anyone else gets 403 with `errorMessages`.
 * A registered webhook with a secret has its deliveries signed `X-Hub-Signature: sha256=<hex
 * HMAC-SHA256 of the body>`; it never expires.
 *
 * Dynamic webhooks, `/rest/api/{2,3}/webhook` and `PUT .../webhook/refresh`
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/): "Only Connect
 * and OAuth 2.0 apps can use this operation", so a basic-auth or PAT caller, the only kind this
 * fake authenticates, is refused with 403.
 */

export interface AdminWebhook {
  id: number
  name: string
  url: string
  events: string[]
  /** `issue-related-events-section`: the JQL that limits issue events */
  filters: Record<string, string>
  excludeBody: boolean
  enabled: boolean
  /** write-only at Jira; kept here so the fake can sign deliveries as Jira would */
  secret?: string
  lastUpdated: number
}

export interface AdminWebhookState {
  webhooks: Map<number, AdminWebhook>
  nextId: number
}

type Send = (res: ServerResponse, status: number, body: unknown) => void

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Answers the registration routes; false when the path is not one of them. */
export async function adminWebhookRoute(
  ctx: {
    req: IncomingMessage
    res: ServerResponse
    path: string
    baseUrl: string
    siteAdmin: boolean
    now: () => number
    state: AdminWebhookState
    readBody(req: IncomingMessage): Promise<Record<string, unknown>>
    send: Send
  },
  /** the caller's display name, recorded as the last editor */
  editor: string,
): Promise<boolean> {
  const { req, res, path, state, send } = ctx
  const method = req.method ?? 'GET'
  const forbidden = (message: string) => send(res, 403, { errorMessages: [message], errors: {} })

  if (/^\/rest\/api\/[23]\/webhook(\/refresh|\/failed)?\/?$/.test(path)) {
    forbidden('Only Connect and OAuth 2.0 apps can use this operation.')
    return true
  }
  const m = /^\/rest\/webhooks\/1\.0\/webhook(?:\/(\d+))?\/?$/.exec(path)
  if (!m) return false
  if (!ctx.siteAdmin) {
    forbidden('You do not have the permission to manage webhooks. Only Jira administrators can.')
    return true
  }
  const render = (w: AdminWebhook) => ({
    self: `${ctx.baseUrl}/rest/webhooks/1.0/webhook/${w.id}`,
    name: w.name,
    url: w.url,
    excludeBody: w.excludeBody,
    filters: w.filters,
    events: w.events,
    enabled: w.enabled,
    lastUpdatedUser: editor,
    lastUpdatedDisplayName: editor,
    lastUpdated: w.lastUpdated,
  })
  const id = m[1] ? Number(m[1]) : undefined
  if (id === undefined && method === 'GET') {
    send(res, 200, [...state.webhooks.values()].map(render))
    return true
  }
  const existing = id !== undefined ? state.webhooks.get(id) : undefined
  if (id !== undefined && !existing) {
    send(res, 404, { errorMessages: [`Webhook with id ${id} does not exist.`], errors: {} })
    return true
  }
  if (existing && method === 'GET') {
    send(res, 200, render(existing))
    return true
  }
  if (existing && method === 'DELETE') {
    state.webhooks.delete(existing.id)
    res.writeHead(204)
    res.end()
    return true
  }
  if ((id === undefined && method === 'POST') || (existing && method === 'PUT')) {
    const body = await ctx.readBody(req)
    const name = text(body.name)
    const url = text(body.url)
    const events = Array.isArray(body.events) ? body.events.filter((e) => typeof e === 'string') : []
    const errors: Record<string, string> = {}
    if (!name) errors.name = 'The webhook name is required.'
    if (!url || !/^https?:\/\//.test(url)) errors.url = 'The webhook URL must be an absolute http(s) URL.'
    if (Object.keys(errors).length > 0) {
      send(res, 400, { errorMessages: [], errors })
      return true
    }
    const filters =
      body.filters && typeof body.filters === 'object'
        ? Object.fromEntries(
            Object.entries(body.filters as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
          )
        : {}
    const secret = text(body.secret) ?? (method === 'PUT' ? existing?.secret : undefined)
    const w: AdminWebhook = {
      id: existing?.id ?? state.nextId++,
      name: name!,
      url: url!,
      events,
      filters: filters as Record<string, string>,
      excludeBody: body.excludeBody === true,
      enabled: body.enabled !== false,
      ...(secret ? { secret } : {}),
      lastUpdated: ctx.now(),
    }
    state.webhooks.set(w.id, w)
    send(res, existing ? 200 : 201, render(w))
    return true
  }
  send(res, 405, { errorMessages: [`${method} is not allowed here.`], errors: {} })
  return true
}
