import { createHash, timingSafeEqual } from 'node:crypto'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { matches, parseFilter, SCIM_LIST, ScimError, ScimUserStore, type StoredUser } from '@orgpulse/org'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { listOf, schemas, serviceProviderConfig, userResourceType } from './discovery.ts'

export interface ScimOptions {
  client: ClickHouseClient
  /** ORGPULSE_SCIM_TOKEN; unset: every request is refused */
  token: string | undefined
  now?: () => Date
}

export const SCIM_PREFIX = '/scim/v2'
const SCIM_JSON = 'application/scim+json; charset=utf-8'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * The SCIM 2.0 service-provider endpoint Okta and Entra ID provisioning push users to
 * (RFC 7644): /Users with POST, GET (one, or a list with `filter`), PUT, PATCH and DELETE, and
 * the discovery resources. Its bearer token is its own (ORGPULSE_SCIM_TOKEN), not an api token:
 * it may only provision users, and an api token may not. `org sync` with `hr.source: scim` turns
 * the users into a snapshot.
 */
export async function scimRoutes(app: FastifyInstance, options: ScimOptions): Promise<void> {
  const store = new ScimUserStore(options.client, options.now)
  // Okta and Entra send application/scim+json (RFC 7644 §3.1); plain JSON is accepted too
  app.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string))
    } catch {
      done(new ScimError(400, 'the body is not JSON', 'invalidSyntax'), undefined)
    }
  })

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ScimError) return reply.code(err.status).type(SCIM_JSON).send(err.body())
    const status = (err as { statusCode?: number }).statusCode ?? 500
    if (status >= 500) reply.log.error({ err }, 'SCIM request failed')
    return reply
      .code(status)
      .type(SCIM_JSON)
      .send(new ScimError(status, status >= 500 ? 'internal error' : (err as Error).message).body())
  })
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type(SCIM_JSON)
      .send(new ScimError(404, `no SCIM resource at ${req.url}`).body()),
  )

  const expected = options.token ? digest(options.token) : null
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization ?? ''
    const m = /^Bearer\s+(.+)$/i.exec(header)
    // compared as digests: equal lengths, so timingSafeEqual leaks nothing about the token
    const ok = expected !== null && m !== null && timingSafeEqual(digest((m[1] as string).trim()), expected)
    if (ok) return
    reply.header('www-authenticate', 'Bearer realm="orgpulse-scim"')
    return reply
      .code(401)
      .type(SCIM_JSON)
      .send(
        new ScimError(
          401,
          expected === null
            ? 'SCIM provisioning is off: set ORGPULSE_SCIM_TOKEN on the api and give the same token to the provisioning app'
            : 'a valid bearer token is required',
        ).body(),
      )
  })

  const base = (req: FastifyRequest): string => `${req.protocol}://${req.host}${SCIM_PREFIX}`
  const render = (req: FastifyRequest, s: StoredUser) => ({
    ...s.user,
    meta: {
      resourceType: 'User',
      created: s.created,
      lastModified: s.lastModified,
      location: `${base(req)}/Users/${s.user.id}`,
      version: `W/"${s.version}"`,
    },
  })
  const send = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).type(SCIM_JSON).send(body)
  const route = { schema: { hide: true }, config: { auth: 'public' as const } }

  app.get('/ServiceProviderConfig', route, async (req, reply) =>
    send(reply, 200, serviceProviderConfig(base(req))),
  )
  app.get('/ResourceTypes', route, async (req, reply) =>
    send(reply, 200, listOf([userResourceType(base(req))])),
  )
  app.get('/ResourceTypes/User', route, async (req, reply) => send(reply, 200, userResourceType(base(req))))
  app.get('/Schemas', route, async (req, reply) => send(reply, 200, listOf(schemas(base(req)))))
  app.get<{ Params: { id: string } }>('/Schemas/:id', route, async (req, reply) => {
    const found = schemas(base(req)).find((s) => s.id === req.params.id)
    if (!found) throw new ScimError(404, `no schema ${req.params.id}`)
    return send(reply, 200, found)
  })

  app.get<{ Querystring: { filter?: string; startIndex?: string; count?: string } }>(
    '/Users',
    route,
    async (req, reply) => {
      const filter = req.query.filter ? parseFilter(req.query.filter) : null
      const all = (await store.list()).filter((s) => !filter || matches(s.user, filter))
      // RFC 7644 §3.4.2.4: 1-based startIndex (below 1 counts as 1), count ≥ 0
      const start = Math.max(1, Number.parseInt(req.query.startIndex ?? '1', 10) || 1)
      const count =
        req.query.count === undefined ? all.length : Math.max(0, Number.parseInt(req.query.count, 10) || 0)
      const page = all.slice(start - 1, start - 1 + count)
      return send(reply, 200, {
        schemas: [SCIM_LIST],
        totalResults: all.length,
        startIndex: start,
        itemsPerPage: page.length,
        Resources: page.map((s) => render(req, s)),
      })
    },
  )
  app.get<{ Params: { id: string } }>('/Users/:id', route, async (req, reply) => {
    const found = await store.get(req.params.id)
    if (!found) throw new ScimError(404, `User ${req.params.id} not found`)
    return send(reply, 200, render(req, found))
  })
  app.post('/Users', route, async (req, reply) => {
    const created = await store.create(req.body)
    reply.header('location', `${base(req)}/Users/${created.user.id}`)
    return send(reply, 201, render(req, created))
  })
  app.put<{ Params: { id: string } }>('/Users/:id', route, async (req, reply) =>
    send(reply, 200, render(req, await store.replace(req.params.id, req.body))),
  )
  app.patch<{ Params: { id: string } }>('/Users/:id', route, async (req, reply) =>
    send(reply, 200, render(req, await store.patch(req.params.id, req.body))),
  )
  app.delete<{ Params: { id: string } }>('/Users/:id', route, async (req, reply) => {
    await store.remove(req.params.id)
    return reply.code(204).send()
  })
}
