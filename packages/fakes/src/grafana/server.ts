import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * An in-memory Grafana HTTP API for the endpoints `orgpulse grafana sync` uses, shaped after
 * Grafana's documented API: /api/orgs (server admin, basic auth), /api/orgs/:id/users, and
 * in-org endpoints selected by the `X-Grafana-Org-Id` header (the caller must be a member of
 * that org, as in Grafana): /api/datasources, /api/folders, /api/dashboards/db,
 * /api/dashboards/uid/:uid, /api/search, /api/v1/provisioning/alert-rules. Data source
 * responses never include `secureJsonData`, like Grafana's.
 *
 * Membership follows Grafana's `[users]` settings: with `auto_assign_org` (default true) a new user
 * joins the `auto_assign_org_id` organisation (1, Main Org) as `auto_assign_org_role` (Viewer).
 * `DELETE /api/orgs/:id` removes the organisation with its members, data sources, dashboards and
 * rules, and refuses the caller's current organisation ("Can not delete org for current user");
 * `DELETE /api/orgs/:orgId/users/:userId` (Admin Organizations API) removes one membership and
 * refuses the last Admin.
 */
interface Org {
  id: number
  name: string
  members: Map<number, string>
  datasources: Map<string, Record<string, unknown>>
  folders: Map<string, string>
  dashboards: Map<string, Record<string, unknown>>
  rules: Map<string, Record<string, unknown>>
}

export interface FakeGrafana {
  url: string
  /** every request, for assertions: method and path */
  requests: { method: string; path: string; orgId: number | null }[]
  writes(): number
  orgs: Map<number, Org>
  /** passwords handed to data sources (Grafana keeps them encrypted and never returns them) */
  secrets: Map<string, string>
  /** the admin's current organisation (switched in the UI, POST /api/user/using/:id), used by requests without `X-Grafana-Org-Id` */
  useOrg(id: number): void
  addUser(login: string, email: string): number
  /** organisation ids the user is a member of, with the role */
  membershipsOf(login: string): { orgId: number; role: string }[]
  close(): Promise<void>
}

