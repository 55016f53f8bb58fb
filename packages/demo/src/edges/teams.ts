import type { DemoCompany, DemoPerson } from '../generate.ts'

/** A demo team as the vendors see it: the org unit it maps to and the key it has in Jira/Linear. */
export interface DemoTeam {
  /** org unit id, `u:<manager email>`: what the generator's canonical events carry */
  unit: string
  name: string
  /** Jira project key and Linear team key: both must match ^[A-Z][A-Z0-9_]*$ */
  key: string
  manager: DemoPerson
}

/** "Payments 2" → "PAYMENTS_2" */
export const vendorKey = (name: string): string => {
  const key = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return /^[A-Z]/.test(key) ? key : `T_${key}`
}

/**
 * Teams by unit id, from the first HR snapshot (the re-org moves a manager, never a team, so
 * every snapshot has the same teams). A team is a manager's direct reports; the generator
 * records the team's name on its manager.
 */
export function demoTeams(company: DemoCompany): Map<string, DemoTeam> {
  const people = company.snapshots[0]?.people ?? []
  const managers = new Set(people.map((p) => p.manager))
  const teams = new Map<string, DemoTeam>()
  for (const p of people) {
    if (!p.team || !managers.has(p.email)) continue
    teams.set(`u:${p.email}`, { unit: `u:${p.email}`, name: p.team, key: vendorKey(p.team), manager: p })
  }
  return teams
}

export function teamOf(teams: Map<string, DemoTeam>, unit: string): DemoTeam {
  const t = teams.get(unit)
  if (!t) throw new Error(`demo: no team for unit ${unit}`)
  return t
}

export const msOf = (iso: string): number => Date.parse(iso)
