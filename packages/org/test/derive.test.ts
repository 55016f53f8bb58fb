import { describe, expect, it } from 'vitest'
import { closureOf, deriveOrg, diffPeople, orgStats, parseOrg, unitKind } from '../src/index.ts'
import { ORG_Q1, ORG_Q2 } from './fixtures.ts'

describe('deriveOrg on a small org', () => {
  const org = deriveOrg(parseOrg(ORG_Q1, 'csv'))
  const byId = new Map(org.people.map((p) => [p.personId, p]))

  it('derives levels: IC 0, manager 1, manager of managers 2, above 3', () => {
    expect(Object.fromEntries(org.people.map((p) => [p.personId, p.level]))).toEqual({
      'ceo@x.com': 3,
      'cfo@x.com': 0,
      'em1@x.com': 1,
      'em2@x.com': 1,
      'ic1@x.com': 0,
      'ic2@x.com': 0,
      'ic3@x.com': 0,
      'ic4@x.com': 0,
      'vp@x.com': 2,
    })
  })

  it('derives one unit per manager, kind by level, named by the reports’ most common team', () => {
    expect(org.units).toEqual([
      { unitId: 'u:ceo@x.com', name: 'Leadership', kind: 'org', managerId: 'ceo@x.com', parentId: null },
      {
        unitId: 'u:em1@x.com',
        name: 'Platform',
        kind: 'team',
        managerId: 'em1@x.com',
        parentId: 'u:vp@x.com',
      },
      // ic3 says Mobile, ic4 says nothing: empty team values do not count
      { unitId: 'u:em2@x.com', name: 'Mobile', kind: 'team', managerId: 'em2@x.com', parentId: 'u:vp@x.com' },
      {
        unitId: 'u:vp@x.com',
        name: 'Engineering',
        kind: 'group',
        managerId: 'vp@x.com',
        parentId: 'u:ceo@x.com',
      },
    ])
  })

  it('attributes people to the unit they lead, else to their manager’s unit', () => {
    expect(byId.get('ceo@x.com')).toEqual({
      personId: 'ceo@x.com',
      email: 'ceo@x.com',
      name: 'Cleo CEO',
      title: 'CEO',
      managerId: null,
      employeeId: 'E1',
      level: 3,
      homeUnit: 'u:ceo@x.com',
      timezone: null,
    })
    expect(byId.get('vp@x.com')?.homeUnit).toBe('u:vp@x.com')
    expect(byId.get('cfo@x.com')?.homeUnit).toBe('u:ceo@x.com')
    expect(byId.get('em2@x.com')?.homeUnit).toBe('u:em2@x.com')
    expect(byId.get('ic4@x.com')?.homeUnit).toBe('u:em2@x.com')
    expect(byId.get('ic1@x.com')?.managerId).toBe('em1@x.com')
  })

  it('builds the closure table with self rows', () => {
    expect(org.closure).toEqual([
      { unitId: 'u:ceo@x.com', ancestorId: 'u:ceo@x.com', depth: 0 },
      { unitId: 'u:em1@x.com', ancestorId: 'u:em1@x.com', depth: 0 },
      { unitId: 'u:em1@x.com', ancestorId: 'u:vp@x.com', depth: 1 },
      { unitId: 'u:em1@x.com', ancestorId: 'u:ceo@x.com', depth: 2 },
      { unitId: 'u:em2@x.com', ancestorId: 'u:em2@x.com', depth: 0 },
      { unitId: 'u:em2@x.com', ancestorId: 'u:vp@x.com', depth: 1 },
      { unitId: 'u:em2@x.com', ancestorId: 'u:ceo@x.com', depth: 2 },
      { unitId: 'u:vp@x.com', ancestorId: 'u:vp@x.com', depth: 0 },
      { unitId: 'u:vp@x.com', ancestorId: 'u:ceo@x.com', depth: 1 },
    ])
  })

  it('summarises the org', () => {
    expect(orgStats(org)).toEqual({ people: 9, teams: 4, managers: 4, directors: 2, maxDepth: 3 })
  })

  it('does not depend on row order', () => {
    const lines = ORG_Q1.split('\n')
    const shuffled = [lines[0]!, ...lines.slice(1).reverse()].join('\n')
    expect(deriveOrg(parseOrg(shuffled, 'csv'))).toEqual(org)
  })
})

