import { rmSync } from 'node:fs'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { configSchema } from '@orgpulse/contracts'
import { type FakeMsGraph, fakeGraphUsers, startFakeMsGraph } from '@orgpulse/fakes/msgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hrSource, readSnapshot, resolveIdentities, syncOrg } from '../src/index.ts'
import { tempDir } from './fixtures.ts'

const dir = tempDir('org-graph')
let client: ClickHouseClient
let graph: FakeMsGraph
const users = fakeGraphUsers(
  [
    // ceo ── em ── ic1, ic2; a guest without a mailbox; a disabled account; a meeting room
    {
      id: 'a0000000-0000-0000-0000-000000000001',
      displayName: 'Cleo CEO',
      mail: 'ceo@x.com',
      userPrincipalName: 'ceo@x.com',
      jobTitle: 'CEO',
    },
    {
      id: 'a0000000-0000-0000-0000-000000000002',
      displayName: 'Em Manager',
      mail: 'em@x.com',
      userPrincipalName: 'em@x.com',
      jobTitle: 'EM',
      department: 'Platform',
      managerId: 'a0000000-0000-0000-0000-000000000001',
    },
    {
      id: 'a0000000-0000-0000-0000-000000000003',
      displayName: 'Ian One',
      mail: null,
      userPrincipalName: 'ic1@x.com',
      department: 'Platform',
      employeeId: 'E-3',
      managerId: 'a0000000-0000-0000-0000-000000000002',
    },
    {
      id: 'a0000000-0000-0000-0000-000000000004',
      displayName: 'Ian Two',
      mail: 'ic2@x.com',
      userPrincipalName: 'ic2@x.com',
      department: 'Platform',
      managerId: 'a0000000-0000-0000-0000-000000000002',
    },
    {
      id: 'a0000000-0000-0000-0000-000000000005',
      displayName: 'Guest',
      mail: null,
      userPrincipalName: 'guest_ext.com#EXT#@x.onmicrosoft.com',
    },
    {
      id: 'a0000000-0000-0000-0000-000000000006',
      displayName: 'Gone',
      mail: 'gone@x.com',
      userPrincipalName: 'gone@x.com',
      accountEnabled: false,
      managerId: 'a0000000-0000-0000-0000-000000000002',
    },
    {
      id: 'a0000000-0000-0000-0000-000000000007',
      displayName: 'Room 1',
      mail: 'room1@x.com',
      userPrincipalName: 'room1@x.com',
    },
  ],
  2,
)
const waits: number[] = []

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  graph = await startFakeMsGraph({ routes: [users.route] })
})
afterAll(async () => {
  await graph?.close()
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

const envOf = (vars: Record<string, string>) => ({ named: (n: string) => vars[n] })
const hr = () =>
  configSchema.parse({
    hr: { source: 'graph', graph: { graphUrl: graph.graphUrl, authorityUrl: graph.authorityUrl } },
  }).hr!

describe('org sync from Microsoft Graph users', () => {
  it('reads every page of /users with managers, waits out a 429, and joins the Graph ids', async () => {
    users.throttleNext(1, 3)
    const source = await hrSource(hr(), {
      client,
      env: envOf({
        MSGRAPH_TENANT_ID: graph.tenantId,
        MSGRAPH_CLIENT_ID: graph.clientId,
        MSGRAPH_CLIENT_SECRET: graph.clientSecret,
      }),
      sleep: async (ms) => {
        waits.push(ms)
      },
    })
    const result = await syncOrg({ client, source, now: () => new Date('2026-06-01T05:00:00Z') })
    if (result.status === 'held') throw new Error(result.reasons.join('; '))
    // 7 users in pages of 2: 4 pages, the first asked twice (429 then 200)
    const lists = graph.requests.filter((r) => r.path === '/v1.0/users')
    expect(lists.map((r) => r.status)).toEqual([429, 200, 200, 200, 200])
    expect(lists[0]?.query).toMatchObject({
      $select: 'id,displayName,mail,userPrincipalName,jobTitle,department,employeeId,accountEnabled',
      $expand: 'manager($select=id)',
      $top: '999',
    })
    expect(waits).toEqual([3000])
    const org = await readSnapshot(client, '2026-06-01')
    expect(org?.people.map((p) => [p.personId, p.managerId, p.title, p.employeeId])).toEqual([
      ['ceo@x.com', null, 'CEO', null],
      ['em@x.com', 'ceo@x.com', 'EM', null],
      // no mailbox: the UPN is the address
      ['ic1@x.com', 'em@x.com', '', 'E-3'],
      ['ic2@x.com', 'em@x.com', '', null],
    ])
    expect(org?.units.find((u) => u.managerId === 'em@x.com')?.name).toBe('Platform')
    expect(result.summary.warnings).toEqual([
      '1 active without an email left out: a0000000-0000-0000-0000-000000000005',
      '1 with neither a manager nor reports left out: room1@x.com',
    ])
    const ids = await resolveIdentities(client, ['a0000000-0000-0000-0000-000000000003', 'E-3'])
    expect(Object.fromEntries(ids)).toEqual({
      'a0000000-0000-0000-0000-000000000003': 'ic1@x.com',
      'E-3': 'ic1@x.com',
    })
  })

  it('says which permission is missing when Graph refuses', async () => {
    const bare = await startFakeMsGraph({ routes: [users.route], app: { roles: ['Calendars.Read'] } })
    try {
      const config = configSchema.parse({
        hr: { source: 'graph', graph: { graphUrl: bare.graphUrl, authorityUrl: bare.authorityUrl } },
      }).hr!
      const source = await hrSource(config, {
        client,
        env: envOf({
          MSGRAPH_TENANT_ID: bare.tenantId,
          MSGRAPH_CLIENT_ID: bare.clientId,
          MSGRAPH_CLIENT_SECRET: bare.clientSecret,
        }),
      })
      await expect(source.read()).rejects.toThrow(
        'Microsoft Graph GET /users answered 403 (Authorization_RequestDenied: Insufficient privileges to complete the operation.) – grant the app the application permission User.Read.All',
      )
    } finally {
      await bare.close()
    }
    await expect(hrSource(hr(), { client, env: envOf({}) })).rejects.toThrow('hr.source graph needs')
  })
})
