/**
 * The fake's in-memory Linear workspace: seeded, then changed by test helpers that behave like
 * the Linear app does (a state change bumps `updatedAt`, writes an IssueHistory row and yields
 * the webhook body Linear would deliver). Relation changes yield no webhook, as in Linear.
 */

export interface SeedUser {
  id: string
  name: string
  email: string
  active?: boolean
}
export interface SeedTeam {
  id: string
  key: string
  name: string
}
export interface SeedState {
  id: string
  teamId: string
  name: string
  /** triage | backlog | unstarted | started | completed | canceled */
  type: string
}
export interface SeedLabel {
  id: string
  name: string
}
/** a Linear Project (GraphQL `Project`: id, name); an issue names it by `projectId` */
export interface SeedProject {
  id: string
  name: string
}
export interface SeedIssue {
  id: string
  teamId: string
  number: number
  title: string
  createdAt: string
  updatedAt?: string
  stateId: string
  creatorId?: string | null
  assigneeId?: string | null
  labelIds?: string[]
  estimate?: number | null
  completedAt?: string | null
  canceledAt?: string | null
  cycleId?: string | null
  /** Issue.project / IssueWebhookPayload.projectId: the project the issue belongs to */
  projectId?: string | null
}
export interface SeedHistory {
  id: string
  issueId: string
  createdAt: string
  actorId?: string | null
  fromStateId?: string | null
  toStateId?: string | null
  fromAssigneeId?: string | null
  toAssigneeId?: string | null
  addedLabelIds?: string[] | null
  removedLabelIds?: string[] | null
}
export interface SeedRelation {
  id: string
  /** blocks | related | duplicate | similar */
  type: string
  issueId: string
  relatedIssueId: string
  createdAt: string
}
export interface SeedCycle {
  id: string
  teamId: string
  number: number
  name?: string | null
  startsAt: string
  endsAt: string
  completedAt?: string | null
  scopeHistory: number[]
  completedScopeHistory: number[]
  issueCountHistory: number[]
  completedIssueCountHistory: number[]
  updatedAt?: string
}

export interface LinearSeed {
  /** personal API key accepted as `Authorization: <key>` (default lin_api_fake) */
  apiKey?: string
  /** OAuth access token accepted as `Authorization: Bearer <token>` */
  oauthToken?: string
  organizationId?: string
  users: SeedUser[]
  teams: SeedTeam[]
  states: SeedState[]
  labels?: SeedLabel[]
  projects?: SeedProject[]
  issues: SeedIssue[]
  history?: SeedHistory[]
  relations?: SeedRelation[]
  cycles?: SeedCycle[]
}

export interface Issue extends Required<Omit<SeedIssue, 'updatedAt'>> {
  updatedAt: string
}
export type History = Required<SeedHistory>
export type Relation = SeedRelation & { updatedAt: string }
export type Cycle = Required<SeedCycle>

export interface ChangeOptions {
  actorId?: string | null
  /** when the change happened (default: now) */
  at?: string
}

/**
 * The body Linear POSTs for a data change, before signing: @linear/sdk 98.0.0
 * `LinearDocument.EntityWebhookPayload` (`actor` is `UserActorWebhookPayload` for a person:
 * `{id, name, email, type: "user", url}`; absent for changes made by Linear itself),
 * https://linear.app/developers/webhooks.
 */
export interface WebhookBody {
  action: 'create' | 'update' | 'remove'
  type: string
  createdAt: string
  data: Record<string, unknown>
  updatedFrom?: Record<string, unknown>
  actor?: { id: string; name: string; email: string; type: 'user'; url: string }
  url: string
  organizationId: string
  webhookId: string
  webhookTimestamp: number
}

let counter = 0
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

export class LinearModel {
  readonly users = new Map<string, SeedUser>()
  readonly teams = new Map<string, SeedTeam>()
  readonly states = new Map<string, SeedState>()
  readonly labels = new Map<string, SeedLabel>()
  readonly projects = new Map<string, SeedProject>()
  readonly issues = new Map<string, Issue>()
  readonly history: History[] = []
  readonly relations = new Map<string, Relation>()
  readonly cycles = new Map<string, Cycle>()
  readonly organizationId: string
  readonly webhookId = 'webhook-fake-1'

