import { configSchema } from '@orgpulse/contracts'
import { type FakeGrafana, startFakeGrafana } from '@orgpulse/fakes/grafana'
import { ALERT_RULES } from '@orgpulse/metrics'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { directorHash } from '../src/grafana.ts'
import { GrafanaClient, MAIN_ORG_ID } from '../src/grafana-api.ts'
import { derivedCredentials, orgName, type SyncOptions, syncGrafana } from '../src/sync.ts'

const config = configSchema.parse({})
const ben = { email: 'ben.adams@demo.orgpulse.dev', name: 'Ben Adams' }
const cleo = { email: 'cleo.adams@demo.orgpulse.dev', name: 'Cleo Adams' }

let grafana: FakeGrafana
beforeEach(async () => {
  // as docker-compose configures it (GF_USERS_AUTO_ASSIGN_ORG=false)
  grafana = await startFakeGrafana({ autoAssignOrg: false })
  grafana.addUser('ben', ben.email)
})
afterEach(async () => {
  await grafana.close()
})

const options = (directors = [ben, cleo]): SyncOptions => ({
  config,
  directors,
  credentialsFor: derivedCredentials('test-secret'),
  clickhouse: { host: 'clickhouse', port: 8123, database: 'orgpulse' },
})
const client = () => new GrafanaClient(grafana.url, { basic: { user: 'admin', password: 'admin' } })
const orgOf = (email: string) => [...grafana.orgs.values()].find((o) => o.name === orgName(email))!

describe('orgpulse grafana sync against a fake Grafana API', () => {
  it('creates one organisation per director with its own restricted data source, dashboards and alert rules', async () => {
    const report = await syncGrafana(client(), options())
    expect(report.deleted).toEqual([])
    // Grafana has a user for Ben only: Cleo is reported, not failed
    expect(report.missingUsers).toEqual([cleo.email])
    for (const d of [ben, cleo]) {
      const org = orgOf(d.email)
      expect(org).toBeDefined()
      const ds = org.datasources.get('orgpulse-clickhouse')!
      const creds = derivedCredentials('test-secret')(d.email)
      expect(ds.type).toBe('grafana-clickhouse-datasource')
      expect((ds.jsonData as Record<string, unknown>).username).toBe(creds.username)
      expect((ds.jsonData as Record<string, unknown>).protocol).toBe('http')
      expect(grafana.secrets.get(`${org.id}/orgpulse-clickhouse`)).toBe(creds.password)
      // the director is fixed in every dashboard; uids derive from the email hash
      expect([...org.dashboards.keys()].sort()).toEqual(
        ['decisions', 'dependencies', 'load', 'overview', 'planning'].map(
          (k) => `op-${directorHash(d.email)}-${k}`,
        ),
      )
      for (const { dashboard } of org.dashboards.values() as Iterable<{
        dashboard: { templating: { list: { name: string; type: string; query: string }[] } }
      }>) {
        expect(dashboard.templating.list.find((v) => v.name === 'director')).toMatchObject({
          type: 'constant',
          query: `u:${d.email}`,
        })
      }
      const rules = [...org.rules.values()] as { title: string; data: { model: { rawSql?: string } }[] }[]
      expect(rules.map((r) => r.title).sort()).toEqual(ALERT_RULES.map((r) => r.title).sort())
      for (const r of rules) expect(r.data[0]!.model.rawSql).toContain(`scope = 'u:${d.email}'`)
    }
    expect(orgOf(ben.email).members.size).toBe(2)
  })

  it('is idempotent: the second run sends zero write requests', async () => {
    await syncGrafana(client(), options())
    const before = grafana.writes()
    const second = client()
    const report = await syncGrafana(second, options())
    expect(second.writes).toBe(0)
    expect(grafana.writes()).toBe(before)
    expect(report.created.filter((c) => !c.startsWith('member'))).toEqual([])
    expect(report.updated).toEqual([])
    expect(report.deleted).toEqual([])
  })

  it('removes the organisation of a director who left and updates only what changed', async () => {
    await syncGrafana(client(), options())
    const changed = { ...options([ben]), config: configSchema.parse({ alerts: { centralizationMax: 0.4 } }) }
    const report = await syncGrafana(client(), changed)
    expect(report.deleted).toEqual([`org ${orgName(cleo.email)}`])
    expect(orgOf(cleo.email)).toBeUndefined()
    // the new threshold changes the centralisation rule and the dashboard drawing it, nothing else
    const benOrg = orgOf(ben.email).id
    expect(report.updated.sort()).toEqual(
      [
        `alert rule op-${directorHash(ben.email)}-decisions_centralising in org ${benOrg}`,
        `dashboard op-${directorHash(ben.email)}-decisions in org ${benOrg}`,
      ].sort(),
    )
    // the org of the remaining director and the Main Org are untouched
    expect([...grafana.orgs.values()].map((o) => o.name).sort()).toEqual(
      ['Main Org.', orgName(ben.email)].sort(),
    )
  })
})

