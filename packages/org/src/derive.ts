import type { ClosureRow, HrRow, OrgPerson, OrgUnit } from '@orgpulse/contracts'
import { unitIdFor } from '@orgpulse/contracts'

/** What derivation needs of a person: an `HrRow`, with the optional fields really optional. */
export type OrgRow = Pick<HrRow, 'email' | 'name' | 'title'> &
  Partial<Pick<HrRow, 'manager_email' | 'employee_id' | 'team' | 'timezone'>>

/** An org as the model sees it (DESIGN "Org model"), derived from validated rows. */
export interface DerivedOrg {
  people: OrgPerson[]
  units: OrgUnit[]
  closure: ClosureRow[]
}

/** Unit kind by the level of its manager: 1 leads a team, 2 a group, 3+ an org. */
export function unitKind(managerLevel: number): OrgUnit['kind'] {
  if (managerLevel >= 3) return 'org'
  return managerLevel === 2 ? 'group' : 'team'
}

/**
 * Pure derivation. Expects rows that passed validation (unique emails, existing managers, no
 * cycles, one root); person id = lower-cased email. Output is sorted by id so the same org always
 * yields the same snapshot, whatever the row order of the export.
 */
export function deriveOrg(rows: readonly OrgRow[]): DerivedOrg {
  const byId = new Map(rows.map((r) => [r.email.toLowerCase(), r]))
  const reports = new Map<string, OrgRow[]>()
  for (const r of rows) {
    if (!r.manager_email) continue
    const list = reports.get(r.manager_email) ?? []
    list.push(r)
    reports.set(r.manager_email, list)
  }

  // Levels bottom-up, memoised; iterative so a very deep chain cannot overflow the stack.
  const level = new Map<string, number>()
  const levelOf = (id: string): number => {
    const stack = [id]
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      if (level.has(top)) {
        stack.pop()
        continue
      }
      const pending = (reports.get(top) ?? []).filter((r) => !level.has(r.email))
      if (pending.length > 0) {
        stack.push(...pending.map((r) => r.email))
        continue
      }
      const below = (reports.get(top) ?? []).map((r) => level.get(r.email)!)
      level.set(top, below.length === 0 ? 0 : 1 + Math.max(...below))
      stack.pop()
    }
    return level.get(id)!
  }

  const units: OrgUnit[] = []
  for (const [managerId, direct] of reports) {
    const manager = byId.get(managerId)!
    const lead = levelOf(managerId)
    units.push({
      unitId: unitIdFor(managerId),
      name: unitName(manager, direct, lead),
      kind: unitKind(lead),
      managerId,
      parentId: manager.manager_email ? unitIdFor(manager.manager_email) : null,
    })
  }
  // A one-person org: the root leads nobody but still needs a unit to attribute activity to.
  for (const r of rows) {
    if (!r.manager_email && !reports.has(r.email)) {
      units.push({
        unitId: unitIdFor(r.email),
        name: r.team || `${r.name}'s team`,
        kind: 'team',
        managerId: r.email,
        parentId: null,
      })
    }
  }
  units.sort((a, b) => cmp(a.unitId, b.unitId))

  const people: OrgPerson[] = rows
    .map((r) => ({
      personId: r.email,
      email: r.email,
      name: r.name,
      title: r.title,
      managerId: r.manager_email ?? null,
      employeeId: r.employee_id ?? null,
      level: levelOf(r.email),
      homeUnit: reports.has(r.email) || !r.manager_email ? unitIdFor(r.email) : unitIdFor(r.manager_email),
      timezone: r.timezone ?? null,
    }))
    .sort((a, b) => cmp(a.personId, b.personId))

  return { people, units, closure: closureOf(units) }
}

/** Every (unit, ancestor, depth) pair, the self row (depth 0) included, for subtree rollups. */
export function closureOf(units: readonly OrgUnit[]): ClosureRow[] {
  const parent = new Map(units.map((u) => [u.unitId, u.parentId]))
  const rows: ClosureRow[] = []
  for (const u of units) {
    let ancestor: string | null | undefined = u.unitId
    for (let depth = 0; ancestor; depth++) {
      rows.push({ unitId: u.unitId, ancestorId: ancestor, depth })
      ancestor = parent.get(ancestor)
      if (depth > units.length) throw new Error(`unit parents loop at ${u.unitId}`)
    }
  }
  return rows.sort((a, b) => cmp(a.unitId, b.unitId) || a.depth - b.depth)
}

/**
 * A team is named by its members' most common `team` (ties alphabetically, so stable). A unit that
 * leads managers takes a `team` value only when most of its direct reports share it (a department
 * name on every row); otherwise it is "<name>'s org", because HR exports usually give each manager
 * their own team's name, and a director's org named after one of its teams would be mistaken for it.
 */
function unitName(manager: OrgRow, direct: readonly OrgRow[], managerLevel: number): string {
  const counts = new Map<string, number>()
  for (const r of direct) if (r.team) counts.set(r.team, (counts.get(r.team) ?? 0) + 1)
  let best: [string, number] | undefined
  for (const entry of counts) {
    if (!best || entry[1] > best[1] || (entry[1] === best[1] && entry[0] < best[0])) best = entry
  }
  if (managerLevel <= 1) return best?.[0] ?? `${manager.name}'s team`
  return best && best[1] * 2 > direct.length ? best[0] : `${manager.name}'s org`
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Headline figures of a derived org. */
export interface OrgStats {
  people: number
  teams: number
  /** people with reports, directors included */
  managers: number
  /** managers of managers: level >= 2 */
  directors: number
  /** manager links between the top of the org and its deepest person (a one-person org is 0) */
  maxDepth: number
}

export function orgStats(org: DerivedOrg): OrgStats {
  const manager = new Map(org.people.map((p) => [p.personId, p.managerId]))
  const depth = new Map<string, number>()
  const depthOf = (id: string): number => {
    const chain: string[] = []
    let cur: string | null | undefined = id
    while (cur && !depth.has(cur)) {
      chain.push(cur)
      cur = manager.get(cur)
    }
    let d = cur ? depth.get(cur)! : -1
    for (let i = chain.length - 1; i >= 0; i--) depth.set(chain[i]!, ++d)
    return depth.get(id)!
  }
  return {
    people: org.people.length,
    teams: org.units.length,
    managers: org.people.filter((p) => p.level >= 1).length,
    directors: org.people.filter((p) => p.level >= 2).length,
    maxDepth: org.people.reduce((max, p) => Math.max(max, depthOf(p.personId)), 0),
  }
}