  constructor(seed: LinearSeed) {
    this.organizationId = seed.organizationId ?? 'org-fake'
    for (const u of seed.users) this.users.set(u.id, u)
    for (const t of seed.teams) this.teams.set(t.id, t)
    for (const s of seed.states) this.states.set(s.id, s)
    for (const l of seed.labels ?? []) this.labels.set(l.id, l)
    for (const p of seed.projects ?? []) this.projects.set(p.id, p)
    for (const i of seed.issues) {
      this.issues.set(i.id, {
        creatorId: null,
        assigneeId: null,
        labelIds: [],
        estimate: null,
        completedAt: null,
        canceledAt: null,
        cycleId: null,
        projectId: null,
        ...i,
        updatedAt: i.updatedAt ?? i.createdAt,
      })
    }
    for (const h of seed.history ?? []) this.history.push(fullHistory(h))
    for (const r of seed.relations ?? []) this.relations.set(r.id, { ...r, updatedAt: r.createdAt })
    for (const c of seed.cycles ?? [])
      this.cycles.set(c.id, { name: null, completedAt: null, updatedAt: c.startsAt, ...c } as Cycle)
  }

  team(id: string): SeedTeam {
    const t = this.teams.get(id)
    if (!t) throw new Error(`fake Linear: no team ${id}`)
    return t
  }
  issue(id: string): Issue {
    const i = this.issues.get(id)
    if (!i) throw new Error(`fake Linear: no issue ${id}`)
    return i
  }
  identifier(i: Issue): string {
    return `${this.team(i.teamId).key}-${i.number}`
  }

  // ---- changes, as the Linear app makes them ----

  createIssue(
    input: Omit<SeedIssue, 'createdAt' | 'updatedAt'> & { createdAt?: string },
    opts: ChangeOptions = {},
  ): WebhookBody {
    const at = opts.at ?? input.createdAt ?? new Date().toISOString()
    const issue: Issue = {
      creatorId: opts.actorId ?? null,
      assigneeId: null,
      labelIds: [],
      estimate: null,
      completedAt: null,
      canceledAt: null,
      cycleId: null,
      projectId: null,
      ...input,
      createdAt: at,
      updatedAt: at,
    }
    this.issues.set(issue.id, issue)
    return this.webhook('create', issue, undefined, opts.actorId, at)
  }

  moveIssue(issueId: string, stateId: string, opts: ChangeOptions = {}): WebhookBody {
    const issue = this.issue(issueId)
    const to = this.states.get(stateId)
    if (!to) throw new Error(`fake Linear: no state ${stateId}`)
    const at = opts.at ?? new Date().toISOString()
    const from = {
      stateId: issue.stateId,
      updatedAt: issue.updatedAt,
      completedAt: issue.completedAt,
      canceledAt: issue.canceledAt,
    }
    this.history.push(
      fullHistory({
        id: newId('hist'),
        issueId,
        createdAt: at,
        actorId: opts.actorId ?? null,
        fromStateId: issue.stateId,
        toStateId: stateId,
      }),
    )
    issue.stateId = stateId
    issue.updatedAt = at
    issue.completedAt = to.type === 'completed' ? at : null
    issue.canceledAt = to.type === 'canceled' ? at : null
    return this.webhook('update', issue, from, opts.actorId, at)
  }

  addLabel(issueId: string, labelId: string, opts: ChangeOptions = {}): WebhookBody {
    const issue = this.issue(issueId)
    const at = opts.at ?? new Date().toISOString()
    const from = { labelIds: [...issue.labelIds], updatedAt: issue.updatedAt }
    this.history.push(
      fullHistory({
        id: newId('hist'),
        issueId,
        createdAt: at,
        actorId: opts.actorId ?? null,
        addedLabelIds: [labelId],
      }),
    )
    issue.labelIds = [...issue.labelIds, labelId]
    issue.updatedAt = at
    return this.webhook('update', issue, from, opts.actorId, at)
  }

  assign(issueId: string, assigneeId: string | null, opts: ChangeOptions = {}): WebhookBody {
    const issue = this.issue(issueId)
    const at = opts.at ?? new Date().toISOString()
    const from = { assigneeId: issue.assigneeId, updatedAt: issue.updatedAt }
    this.history.push(
      fullHistory({
        id: newId('hist'),
        issueId,
        createdAt: at,
        actorId: opts.actorId ?? null,
        fromAssigneeId: issue.assigneeId,
        toAssigneeId: assigneeId,
      }),
    )
    issue.assigneeId = assigneeId
    issue.updatedAt = at
    return this.webhook('update', issue, from, opts.actorId, at)
  }

  /** Linear sends no webhook for relations: only a later pull sees this */
  addRelation(input: Omit<SeedRelation, 'createdAt' | 'id'> & { id?: string; createdAt?: string }): Relation {
    const at = input.createdAt ?? new Date().toISOString()
    const r: Relation = {
      id: input.id ?? newId('rel'),
      type: input.type,
      issueId: input.issueId,
      relatedIssueId: input.relatedIssueId,
      createdAt: at,
      updatedAt: at,
    }
    this.relations.set(r.id, r)
    return r
  }

  removeRelation(id: string): void {
    if (!this.relations.delete(id)) throw new Error(`fake Linear: no relation ${id}`)
  }

