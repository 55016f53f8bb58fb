import { createHash } from 'node:crypto'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { ALERT_FOLDER_UID, grafanaAlertRules, type ProvisionedAlertRule } from './alert-rules.ts'
import { CLICKHOUSE_DS_TYPE, CLICKHOUSE_DS_UID } from './datasource.ts'
import { type DirectorRef, grafanaDashboards } from './grafana.ts'
import { type GrafanaClient, MAIN_ORG_ID } from './grafana-api.ts'
import { sortKeys, stableJson } from './stable-json.ts'

/**
 * `orgpulse grafana sync`: one Grafana organisation per director (open-source Grafana cannot
 * hide data by folder), each with its own ClickHouse data source whose user sees only that org's
 * rows, its dashboards and its alert rules. Desired state is compared with what Grafana holds and
 * only differences are written, so a second run writes nothing. A director who left loses their
 * organisation (Grafana deletes its data source, dashboards and rules with it) and their
 * membership of Main Org; directors are never Viewers or Editors of Main Org either, since any
 * member can send SQL through Main Org's data source, which reads every org. Admins of Main Org
 * stay (the operator may be a director). What Grafana cannot return (data source passwords) or may normalise
 * (dashboard JSON, rule models) is compared through a content hash we store next to it.
 */
export const ORG_PREFIX = 'orgpulse · '
export const DASHBOARD_FOLDER_UID = 'orgpulse'
const HASH_TAG = 'orgpulse-sha:'
const HASH_ANNOTATION = 'orgpulse_sha'

/** what the data source of a director's organisation logs in as (from `accessStatements`, issue 8) */
export interface DirectorCredentials {
  username: string
  password: string
}

export interface SyncOptions {
  config: OrgpulseConfig
  directors: DirectorRef[]
  credentialsFor: (director: string) => DirectorCredentials
  clickhouse: { host: string; port: number; database: string; protocol?: 'http' | 'native'; secure?: boolean }
  log?: (line: string) => void
}

export interface SyncReport {
  created: string[]
  updated: string[]
  deleted: string[]
  unchanged: number
  /** director emails Grafana has no user for yet (added once they exist) */
  missingUsers: string[]
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16)
export const orgName = (email: string): string => `${ORG_PREFIX}${email.toLowerCase()}`

function datasourceBody(o: SyncOptions, creds: DirectorCredentials): Record<string, unknown> {
  return {
    uid: CLICKHOUSE_DS_UID,
    name: 'orgpulse ClickHouse',
    type: CLICKHOUSE_DS_TYPE,
    access: 'proxy',
    isDefault: true,
    jsonData: {
      host: o.clickhouse.host,
      port: o.clickhouse.port,
      protocol: o.clickhouse.protocol ?? 'http',
      secure: o.clickhouse.secure ?? false,
      username: creds.username,
      defaultDatabase: o.clickhouse.database,
      // Grafana never returns secureJsonData: a fingerprint tells whether the password changed
      orgpulsePasswordSha: sha(`${creds.username}:${creds.password}`),
    },
    secureJsonData: { password: creds.password },
  }
}

function withDashboardHash(d: Record<string, unknown>): { body: Record<string, unknown>; hash: string } {
  const hash = sha(stableJson(d))
  const tags = [...((d.tags as string[] | undefined) ?? []), `${HASH_TAG}${hash}`]
  return { body: { ...d, tags }, hash }
}

function withRuleHash(r: ProvisionedAlertRule): { body: ProvisionedAlertRule; hash: string } {
  const hash = sha(stableJson(r))
  return { body: { ...r, annotations: { ...r.annotations, [HASH_ANNOTATION]: hash } }, hash }
}

export async function syncGrafana(api: GrafanaClient, o: SyncOptions): Promise<SyncReport> {
  const report: SyncReport = { created: [], updated: [], deleted: [], unchanged: 0, missingUsers: [] }
  const log = o.log ?? (() => {})
  const wanted = new Map(o.directors.map((d) => [orgName(d.email), d]))
  const orgs = await api.listOrgs()
  // the people whose access this run takes away from Main Org: directors, and whoever was a
  // non-Admin member of a leaver's organisation (deleting it says nothing about Main Org)
  const managed = new Set(o.directors.map((d) => d.email.toLowerCase()))
  for (const org of orgs) {
    if (org.name.startsWith(ORG_PREFIX) && !wanted.has(org.name)) {
      for (const u of await api.orgUsers(org.id)) if (u.role !== 'Admin') managed.add(u.email.toLowerCase())
      await api.deleteOrg(org.id)
      report.deleted.push(`org ${org.name}`)
      log(`deleted ${org.name}: no longer a director`)
    }
  }
  if (orgs.some((x) => x.id === MAIN_ORG_ID)) await leaveMainOrg(api, managed, report, log)
  const byName = new Map(orgs.map((x) => [x.name, x.id]))
  for (const [name, director] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    let orgId = byName.get(name)
    if (orgId === undefined) {
      orgId = (await api.createOrg(name)).orgId
      report.created.push(`org ${name}`)
      log(`created ${name}`)
    } else report.unchanged++
    await syncMember(api, orgId, director, report)
    await syncDatasource(api, orgId, o, director, report)
    await syncFolders(api, orgId, report)
    await syncDashboards(api, orgId, o, director, report)
    await syncRules(api, orgId, o, director, report)
  }
  return report
}

