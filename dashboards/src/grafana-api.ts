import { type Env, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, type HttpClient, HttpRetryError } from '@orgpulse/http-client'
import { z } from 'zod'

/**
 * A small typed client for the Grafana HTTP API endpoints `orgpulse grafana sync` needs
 * (documented: /api/orgs, /api/orgs/:id/users[/:userId], /api/datasources, /api/folders,
 * /api/dashboards/db, /api/search, /api/v1/provisioning/alert-rules). Requests inside an
 * organisation carry `X-Grafana-Org-Id`. Creating organisations needs a Grafana server admin:
 * basic auth (GRAFANA_USER/GRAFANA_PASSWORD); a bearer token works only for in-org calls.
 */
export const orgSchema = z.object({ id: z.number().int(), name: z.string() })
export const orgUserSchema = z.object({
  userId: z.number().int(),
  login: z.string(),
  email: z.string(),
  role: z.string(),
})
export const datasourceSchema = z.object({
  id: z.number().int(),
  uid: z.string(),
  name: z.string(),
  type: z.string(),
  access: z.string().optional(),
  isDefault: z.boolean().optional(),
  jsonData: z.record(z.string(), z.unknown()).default({}),
})
export const folderSchema = z.object({ uid: z.string(), title: z.string() })
export const searchHitSchema = z.object({
  uid: z.string(),
  title: z.string(),
  type: z.string(),
  tags: z.array(z.string()).default([]),
})
export const alertRuleSchema = z
  .object({
    uid: z.string(),
    title: z.string(),
    folderUID: z.string(),
    ruleGroup: z.string(),
    annotations: z.record(z.string(), z.string()).default({}),
  })
  .passthrough()

export type GrafanaOrg = z.infer<typeof orgSchema>
export type GrafanaDatasource = z.infer<typeof datasourceSchema>

/** Grafana's default organisation (`auto_assign_org_id`), where the provisioned templates live */
export const MAIN_ORG_ID = 1

export class GrafanaApiError extends OrgpulseError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super('upstream', message)
  }
}

export interface GrafanaAuth {
  /** server admin basic auth (needed to create and delete organisations) */
  basic?: { user: string; password: string }
  token?: string
}

export function grafanaAuthFromEnv(
  env: Pick<Env, 'GRAFANA_URL' | 'GRAFANA_USER' | 'GRAFANA_PASSWORD' | 'GRAFANA_TOKEN'>,
): { url: string; auth: GrafanaAuth } {
  const url = env.GRAFANA_URL
  if (!url) throw new OrgpulseError('config', 'GRAFANA_URL is not set (e.g. http://localhost:3001)')
  if (env.GRAFANA_USER || env.GRAFANA_PASSWORD) {
    return {
      url,
      auth: { basic: { user: env.GRAFANA_USER ?? 'admin', password: env.GRAFANA_PASSWORD ?? '' } },
    }
  }
  if (env.GRAFANA_TOKEN) return { url, auth: { token: env.GRAFANA_TOKEN } }
  throw new OrgpulseError(
    'config',
    'set GRAFANA_USER/GRAFANA_PASSWORD (server admin: creating organisations needs one) or GRAFANA_TOKEN',
  )
}

export class GrafanaClient {
  /** non-GET requests sent: a second sync must send none */
  writes = 0
  private readonly http: HttpClient

  constructor(
    private readonly baseUrl: string,
    private readonly auth: GrafanaAuth,
    fetchImpl: typeof fetch = fetch,
  ) {
    // reads are retried on 429/5xx and network errors; a create is not sent twice
    this.http = createHttpClient({ baseUrl, fetch: fetchImpl })
  }

