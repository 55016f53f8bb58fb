import { rmSync } from 'node:fs'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { configSchema } from '@orgpulse/contracts'
import { type FakeBambooEmployee, type FakeBambooHr, startFakeBambooHr } from '@orgpulse/fakes/bamboohr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hrSource, readSnapshot, resolveIdentities, syncOrg } from '../src/index.ts'
import { tempDir } from './fixtures.ts'

const dir = tempDir('org-bamboohr')
let client: ClickHouseClient
let bamboo: FakeBambooHr
const waits: number[] = []

//   40 Cleo ── 41 Vic ─┬─ 42 Ann, 43 Abe (Platform)
//                      └─ 44 Bea (Mobile)          45 Gus: Inactive
const EMPLOYEES: FakeBambooEmployee[] = [
  {
    id: 40,
    firstName: 'Cleo',
    lastName: 'Chief',
    workEmail: 'ceo@x.com',
    jobTitle: 'CEO',
    employeeNumber: 'N-40',
  },
  {
    id: 41,
    firstName: 'Victor',
    lastName: 'Vee',
    displayName: 'Vic Vee',
    workEmail: 'vp@x.com',
    jobTitle: 'VP',
    supervisorEId: 40,
  },
  {
    id: 42,
    firstName: 'Ann',
    lastName: 'A',
    workEmail: 'ann@x.com',
    department: 'Platform',
    supervisorEId: 41,
  },
  {
    id: 43,
    firstName: 'Abe',
    lastName: 'B',
    workEmail: 'ABE@x.com',
    department: 'Platform',
    supervisorEId: 41,
  },
  {
    id: 44,
    firstName: 'Bea',
    lastName: 'C',
    workEmail: 'bea@x.com',
    department: 'Mobile',
    supervisorEId: 40,
  },
  {
    id: 45,
    firstName: 'Gus',
    lastName: 'Gone',
    workEmail: 'gus@x.com',
    supervisorEId: 41,
    status: 'Inactive',
  },
]

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  bamboo = await startFakeBambooHr({ employees: EMPLOYEES })
})
afterAll(async () => {
  await bamboo?.close()
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

const configFor = (b: FakeBambooHr) =>
  configSchema.parse({ hr: { source: 'bamboohr', bamboohr: { company: b.company, apiUrl: b.apiUrl } } }).hr!
const envOf = (vars: Record<string, string>) => ({ named: (n: string) => vars[n] })
const sleep = async (ms: number) => {
  waits.push(ms)
}

describe('org sync from BambooHR', () => {
  it('reads reports-to from a custom report and names from the directory, leaving out the Inactive', async () => {
    bamboo.throttleNext(1, 2)
    const source = await hrSource(configFor(bamboo), {
      client,
      env: envOf({ BAMBOOHR_API_KEY: bamboo.apiKey }),
      sleep,
    })
    const result = await syncOrg({ client, source, now: () => new Date('2026-07-01T04:00:00Z') })
    if (result.status === 'held') throw new Error(result.reasons.join('; '))
    // the report first (503 once, Retry-After 2 s), then the directory
    expect(
      bamboo.requests.map((r) => [r.method, r.path.replace('/api/gateway.php/acme/v1/', ''), r.status]),
    ).toEqual([
      ['POST', 'reports/custom', 503],
      ['POST', 'reports/custom', 200],
      ['GET', 'employees/directory', 200],
    ])
    expect(waits).toEqual([2000])
    expect(bamboo.requests[1]?.contentType).toBe('application/json')
    expect(bamboo.requests[1]?.query).toEqual({ format: 'JSON', onlyCurrent: 'true' })
    const org = await readSnapshot(client, '2026-07-01')
    expect(org?.people.map((p) => [p.personId, p.managerId, p.name, p.title, p.employeeId])).toEqual([
      ['abe@x.com', 'vp@x.com', 'Abe B', '', null],
      ['ann@x.com', 'vp@x.com', 'Ann A', '', null],
      ['bea@x.com', 'ceo@x.com', 'Bea C', '', null],
      ['ceo@x.com', null, 'Cleo Chief', 'CEO', 'N-40'],
      ['vp@x.com', 'ceo@x.com', 'Vic Vee', 'VP', null],
    ])
    expect(org?.units.find((u) => u.managerId === 'vp@x.com')?.name).toBe('Platform')
    // BambooHR's own ids do not join the identity map; the employee number does
    expect(Object.fromEntries(await resolveIdentities(client, ['41', 'N-40']))).toEqual({
      'N-40': 'ceo@x.com',
    })
  })

  it('uses the report alone when the directory is off, and refuses a report without reports-to', async () => {
    const off = await startFakeBambooHr({ employees: EMPLOYEES, directoryDisabled: true })
    const hidden = await startFakeBambooHr({ employees: EMPLOYEES, hiddenFields: ['supervisorEId'] })
    try {
      const records = await (
        await hrSource(configFor(off), { client, env: envOf({ BAMBOOHR_API_KEY: off.apiKey }) })
      ).read()
      expect(records.find((r) => r.sourceId === '41')).toEqual({
        sourceId: '41',
        email: 'vp@x.com',
        name: 'Vic Vee',
        managerId: '40',
        title: 'VP',
        employeeId: undefined,
        team: undefined,
        active: true,
      })
      expect(records.filter((r) => !r.active).map((r) => r.sourceId)).toEqual(['45'])
      const blind = await hrSource(configFor(hidden), {
        client,
        env: envOf({ BAMBOOHR_API_KEY: hidden.apiKey }),
      })
      await expect(blind.read()).rejects.toThrow("BambooHR's report left out supervisorEId")
      const wrong = await hrSource(configFor(off), { client, env: envOf({ BAMBOOHR_API_KEY: 'nope' }) })
      await expect(wrong.read()).rejects.toThrow('BambooHR refused BAMBOOHR_API_KEY for company acme (401)')
      await expect(hrSource(configFor(off), { client, env: envOf({}) })).rejects.toThrow(
        'hr.source bamboohr needs BAMBOOHR_API_KEY',
      )
    } finally {
      await off.close()
      await hidden.close()
    }
  })
})