export async function startFakeGrafana(
  options: { adminUser?: string; adminPassword?: string; autoAssignOrg?: boolean } = {},
): Promise<FakeGrafana> {
  const autoAssignOrg = options.autoAssignOrg ?? true
  const admin = { user: options.adminUser ?? 'admin', password: options.adminPassword ?? 'admin' }
  const users = new Map<number, { login: string; email: string }>([
    [1, { login: admin.user, email: 'admin@localhost' }],
  ])
  const orgs = new Map<number, Org>()
  const secrets = new Map<string, string>()
  let nextOrg = 1
  let nextId = 1
  const newOrg = (name: string): Org => {
    const org: Org = {
      id: nextOrg++,
      name,
      members: new Map([[1, 'Admin']]),
      datasources: new Map(),
      folders: new Map(),
      dashboards: new Map(),
      rules: new Map(),
    }
    orgs.set(org.id, org)
    return org
  }
  newOrg('Main Org.')
  const requests: FakeGrafana['requests'] = []
  let currentOrg = 1

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    return chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
      : {}
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    const orgHeader = req.headers['x-grafana-org-id']
    const orgId = orgHeader ? Number(orgHeader) : null
    requests.push({ method, path: url.pathname, orgId })
    const expected = `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`
    if (req.headers.authorization !== expected) return send(res, 401, { message: 'Unauthorized' })
    const body = method === 'GET' || method === 'DELETE' ? {} : await readBody(req)
    const p = url.pathname

    // server admin: organisations and their members
    if (p === '/api/orgs' && method === 'GET')
      return send(
        res,
        200,
        [...orgs.values()].map((o) => ({ id: o.id, name: o.name })),
      )
    if (p === '/api/orgs' && method === 'POST') {
      const name = String(body.name ?? '')
      if ([...orgs.values()].some((o) => o.name === name))
        return send(res, 409, { message: 'Organization name taken' })
      const org = newOrg(name)
      return send(res, 200, { orgId: org.id, message: 'Organization created' })
    }
    if (p === '/api/users/lookup' && method === 'GET') {
      const who = (url.searchParams.get('loginOrEmail') ?? '').toLowerCase()
      const user = [...users].find(([, u]) => u.login === who || u.email === who)
      return user
        ? send(res, 200, { id: user[0], login: user[1].login, email: user[1].email })
        : send(res, 404, { message: 'user not found' })
    }
    let m = p.match(/^\/api\/orgs\/(\d+)$/)
    if (m && method === 'DELETE') {
      const id = Number(m[1])
      if (id === (orgId ?? currentOrg))
        return send(res, 400, { message: 'Can not delete org for current user' })
      if (!orgs.delete(id)) return send(res, 404, { message: 'Organization not found' })
      for (const key of [...secrets.keys()]) if (key.startsWith(`${id}/`)) secrets.delete(key)
      return send(res, 200, { message: 'Organization deleted' })
    }
    m = p.match(/^\/api\/orgs\/(\d+)\/users\/(\d+)$/)
    if (m && method === 'DELETE') {
      const org = orgs.get(Number(m[1]))
      const userId = Number(m[2])
      if (!org?.members.has(userId)) return send(res, 404, { message: 'User not found' })
      const admins = [...org.members.values()].filter((r) => r === 'Admin').length
      if (org.members.get(userId) === 'Admin' && admins === 1)
        return send(res, 400, { message: 'Cannot remove last organization admin' })
      org.members.delete(userId)
      return send(res, 200, { message: 'User removed from organization' })
    }
    m = p.match(/^\/api\/orgs\/(\d+)\/users$/)
    if (m) {
      const org = orgs.get(Number(m[1]))
      if (!org) return send(res, 404, { message: 'Organization not found' })
      if (method === 'GET') {
        return send(
          res,
          200,
          [...org.members].map(([userId, role]) => ({
            userId,
            login: users.get(userId)!.login,
            email: users.get(userId)!.email,
            role,
          })),
        )
      }
      if (method === 'POST') {
        const who = String(body.loginOrEmail ?? '').toLowerCase()
        const user = [...users].find(([, u]) => u.login === who || u.email === who)
        if (!user) return send(res, 404, { message: 'User not found' })
        if (org.members.has(user[0]))
          return send(res, 409, { message: 'User is already member of this organization' })
        org.members.set(user[0], String(body.role ?? 'Viewer'))
        return send(res, 200, { message: 'User added to organization', userId: user[0] })
      }
    }

    // in-org endpoints
    const org = orgs.get(orgId ?? currentOrg)
    if (!org) return send(res, 404, { message: 'Organization not found' })
    if (!org.members.has(1)) return send(res, 403, { message: 'not a member of this organization' })

    if (p === '/api/datasources' && method === 'GET') return send(res, 200, [...org.datasources.values()])
    if (p === '/api/datasources' && method === 'POST') {
      const uid = String(body.uid)
      if (org.datasources.has(uid))
        return send(res, 409, { message: 'data source with the same uid already exists' })
      const { secureJsonData, ...ds } = body
      secrets.set(
        `${org.id}/${uid}`,
        String((secureJsonData as { password?: string } | undefined)?.password ?? ''),
      )
      org.datasources.set(uid, { ...ds, id: nextId++, orgId: org.id })
      return send(res, 200, { message: 'Datasource added', id: nextId - 1 })
    }
    m = p.match(/^\/api\/datasources\/uid\/([^/]+)$/)
    if (m && method === 'PUT') {
      const uid = decodeURIComponent(m[1]!)
      const prev = org.datasources.get(uid)
      if (!prev) return send(res, 404, { message: 'Data source not found' })
      const { secureJsonData, ...ds } = body
      if (secureJsonData)
        secrets.set(`${org.id}/${uid}`, String((secureJsonData as { password?: string }).password ?? ''))
      org.datasources.set(uid, { ...ds, id: prev.id, orgId: org.id })
      return send(res, 200, { message: 'Datasource updated' })
    }
    if (p === '/api/folders' && method === 'GET')
      return send(
        res,
        200,
        [...org.folders].map(([uid, title]) => ({ uid, title })),
      )
    if (p === '/api/folders' && method === 'POST') {
      const uid = String(body.uid)
      if (org.folders.has(uid)) return send(res, 409, { message: 'folder exists' })
      org.folders.set(uid, String(body.title))
      return send(res, 200, { uid, title: body.title })
    }
    if (p === '/api/dashboards/db' && method === 'POST') {
      const d = body.dashboard as Record<string, unknown>
      if (!body.folderUid || !org.folders.has(String(body.folderUid)))
        return send(res, 400, { message: 'folder not found' })
      const prev = org.dashboards.get(String(d.uid))
      const version = prev ? Number((prev.dashboard as { version: number }).version) + 1 : 1
      org.dashboards.set(String(d.uid), {
        dashboard: { ...d, id: nextId++, version },
        folderUid: body.folderUid,
      })
      return send(res, 200, { status: 'success', uid: d.uid, version })
    }
    m = p.match(/^\/api\/dashboards\/uid\/([^/]+)$/)
    if (m) {
      const uid = decodeURIComponent(m[1]!)
      const d = org.dashboards.get(uid)
      if (!d) return send(res, 404, { message: 'Dashboard not found' })
      if (method === 'GET')
        return send(res, 200, { dashboard: d.dashboard, meta: { folderUid: d.folderUid } })
      if (method === 'DELETE') {
        org.dashboards.delete(uid)
        return send(res, 200, { message: 'Dashboard deleted' })
      }
    }
    if (p === '/api/search' && method === 'GET') {
      const tag = url.searchParams.get('tag')
      const hits = [...org.dashboards.values()]
        .map((x) => x.dashboard as { uid: string; title: string; tags?: string[] })
        .filter((d) => !tag || (d.tags ?? []).includes(tag))
        .map((d) => ({ uid: d.uid, title: d.title, type: 'dash-db', tags: d.tags ?? [] }))
      return send(res, 200, hits)
    }
    if (p === '/api/v1/provisioning/alert-rules' && method === 'GET')
      return send(res, 200, [...org.rules.values()])
    if (p === '/api/v1/provisioning/alert-rules' && method === 'POST') {
      if (!org.folders.has(String(body.folderUID)))
        return send(res, 400, { message: 'folder does not exist' })
      if (org.rules.has(String(body.uid))) return send(res, 409, { message: 'rule exists' })
      org.rules.set(String(body.uid), { ...body, orgID: org.id })
      return send(res, 201, body)
    }
    m = p.match(/^\/api\/v1\/provisioning\/alert-rules\/([^/]+)$/)
    if (m) {
      const uid = decodeURIComponent(m[1]!)
      if (!org.rules.has(uid)) return send(res, 404, { message: 'rule not found' })
      if (method === 'PUT') {
        org.rules.set(uid, { ...body, orgID: org.id })
        return send(res, 200, body)
      }
      if (method === 'DELETE') {
        org.rules.delete(uid)
        return send(res, 204, {})
      }
    }
    return send(res, 404, { message: `fake Grafana: no route ${method} ${p}` })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET').length,
    orgs,
    secrets,
    addUser: (login, email) => {
      const id = users.size + 1
      users.set(id, { login: login.toLowerCase(), email: email.toLowerCase() })
      if (autoAssignOrg) orgs.get(1)?.members.set(id, 'Viewer')
      return id
    },
    membershipsOf: (login) => {
      const id = [...users].find(([, u]) => u.login === login.toLowerCase())?.[0]
      return [...orgs.values()]
        .filter((o) => id !== undefined && o.members.has(id))
        .map((o) => ({ orgId: o.id, role: o.members.get(id!)! }))
    },
    useOrg: (id) => {
      currentOrg = id
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}