async function leaveMainOrg(
  api: GrafanaClient,
  managed: Set<string>,
  report: SyncReport,
  log: (line: string) => void,
): Promise<void> {
  for (const u of await api.orgUsers(MAIN_ORG_ID)) {
    if (u.role === 'Admin') continue
    if (!managed.has(u.email.toLowerCase()) && !managed.has(u.login.toLowerCase())) continue
    await api.removeOrgUser(MAIN_ORG_ID, u.userId)
    report.deleted.push(`member ${u.email.toLowerCase()} in org ${MAIN_ORG_ID}`)
    log(`removed ${u.email.toLowerCase()} from Main Org: its data source reads every org`)
  }
}

async function syncMember(
  api: GrafanaClient,
  orgId: number,
  director: DirectorRef,
  report: SyncReport,
): Promise<void> {
  const email = director.email.toLowerCase()
  const users = await api.orgUsers(orgId)
  if (users.some((u) => u.email.toLowerCase() === email || u.login.toLowerCase() === email)) {
    report.unchanged++
    return
  }
  // look first: a POST for a user Grafana does not have yet would be a write on every run
  if ((await api.lookupUser(email)) === null) {
    report.missingUsers.push(email)
    return
  }
  const added = await api.addOrgUser(orgId, email, 'Viewer')
  if (added === null) report.missingUsers.push(email)
  else report.created.push(`member ${email} in org ${orgId}`)
}

async function syncDatasource(
  api: GrafanaClient,
  orgId: number,
  o: SyncOptions,
  director: DirectorRef,
  report: SyncReport,
): Promise<void> {
  const body = datasourceBody(o, o.credentialsFor(director.email.toLowerCase()))
  const existing = (await api.listDatasources(orgId)).find((d) => d.uid === CLICKHOUSE_DS_UID)
  if (!existing) {
    await api.createDatasource(orgId, body)
    report.created.push(`datasource in org ${orgId}`)
    return
  }
  const same =
    existing.name === body.name &&
    existing.type === body.type &&
    stableJson(existing.jsonData) === stableJson(sortKeys(body.jsonData))
  if (same) report.unchanged++
  else {
    await api.updateDatasource(orgId, CLICKHOUSE_DS_UID, body)
    report.updated.push(`datasource in org ${orgId}`)
  }
}

async function syncFolders(api: GrafanaClient, orgId: number, report: SyncReport): Promise<void> {
  const folders = await api.listFolders(orgId)
  for (const [uid, title] of [
    [DASHBOARD_FOLDER_UID, 'orgpulse'],
    [ALERT_FOLDER_UID, 'orgpulse alerts'],
  ] as const) {
    if (folders.some((f) => f.uid === uid)) report.unchanged++
    else {
      await api.createFolder(orgId, uid, title)
      report.created.push(`folder ${uid} in org ${orgId}`)
    }
  }
}

async function syncDashboards(
  api: GrafanaClient,
  orgId: number,
  o: SyncOptions,
  director: DirectorRef,
  report: SyncReport,
): Promise<void> {
  const present = await api.searchDashboards(orgId, 'orgpulse')
  const desired = grafanaDashboards(o.config, director).map(({ dashboard }) =>
    withDashboardHash(dashboard as unknown as Record<string, unknown>),
  )
  const desiredUids = new Set(desired.map((d) => d.body.uid as string))
  for (const { body, hash } of desired) {
    const hit = present.find((p) => p.uid === body.uid)
    if (hit?.tags.includes(`${HASH_TAG}${hash}`)) {
      report.unchanged++
      continue
    }
    await api.saveDashboard(orgId, body, DASHBOARD_FOLDER_UID)
    ;(hit ? report.updated : report.created).push(`dashboard ${String(body.uid)} in org ${orgId}`)
  }
  for (const p of present) {
    if (!desiredUids.has(p.uid)) {
      await api.deleteDashboard(orgId, p.uid)
      report.deleted.push(`dashboard ${p.uid} in org ${orgId}`)
    }
  }
}

async function syncRules(
  api: GrafanaClient,
  orgId: number,
  o: SyncOptions,
  director: DirectorRef,
  report: SyncReport,
): Promise<void> {
  const present = await api.listAlertRules(orgId)
  const desired = grafanaAlertRules(o.config, { orgId, director: director.email }).map(withRuleHash)
  const desiredUids = new Set(desired.map((d) => d.body.uid))
  for (const { body, hash } of desired) {
    const hit = present.find((p) => p.uid === body.uid)
    if (!hit) {
      await api.createAlertRule(orgId, body)
      report.created.push(`alert rule ${body.uid} in org ${orgId}`)
    } else if (hit.annotations[HASH_ANNOTATION] !== hash) {
      await api.updateAlertRule(orgId, body.uid, body)
      report.updated.push(`alert rule ${body.uid} in org ${orgId}`)
    } else report.unchanged++
  }
  for (const p of present) {
    if (p.annotations[HASH_ANNOTATION] !== undefined && !desiredUids.has(p.uid)) {
      await api.deleteAlertRule(orgId, p.uid)
      report.deleted.push(`alert rule ${p.uid} in org ${orgId}`)
    }
  }
}

/**
 * Default data source credentials until ClickHouse users come from `accessStatements`: a user
 * name from the director's email hash and a password derived from a secret, so every run
 * derives the same ones (nothing to store) and nobody can guess them without the secret.
 */
export function derivedCredentials(secret: string): (director: string) => DirectorCredentials {
  return (director) => ({
    username: `orgpulse_dir_${sha(director.toLowerCase()).slice(0, 12)}`,
    password: createHash('sha256').update(`${secret}\n${director.toLowerCase()}`).digest('base64url'),
  })
}
