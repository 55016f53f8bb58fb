import type { CanonicalEventInput, LinearConfigInput } from '@orgpulse/contracts'
import type { LinearSeed, SeedCycle } from '@orgpulse/fakes/linear'
import type { DemoCompany } from '../generate.ts'
import { type DemoTeam, demoTeams, msOf, teamOf } from './teams.ts'

type Snapshot = Extract<CanonicalEventInput, { type: 'cycle.snapshot' }>

export interface LinearPlan {
  seed: LinearSeed
  /** the mapping part of the `linear:` config section */
  config: Pick<LinearConfigInput, 'teams'>
}

const DAY = 86_400_000

/**
 * `days` daily values from `first` to `last` (Linear records a cycle's totals once a day from its
 * start). Only the first and last values carry meaning for the metrics; the steps between are
 * there so the histories look like Linear's.
 */
export function dailySeries(first: number, last: number, days: number): number[] {
  const n = Math.max(2, days)
  return Array.from({ length: n }, (_, i) =>
    i === n - 1 ? last : first + Math.floor(((last - first) * i) / (n - 1)),
  )
}

/**
 * The generator's cycle snapshots as Linear cycles, one Linear team per demo team with cycles.
 * Scope histories start at the committed scope and end at committed + added; the completed
 * histories end at the completed scope, which is exactly what the Linear mapper reads back
 * (committed = first, added = last - first, completed = last completed).
 */
export function linearPlan(company: DemoCompany): LinearPlan | null {
  const teams = demoTeams(company)
  const snapshots = company.events.filter((e): e is Snapshot => e.type === 'cycle.snapshot')
  if (snapshots.length === 0) return null
  const used = new Map<string, DemoTeam>()
  const numbers = new Map<string, number>()
  const cycles: SeedCycle[] = snapshots.map((s) => {
    const team = teamOf(teams, s.team ?? '')
    used.set(team.key, team)
    const number = (numbers.get(team.key) ?? 0) + 1
    numbers.set(team.key, number)
    const days = Math.round((msOf(s.endsAt) - msOf(s.startsAt)) / DAY)
    const scope = dailySeries(s.committedScope, s.committedScope + s.addedScope, days)
    const done = dailySeries(0, s.completedScope, days)
    return {
      id: `cycle-${team.key.toLowerCase()}-${number}`,
      teamId: `team-${team.key.toLowerCase()}`,
      number,
      name: s.name ?? null,
      startsAt: new Date(msOf(s.startsAt)).toISOString(),
      endsAt: new Date(msOf(s.endsAt)).toISOString(),
      completedAt: new Date(msOf(s.endsAt)).toISOString(),
      scopeHistory: scope,
      completedScopeHistory: done,
      // every issue estimated at one point: counts and points agree
      issueCountHistory: scope,
      completedIssueCountHistory: done,
      updatedAt: new Date(msOf(s.endsAt)).toISOString(),
    }
  })
  const list = [...used.values()].sort((a, b) => a.key.localeCompare(b.key))
  return {
    seed: {
      apiKey: 'lin_api_orgpulse_demo',
      users: list.map((t) => ({
        id: `user-${t.key.toLowerCase()}`,
        name: t.manager.name,
        email: t.manager.email,
      })),
      teams: list.map((t) => ({ id: `team-${t.key.toLowerCase()}`, key: t.key, name: t.name })),
      states: [],
      issues: [],
      cycles,
    },
    config: linearConfigOf(list),
  }
}

/** the `linear:` mapping alone (what the config needs), without the seed's cycle histories */
export function linearConfig(company: DemoCompany): LinearPlan['config'] | null {
  const teams = demoTeams(company)
  const used = new Map<string, DemoTeam>()
  for (const e of company.events)
    if (e.type === 'cycle.snapshot') {
      const team = teamOf(teams, e.team ?? '')
      used.set(team.key, team)
    }
  if (used.size === 0) return null
  return linearConfigOf([...used.values()].sort((a, b) => a.key.localeCompare(b.key)))
}

const linearConfigOf = (list: DemoTeam[]): LinearPlan['config'] => ({
  teams: Object.fromEntries(list.map((t) => [t.key, t.unit])),
})