  updateCycle(id: string, patch: Partial<Omit<SeedCycle, 'id'>>): void {
    const c = this.cycles.get(id)
    if (!c) throw new Error(`fake Linear: no cycle ${id}`)
    Object.assign(c, patch, { updatedAt: patch.updatedAt ?? new Date().toISOString() })
  }

  /**
   * Linear deletes an issue by moving it to the trash (purged later) and delivers `action:
   * "remove"` with the issue as it was (https://linear.app/developers/webhooks: "created, updated
   * or removed"; `IssueWebhookPayload.trashed` / `archivedAt` in @linear/sdk 98.0.0). The issues
   * query no longer lists it; its relations go too (assumed: Linear documents no relation
   * webhook, and a pull of a deleted issue's relations is not documented either).
   */
  removeIssue(issueId: string, opts: ChangeOptions = {}): WebhookBody {
    const issue = this.issue(issueId)
    const at = opts.at ?? new Date().toISOString()
    const body = this.webhook('remove', issue, undefined, opts.actorId, at)
    body.data = { ...body.data, trashed: true, archivedAt: at }
    this.issues.delete(issueId)
    for (const [id, r] of this.relations)
      if (r.issueId === issueId || r.relatedIssueId === issueId) this.relations.delete(id)
    return body
  }

  // ---- webhook bodies ----

  /**
   * `data` of an Issue delivery: @linear/sdk 98.0.0 `LinearDocument.IssueWebhookPayload` (the
   * webhook schema Linear publishes through its SDK; https://linear.app/developers/webhooks and
   * its "Webhooks schema explorer"). People travel as ids, `creatorId` and `assigneeId`: the
   * `creator` / `assignee` objects are optional there, and recorded deliveries carry none, or at
   * most `assignee: {id, name}` without an email; the fake sends none. Fields that are optional
   * and carry nothing here (`description`, `projectId`, `dueDate`...) are left out, as Linear
   * leaves them out. The type of the result is checked against the SDK's type in
   * packages/connector-linear/test/fake-contract.test.ts.
   */
  issueWebhookData(i: Issue) {
    const team = this.team(i.teamId)
    const state = this.states.get(i.stateId)!
    const labels = i.labelIds.map((id) => this.labels.get(id)).filter((l): l is SeedLabel => !!l)
    return {
      id: i.id,
      identifier: this.identifier(i),
      number: i.number,
      title: i.title,
      priority: 0,
      priorityLabel: 'No priority',
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
      completedAt: i.completedAt,
      canceledAt: i.canceledAt,
      estimate: i.estimate,
      stateId: i.stateId,
      state: { id: state.id, name: state.name, type: state.type, color: '#888888' },
      teamId: team.id,
      team: { id: team.id, key: team.key, name: team.name },
      creatorId: i.creatorId,
      assigneeId: i.assigneeId,
      cycleId: i.cycleId,
      // IssueWebhookPayload.projectId (the `project` object is optional and left out, as Linear often does)
      ...(i.projectId ? { projectId: i.projectId } : {}),
      labelIds: [...i.labelIds],
      labels: labels.map((l) => ({ id: l.id, name: l.name, color: '#888888' })),
      subscriberIds: [] as string[],
      previousIdentifiers: [] as string[],
      releases: [] as never[],
      reactionData: {} as Record<string, unknown>,
      sortOrder: 0,
      prioritySortOrder: 0,
      url: `https://linear.app/fake/issue/${this.identifier(i)}`,
    }
  }

  private webhook(
    action: WebhookBody['action'],
    issue: Issue,
    updatedFrom: Record<string, unknown> | undefined,
    actorId: string | null | undefined,
    at: string,
  ): WebhookBody {
    const actor = actorId ? this.users.get(actorId) : undefined
    return {
      action,
      type: 'Issue',
      createdAt: at,
      data: this.issueWebhookData(issue),
      ...(updatedFrom ? { updatedFrom } : {}),
      ...(actor
        ? {
            actor: {
              id: actor.id,
              name: actor.name,
              email: actor.email,
              type: 'user' as const,
              url: `https://linear.app/fake/profiles/${actor.id}`,
            },
          }
        : {}),
      url: `https://linear.app/fake/issue/${this.identifier(issue)}`,
      organizationId: this.organizationId,
      webhookId: this.webhookId,
      // stamped when delivered: signWebhook() sets the delivery time
      webhookTimestamp: Date.parse(at),
    }
  }
}

function fullHistory(h: SeedHistory): History {
  return {
    actorId: null,
    fromStateId: null,
    toStateId: null,
    fromAssigneeId: null,
    toAssigneeId: null,
    addedLabelIds: null,
    removedLabelIds: null,
    ...h,
  }
}