describe('orgpulse grafana sync takes access away (a Grafana with its default auto_assign_org)', () => {
  let g: FakeGrafana
  beforeEach(async () => {
    // Grafana's default: every new user joins Main Org as Viewer, and a Viewer can query Main
    // Org's data source (which reads every org) with any SQL through /api/ds/query
    g = await startFakeGrafana({ autoAssignOrg: true })
  })
  afterEach(async () => {
    await g.close()
  })
  const api = () => new GrafanaClient(g.url, { basic: { user: 'admin', password: 'admin' } })
  const org = (email: string) => [...g.orgs.values()].find((o) => o.name === orgName(email))

  it('leaves directors only in their own organisation, and removes a leaver with their data source and memberships', async () => {
    g.addUser('ben', ben.email)
    g.addUser('cleo', cleo.email)
    const ops = g.addUser('ops', 'ops@demo.orgpulse.dev')
    expect(g.membershipsOf('cleo')).toEqual([{ orgId: MAIN_ORG_ID, role: 'Viewer' }])

    const first = await syncGrafana(api(), options())
    expect(first.deleted.sort()).toEqual(
      [`member ${ben.email} in org ${MAIN_ORG_ID}`, `member ${cleo.email} in org ${MAIN_ORG_ID}`].sort(),
    )
    expect(g.membershipsOf('ben')).toEqual([{ orgId: org(ben.email)!.id, role: 'Viewer' }])
    expect(g.membershipsOf('cleo')).toEqual([{ orgId: org(cleo.email)!.id, role: 'Viewer' }])
    const cleoOrg = org(cleo.email)!.id
    expect(g.secrets.has(`${cleoOrg}/orgpulse-clickhouse`)).toBe(true)

    // Cleo leaves: her organisation goes, with its data source (and its ClickHouse password)
    const second = await syncGrafana(api(), options([ben]))
    expect(second.deleted).toEqual([`org ${orgName(cleo.email)}`])
    expect(org(cleo.email)).toBeUndefined()
    expect(g.secrets.has(`${cleoOrg}/orgpulse-clickhouse`)).toBe(false)
    expect(g.membershipsOf('cleo')).toEqual([])
    expect(g.membershipsOf('ben')).toEqual([{ orgId: org(ben.email)!.id, role: 'Viewer' }])
    // the server admin and people sync does not manage keep Main Org
    expect(g.orgs.get(MAIN_ORG_ID)!.members.get(1)).toBe('Admin')
    expect(g.orgs.get(MAIN_ORG_ID)!.members.get(ops)).toBe('Viewer')

    const third = api()
    await syncGrafana(third, options([ben]))
    expect(third.writes).toBe(0)
  })

  it('takes a leaver out of Main Org where someone added them after the last sync', async () => {
    const cleoId = g.addUser('cleo', cleo.email)
    await syncGrafana(api(), options())
    expect(g.membershipsOf('cleo')).toEqual([{ orgId: org(cleo.email)!.id, role: 'Viewer' }])
    g.orgs.get(MAIN_ORG_ID)!.members.set(cleoId, 'Viewer')
    const report = await syncGrafana(api(), options([ben]))
    expect(report.deleted.sort()).toEqual(
      [`member ${cleo.email} in org ${MAIN_ORG_ID}`, `org ${orgName(cleo.email)}`].sort(),
    )
    expect(g.membershipsOf('cleo')).toEqual([])
  })

  it("deletes a leaver's organisation even while the admin has it open in the UI", async () => {
    await syncGrafana(api(), options())
    // Grafana refuses to delete the caller's current organisation, which a request without
    // X-Grafana-Org-Id runs in
    g.useOrg(org(cleo.email)!.id)
    const report = await syncGrafana(api(), options([ben]))
    expect(report.deleted).toEqual([`org ${orgName(cleo.email)}`])
    expect(org(cleo.email)).toBeUndefined()
  })

  it('keeps a director who administers Main Org (the operator) an Admin there', async () => {
    const benId = g.addUser('ben', ben.email)
    g.orgs.get(MAIN_ORG_ID)!.members.set(benId, 'Admin')
    const report = await syncGrafana(api(), options([ben]))
    expect(report.deleted).toEqual([])
    expect(g.membershipsOf('ben')).toEqual([
      { orgId: MAIN_ORG_ID, role: 'Admin' },
      { orgId: org(ben.email)!.id, role: 'Viewer' },
    ])
  })
})