  private async call<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    options: { orgId?: number; body?: unknown; allow404?: boolean } = {},
  ): Promise<T | null> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    if (options.orgId !== undefined) headers['x-grafana-org-id'] = String(options.orgId)
    if (this.auth.basic)
      headers.authorization = `Basic ${Buffer.from(`${this.auth.basic.user}:${this.auth.basic.password}`).toString('base64')}`
    else if (this.auth.token) headers.authorization = `Bearer ${this.auth.token}`
    // keep alert rules editable in the UI of the director's organisation
    if (path.startsWith('/api/v1/provisioning/')) headers['x-disable-provenance'] = 'true'
    if (method !== 'GET') this.writes++
    const res = await this.http
      .request(method, new URL(path, this.baseUrl).toString(), {
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      })
      .catch((err: unknown) => {
        // retries spent: the last answer is reported like any other failure
        if (err instanceof HttpRetryError && err.response) return err.response
        throw err
      })
    if (res.status === 404 && options.allow404) return null
    const text = res.text
    if (!res.ok)
      throw new GrafanaApiError(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`, res.status)
    return schema.parse(text ? JSON.parse(text) : {})
  }

  private async must<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    options: { orgId?: number; body?: unknown } = {},
  ): Promise<T> {
    return (await this.call(method, path, schema, options))!
  }

  listOrgs = () => this.must('GET', '/api/orgs?perpage=1000', z.array(orgSchema))
  createOrg = (name: string) =>
    this.must('POST', '/api/orgs', z.object({ orgId: z.number().int() }), { body: { name } })
  // Grafana refuses to delete the caller's current organisation, and without the header that is
  // whichever one the admin last switched to in the UI: Main Org is never deleted
  deleteOrg = (id: number) => this.must('DELETE', `/api/orgs/${id}`, z.unknown(), { orgId: MAIN_ORG_ID })
  orgUsers = (orgId: number) => this.must('GET', `/api/orgs/${orgId}/users`, z.array(orgUserSchema))
  /** null when Grafana has no such user yet (SSO users appear at first login) */
  lookupUser = (loginOrEmail: string) =>
    this.call(
      'GET',
      `/api/users/lookup?loginOrEmail=${encodeURIComponent(loginOrEmail)}`,
      z.object({ id: z.number().int() }).passthrough(),
      { allow404: true },
    )
  /** Admin Organizations API: the user keeps their account and any other membership */
  removeOrgUser = (orgId: number, userId: number) =>
    this.must('DELETE', `/api/orgs/${orgId}/users/${userId}`, z.unknown())
  addOrgUser = (orgId: number, loginOrEmail: string, role: 'Viewer' | 'Editor' | 'Admin') =>
    this.call('POST', `/api/orgs/${orgId}/users`, z.unknown(), {
      body: { loginOrEmail, role },
      allow404: true,
    })

  listDatasources = (orgId: number) =>
    this.must('GET', '/api/datasources', z.array(datasourceSchema), { orgId })
  createDatasource = (orgId: number, body: Record<string, unknown>) =>
    this.must('POST', '/api/datasources', z.unknown(), { orgId, body })
  updateDatasource = (orgId: number, uid: string, body: Record<string, unknown>) =>
    this.must('PUT', `/api/datasources/uid/${encodeURIComponent(uid)}`, z.unknown(), { orgId, body })

  listFolders = (orgId: number) => this.must('GET', '/api/folders', z.array(folderSchema), { orgId })
  createFolder = (orgId: number, uid: string, title: string) =>
    this.must('POST', '/api/folders', z.unknown(), { orgId, body: { uid, title } })

  searchDashboards = (orgId: number, tag: string) =>
    this.must(
      'GET',
      `/api/search?type=dash-db&tag=${encodeURIComponent(tag)}&limit=5000`,
      z.array(searchHitSchema),
      { orgId },
    )
  saveDashboard = (orgId: number, dashboard: unknown, folderUid: string) =>
    this.must('POST', '/api/dashboards/db', z.unknown(), {
      orgId,
      body: { dashboard, folderUid, overwrite: true, message: 'orgpulse grafana sync' },
    })
  deleteDashboard = (orgId: number, uid: string) =>
    this.must('DELETE', `/api/dashboards/uid/${encodeURIComponent(uid)}`, z.unknown(), { orgId })

  listAlertRules = (orgId: number) =>
    this.must('GET', '/api/v1/provisioning/alert-rules', z.array(alertRuleSchema), { orgId })
  createAlertRule = (orgId: number, rule: unknown) =>
    this.must('POST', '/api/v1/provisioning/alert-rules', z.unknown(), { orgId, body: rule })
  updateAlertRule = (orgId: number, uid: string, rule: unknown) =>
    this.must('PUT', `/api/v1/provisioning/alert-rules/${encodeURIComponent(uid)}`, z.unknown(), {
      orgId,
      body: rule,
    })
  deleteAlertRule = (orgId: number, uid: string) =>
    this.must('DELETE', `/api/v1/provisioning/alert-rules/${encodeURIComponent(uid)}`, z.unknown(), { orgId })
}
