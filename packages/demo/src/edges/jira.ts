import type { CanonicalEventInput, JiraConfigInput } from '@orgpulse/contracts'
import type { FakeIssueSeed, FakeJira, FakeJiraSeed, FakeUser } from '@orgpulse/fakes/jira'
import type { DemoCompany } from '../generate.ts'
import { type DemoTeam, demoTeams, msOf, teamOf } from './teams.ts'

type Linked = Extract<CanonicalEventInput, { type: 'dependency.linked' }>
type Resolved = Extract<CanonicalEventInput, { type: 'dependency.resolved' }>

/** A change made in Jira after it starts, as a person would make it in the Jira UI. */
export type JiraChange =
  | { kind: 'link'; blocker: string; blocked: string; by: string; at: number }
  | { kind: 'done'; issue: string; by: string; at: number }

export interface JiraPlan {
  seed: FakeJiraSeed
  /** in time order */
  changes: JiraChange[]
  /** the mapping part of the `jira:` config section (no URL: that is the fake's, per run) */
  config: Pick<JiraConfigInput, 'projects' | 'teams'>
}

const accountId = (team: DemoTeam): string => `demo-${team.key.toLowerCase()}`

/**
 * The generator's blocking links as Jira would hold them: each link is a fresh pair of issues
 * (the blocker in the blocking team's project, the blocked item in the other team's), both
 * created when the link is made, joined by a "Blocks" link; the link resolves when the blocker
 * moves to Done. One pair per link keeps "blocked items" what the generator meant (each link
 * blocks its own item), so blocked item-days agree with the canonical events exactly.
 */
export function jiraPlan(company: DemoCompany): JiraPlan | null {
  const teams = demoTeams(company)
  const links = company.events.filter((e): e is Linked => e.type === 'dependency.linked')
  if (links.length === 0) return null
  const resolvedAt = new Map(
    company.events
      .filter((e): e is Resolved => e.type === 'dependency.resolved')
      .map((e) => [e.linkId, msOf(e.occurredAt)]),
  )
  const used = new Map<string, DemoTeam>()
  const numbers = new Map<string, number>()
  const issues: FakeIssueSeed[] = []
  const changes: JiraChange[] = []
  const newIssue = (team: DemoTeam, summary: string, at: number): string => {
    used.set(team.key, team)
    const n = (numbers.get(team.key) ?? 0) + 1
    numbers.set(team.key, n)
    const key = `${team.key}-${n}`
    issues.push({ key, summary, reporter: accountId(team), created: new Date(at).toISOString() })
    return key
  }
  for (const l of links) {
    const blocker = teamOf(teams, l.blockerTeam ?? '')
    const blocked = teamOf(teams, l.blockedTeam ?? '')
    const at = msOf(l.occurredAt)
    const blockerKey = newIssue(blocker, `${blocker.name}: work ${blocked.name} waits for`, at)
    const blockedKey = newIssue(blocked, `${blocked.name}: work waiting on ${blocker.name}`, at)
    changes.push({ kind: 'link', blocker: blockerKey, blocked: blockedKey, by: accountId(blocked), at })
    const done = resolvedAt.get(l.linkId)
    if (done !== undefined)
      changes.push({ kind: 'done', issue: blockerKey, by: accountId(blocker), at: done })
  }
  changes.sort((a, b) => a.at - b.at)
  const projects = [...used.values()].sort((a, b) => a.key.localeCompare(b.key))
  const users: FakeUser[] = projects.map((t) => ({
    accountId: accountId(t),
    displayName: t.manager.name,
    emailAddress: t.manager.email,
  }))
  return {
    seed: {
      users,
      projects: projects.map((t) => ({ key: t.key, name: t.name })),
      issues,
    },
    changes,
    config: jiraConfigOf(projects),
  }
}

/** the `jira:` mapping alone (what the config needs): one project per team with links */
export function jiraConfig(company: DemoCompany): JiraPlan['config'] | null {
  const teams = demoTeams(company)
  const used = new Map<string, DemoTeam>()
  for (const e of company.events)
    if (e.type === 'dependency.linked')
      for (const unit of [e.blockerTeam ?? '', e.blockedTeam ?? '']) {
        const team = teamOf(teams, unit)
        used.set(team.key, team)
      }
  if (used.size === 0) return null
  return jiraConfigOf([...used.values()].sort((a, b) => a.key.localeCompare(b.key)))
}

const jiraConfigOf = (projects: DemoTeam[]): JiraPlan['config'] => ({
  projects: projects.map((t) => t.key),
  teams: projects.map((t) => ({ team: t.unit, projects: [t.key] })),
})

/** Makes the plan's changes in the running fake, in time order (each writes a changelog history). */
export function applyJiraChanges(fake: FakeJira, changes: readonly JiraChange[]): void {
  for (const c of changes) {
    if (c.kind === 'link') fake.link(c.blocker, c.blocked, { by: c.by, at: c.at })
    else fake.transition(c.issue, 'Done', { by: c.by, at: c.at })
  }
}