describe('deriveOrg edge cases', () => {
  it('names a director’s org after the director when each of their managers carries their own team', () => {
    // the other common HR convention: a manager's `team` is the team they lead, not the one above
    const csv = [
      'email,name,manager_email,title,team',
      'd@x.com,Dee Director,,Director,',
      'm1@x.com,Em One,d@x.com,EM,Billing',
      'm2@x.com,Em Two,d@x.com,EM,Search',
      'a@x.com,A,m1@x.com,Eng,Billing',
      'b@x.com,B,m2@x.com,Eng,Search',
    ].join('\n')
    const names = Object.fromEntries(deriveOrg(parseOrg(csv, 'csv')).units.map((u) => [u.managerId, u.name]))
    expect(names).toEqual({ 'd@x.com': "Dee Director's org", 'm1@x.com': 'Billing', 'm2@x.com': 'Search' })
    // a team value shared by most of the managers (a department on every row) still names it
    const dept = csv.replace('m2@x.com,Em Two,d@x.com,EM,Search', 'm2@x.com,Em Two,d@x.com,EM,Billing')
    const withDept = deriveOrg(
      parseOrg(`${dept}\nm3@x.com,Em Three,d@x.com,EM,Ads\nc@x.com,C,m3@x.com,Eng,Ads`, 'csv'),
    )
    expect(withDept.units.find((u) => u.managerId === 'd@x.com')?.name).toBe('Billing')
  })

  it('gives a one-person org a unit of its own', () => {
    const org = deriveOrg([{ email: 'solo@x.com', name: 'Solo', title: 'Founder' }])
    expect(org.people[0]).toMatchObject({ level: 0, homeUnit: 'u:solo@x.com' })
    expect(org.units).toEqual([
      { unitId: 'u:solo@x.com', name: "Solo's team", kind: 'team', managerId: 'solo@x.com', parentId: null },
    ])
    expect(org.closure).toEqual([{ unitId: 'u:solo@x.com', ancestorId: 'u:solo@x.com', depth: 0 }])
    expect(orgStats(org)).toEqual({ people: 1, teams: 1, managers: 0, directors: 0, maxDepth: 0 })
  })

  it('names a unit after its manager when no report has a team, and breaks ties alphabetically', () => {
    const org = deriveOrg(
      parseOrg('email,name,manager_email,title,team\nm@x.com,Mo,,Lead,\na@x.com,A,m@x.com,Eng,', 'csv'),
    )
    expect(org.units.map((u) => u.name)).toEqual(["Mo's team"])
    const tie = deriveOrg(
      parseOrg(
        'email,name,manager_email,title,team\nm@x.com,Mo,,Lead,\na@x.com,A,m@x.com,Eng,Zeta\nb@x.com,B,m@x.com,Eng,Alpha',
        'csv',
      ),
    )
    expect(tie.units.map((u) => u.name)).toEqual(['Alpha'])
  })

  it('maps levels above 3 to org units and handles a long chain', () => {
    expect([0, 1, 2, 3, 7].map(unitKind)).toEqual(['team', 'team', 'group', 'org', 'org'])
    const rows = Array.from({ length: 500 }, (_, i) => ({
      email: `p${i}@x.com`,
      name: `P${i}`,
      title: '',
      ...(i > 0 ? { manager_email: `p${i - 1}@x.com` } : {}),
    }))
    const org = deriveOrg(rows)
    expect(org.people.find((p) => p.personId === 'p0@x.com')?.level).toBe(499)
    expect(orgStats(org).maxDepth).toBe(499)
    expect(org.closure).toHaveLength((499 * 500) / 2)
  })

  it('closureOf follows parents to the root', () => {
    expect(
      closureOf([
        { unitId: 'a', name: 'A', kind: 'org', managerId: 'a', parentId: null },
        { unitId: 'b', name: 'B', kind: 'team', managerId: 'b', parentId: 'a' },
      ]),
    ).toEqual([
      { unitId: 'a', ancestorId: 'a', depth: 0 },
      { unitId: 'b', ancestorId: 'b', depth: 0 },
      { unitId: 'b', ancestorId: 'a', depth: 1 },
    ])
  })
})

describe('diffPeople', () => {
  it('lists added, removed, moved and retitled people', () => {
    const before = deriveOrg(parseOrg(ORG_Q1, 'csv')).people
    const after = deriveOrg(parseOrg(ORG_Q2, 'csv')).people
    expect(diffPeople(before, after)).toEqual({
      added: [{ personId: 'ic5@x.com', name: 'Ian Five', title: 'Engineer', managerId: 'em1@x.com' }],
      removed: [{ personId: 'ic4@x.com', name: 'Ian Four', title: 'Engineer', managerId: 'em2@x.com' }],
      moved: [{ personId: 'ic2@x.com', name: 'Ian Two', from: 'em1@x.com', to: 'em2@x.com' }],
      retitled: [
        {
          personId: 'em1@x.com',
          name: 'Em One',
          from: 'Engineering Manager',
          to: 'Senior Engineering Manager',
        },
      ],
    })
    expect(diffPeople(before, before)).toEqual({ added: [], removed: [], moved: [], retitled: [] })
  })
})
