import { arrivalOf, type Mapper } from '@orgpulse/connector'
import {
  type CanonicalEventInput,
  eventId,
  formatIssues,
  type LinearConfig,
  linearConfigSchema,
  normaliseIdentity,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { z } from 'zod'

/**
 * Linear → canonical events. Envelopes (published unchanged by the Linear connector):
 *
 * - `issue`: an Issue node with its `history`, `labels` and `relations` (poll)
 * - `relation`: an IssueRelation seen by the periodic reconciliation pull
 * - `relation.removed`: the last-seen IssueRelation that disappeared between two pulls
 *   (Linear has no webhook for relation changes)
 * - `cycle`: a Cycle node with its daily scope histories
 * - `webhook`: a verified webhook body (`{action, type, data, updatedFrom, actor, ...}`); people
 *   are ids there, resolved through the actor's email, the route's look-up (`meta.users`) or, at
 *   query time, the user directory; `remove` is a deletion
 * - `team`, `user`: reference data kept in the raw layer; no canonical event (the sync writes the
 *   user directory into identity_map itself: identities are not events)
 *
 * Event ids are chosen so that a webhook and a later poll of the same change give one id.
 * The webhook carries no IssueHistory id, and its timestamps (`data.updatedAt`) need not equal
 * the history entry's `createdAt` (Linear merges quick successive edits into one history row), so
 * ids are keyed by *slot* instead of by change:
 *
 * - workitem.status_changed: (issue, state entered); a re-entry of the same state replaces the
 *   earlier one (newest version wins), so the row means "last entered this state at".
 * - decision events: (issue, raised | escalated | call | withdrawn | dropped), as the decision
 *   log does. The poll reads the issue whole: its decision steps are one complete version (all at
 *   the issue's `updatedAt`), which replaces every older version's steps; a webhook's change is a
 *   delta at its own time, counted while newer than the last complete read. A label removed by a
 *   webhook is not recognised as the end of a decision (the webhook names removed labels by id
 *   only): the next poll's read drops it.
 * - dependencies: (relation, linked | resolved); resolved keeps the earliest.
 * - cycles: (cycle, snapshot); the newest snapshot wins.
 */

// ---- payload shapes (only the fields we read; Linear adds fields freely) ----

const user = z.object({ id: z.string(), email: z.string().nullish(), name: z.string().nullish() })
type LinearUser = z.infer<typeof user>
const state = z.object({ id: z.string(), name: z.string(), type: z.string() })
type LinearState = z.infer<typeof state>
const label = z.object({ id: z.string(), name: z.string() })
const teamRef = z.object({ id: z.string().optional(), key: z.string() })
/** Issue.project (Linear GraphQL `Project`, nullable): the portfolio view maps its id */
const projectRef = z.object({ id: z.string(), name: z.string().nullish() })
const relationIssue = z.object({
  id: z.string(),
  identifier: z.string().optional(),
  team: teamRef.nullish(),
  project: projectRef.nullish(),
  state: state.partial().nullish(),
  completedAt: z.string().nullish(),
  canceledAt: z.string().nullish(),
})
const relation = z.object({
  id: z.string(),
  type: z.string(),
  createdAt: z.string(),
  issue: relationIssue,
  relatedIssue: relationIssue,
})
type LinearRelation = z.infer<typeof relation>

const historyEntry = z.object({
  id: z.string(),
  createdAt: z.string(),
  actor: user.nullish(),
  fromState: state.nullish(),
  toState: state.nullish(),
  fromAssignee: user.nullish(),
  toAssignee: user.nullish(),
  addedLabels: z.array(label).nullish(),
  removedLabels: z.array(label).nullish(),
})
type HistoryEntry = z.infer<typeof historyEntry>

const issue = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string().default(''),
  createdAt: z.string(),
  updatedAt: z.string(),
  team: teamRef,
  project: projectRef.nullish(),
  state,
  creator: user.nullish(),
  assignee: user.nullish(),
  labels: z.object({ nodes: z.array(label) }).default({ nodes: [] }),
  history: z.object({ nodes: z.array(historyEntry) }).default({ nodes: [] }),
  relations: z.object({ nodes: z.array(relation) }).default({ nodes: [] }),
})
type LinearIssue = z.infer<typeof issue>

const cycle = z.object({
  id: z.string(),
  number: z.number(),
  name: z.string().nullish(),
  startsAt: z.string(),
  endsAt: z.string(),
  completedAt: z.string().nullish(),
  scopeHistory: z.array(z.number()),
  completedScopeHistory: z.array(z.number()),
  issueCountHistory: z.array(z.number()),
  completedIssueCountHistory: z.array(z.number()),
  team: teamRef,
})

/**
 * IssueWebhookPayload (@linear/sdk `LinearDocument.IssueWebhookPayload`; https://linear.app/developers/webhooks):
 * the fields we read of `data`. People are ids (`creatorId`, `assigneeId`); the `creator` and
 * `assignee` objects are optional in the published type and, in recorded deliveries, absent or at
 * most `{id, name}` without an email, so an email is taken from them only when one is there.
 */
const webhookUser = z.object({ id: z.string(), email: z.string().nullish(), name: z.string().nullish() })
const webhookIssue = z.object({
  id: z.string(),
  identifier: z.string().optional(),
  title: z.string().default(''),
  createdAt: z.string(),
  updatedAt: z.string(),
  stateId: z.string().optional(),
  state: state.optional(),
  team: teamRef.nullish(),
  /** IssueWebhookPayload.projectId: the delivery names the project by id (a `project` object at most sometimes) */
  projectId: z.string().nullish(),
  project: projectRef.nullish(),
  creator: webhookUser.nullish(),
  creatorId: z.string().nullish(),
  assignee: webhookUser.nullish(),
  assigneeId: z.string().nullish(),
  labels: z.array(label).default([]),
  labelIds: z.array(z.string()).default([]),
  trashed: z.boolean().nullish(),
})
type WebhookIssue = z.infer<typeof webhookIssue>
/**
 * EntityWebhookPayload (@linear/sdk): `actor` is who acted (`EntityActorWebhookPayload`: a user
 * `{id, name, email, type: "user", url}`, or an integration / OAuth client without an email);
 * on `create` it is the creator.
 */
const webhookBody = z.object({
  action: z.string(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  updatedFrom: z.record(z.string(), z.unknown()).nullish(),
  actor: z
    .object({
      id: z.string(),
      email: z.string().nullish(),
      name: z.string().nullish(),
      type: z.string().optional(),
    })
    .nullish(),
  createdAt: z.string().optional(),
  webhookTimestamp: z.number().optional(),
})
type WebhookBody = z.infer<typeof webhookBody>

// ---- helpers ----

const ms = (iso: string): number => {
  const v = Date.parse(iso)
  if (Number.isNaN(v)) throw new RejectedRecord(`unparseable Linear timestamp "${iso}"`)
  return v
}
const iso = (value: string): string => new Date(ms(value)).toISOString()

/** email when Linear shows one (the usual case), else the opaque Linear user id */
const person = (u: LinearUser | null | undefined): string | undefined =>
  u ? (u.email ? normaliseIdentity(u.email) : `linear:${u.id}`) : undefined

const CATEGORY: Record<string, 'todo' | 'in_progress' | 'done' | 'cancelled'> = {
  triage: 'todo',
  backlog: 'todo',
  unstarted: 'todo',
  started: 'in_progress',
  completed: 'done',
  canceled: 'cancelled',
}
function category(s: LinearState): 'todo' | 'in_progress' | 'done' | 'cancelled' {
  const c = CATEGORY[s.type]
  if (!c) throw new RejectedRecord(`unknown Linear workflow state type "${s.type}" (state "${s.name}")`)
  return c
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (!r.success) throw new RejectedRecord(`invalid Linear ${what}: ${formatIssues(r.error).join('; ')}`)
  return r.data
}

class Rules {
  readonly team: (key: string | undefined) => string
  private readonly lc: (xs: string[]) => Set<string>
  constructor(readonly config: LinearConfig) {
    // own keys only: a team key such as `constructor` must not reach Object.prototype
    this.team = (key) => (key && Object.hasOwn(config.teams, key) ? (config.teams[key] ?? '') : '')
    this.lc = (xs) => new Set(xs.map((x) => x.toLowerCase()))
  }
  private has = (list: string[], name: string | undefined): boolean =>
    !!name && this.lc(list).has(name.toLowerCase())
  isDecisionLabel = (n: string) => this.has(this.config.decisions.labels, n)
  isEscalationLabel = (n: string) => this.has(this.config.decisions.escalatedLabels, n)
  isRaisedState = (s: LinearState | null | undefined) => this.has(this.config.decisions.raisedStates, s?.name)
  isEscalatedState = (s: LinearState | null | undefined) =>
    this.has(this.config.decisions.escalatedStates, s?.name)
  isDecidedState = (s: LinearState | null | undefined) =>
    this.has(this.config.decisions.decidedStates, s?.name)
  isRejectedState = (s: LinearState | null | undefined) =>
    this.has(this.config.decisions.rejectedStates, s?.name)
  /** decided / rejected / withdrawn when a decision enters this state, else null */
  callFor(s: LinearState): 'decided' | 'rejected' | 'withdrawn' | null {
    if (this.isRejectedState(s)) return 'rejected'
    if (this.isDecidedState(s)) return 'decided'
    if (this.config.decisions.completedIsDecided) {
      if (s.type === 'completed') return 'decided'
      if (s.type === 'canceled') return 'withdrawn'
    }
    return null
  }
  get expectsAssignee(): boolean {
    return this.config.decisions.expectedDecider === 'assignee'
  }
  isDecisionState = (s: LinearState | null | undefined) =>
    !!s &&
    (this.isRaisedState(s) || this.isEscalatedState(s) || this.isDecidedState(s) || this.isRejectedState(s))
}

function rulesFrom(config: unknown): Rules {
  // the section is optional in orgpulse.yaml: an absent one means the documented defaults
  return new Rules(linearConfigSchema.parse(config ?? {}))
}

// ---- event builders shared by the poll and the webhook paths ----

interface DecisionContext {
  issueId: string
  title: string
  team: string
  /** the Linear project id ('' for none) */
  project: string
  raisedBy: string
  /** who is expected to make the call now ('' for nobody): the assignee, per `decisions.expectedDecider` */
  expectedDecider: string
  /**
   * set when the issue is read whole (the poll, with its history): its decision steps are one
   * complete version at this version (DESIGN "Decision semantics"); unset for a webhook's change
   */
  completeVersion?: number
  /** when the read reached orgpulse (ms): orders two reads of one version */
  arrival?: number
}

/**
 * Version for slots where the EARLIEST observation is the truth (a decision is raised once, a
 * link resolves once): inverting the time makes the earliest win in ReplacingMergeTree whatever
 * the arrival order, so a late webhook (a label re-added, a link unlinked after its blocker was
 * done) never moves the time forward.
 */
const firstWins = (atMs: number): number => Number.MAX_SAFE_INTEGER - atMs

function decisionCommon(d: DecisionContext, atIso: string) {
  return {
    source: 'linear' as const,
    sourceId: d.issueId,
    decisionId: `linear:${d.issueId}`,
    raisedBy: d.raisedBy,
    title: d.title,
    team: d.team,
    project: d.project,
    expectedDecider: d.expectedDecider,
    occurredAt: iso(atIso),
    version: d.completeVersion ?? ms(atIso),
    complete: d.completeVersion !== undefined,
    arrival: d.arrival ?? 0,
  }
}

/** the item stopped being a decision: a complete version with no step, retiring the older ones */
function dropped(d: DecisionContext, at: string): CanonicalEventInput {
  return {
    ...decisionCommon(d, at),
    version: d.completeVersion ?? ms(at),
    complete: true,
    id: eventId('linear', d.issueId, 'dropped'),
    type: 'decision.dropped',
  }
}

function raised(d: DecisionContext, at: string, tags: string[]): CanonicalEventInput {
  return {
    ...decisionCommon(d, at),
    id: eventId('linear', d.issueId, 'raised'),
    type: 'decision.raised',
    tags,
  }
}

function escalated(
  d: DecisionContext,
  at: string,
  to: string | undefined,
  actor: string | undefined,
): CanonicalEventInput | null {
  // Linear has no "escalated to" field: the target is whoever the issue is assigned to. With
  // nobody assigned there is no target to record; the implicit rule (decider above the raiser's
  // manager) still counts the escalation once the call is made.
  if (!to) return null
  return {
    ...decisionCommon(d, at),
    id: eventId('linear', d.issueId, 'escalated'),
    type: 'decision.escalated',
    escalatedTo: [to],
    ...(actor ? { actor } : {}),
  }
}

function call(
  d: DecisionContext,
  kind: 'decided' | 'rejected' | 'withdrawn',
  at: string,
  actor: string | undefined,
): CanonicalEventInput {
  if (kind === 'withdrawn') {
    return {
      ...decisionCommon(d, at),
      id: eventId('linear', d.issueId, 'withdrawn'),
      type: 'decision.withdrawn',
      ...(actor ? { actor } : {}),
    }
  }
  return {
    ...decisionCommon(d, at),
    id: eventId('linear', d.issueId, 'call'),
    type: kind === 'rejected' ? 'decision.rejected' : 'decision.decided',
    // a call needs a decider: the person who moved it, else the assignee, else the raiser
    actor: actor ?? d.raisedBy,
  }
}

function statusChanged(
  issueId: string,
  team: string,
  from: string,
  to: LinearState,
  at: string,
  actor: string | undefined,
  project = '',
): CanonicalEventInput {
  return {
    id: eventId('linear', issueId, `state:${to.id}`),
    type: 'workitem.status_changed',
    source: 'linear',
    sourceId: issueId,
    itemId: `linear:${issueId}`,
    team,
    project,
    fromStatus: from,
    toStatus: to.name,
    category: category(to),
    occurredAt: iso(at),
    version: ms(at),
    ...(actor ? { actor } : {}),
  }
}

function linked(r: Rules, rel: LinearRelation): CanonicalEventInput {
  return {
    ...dependencyCommon(r, rel, rel.createdAt),
    id: eventId('linear', rel.id, 'linked'),
    type: 'dependency.linked',
  }
}

function dependencyCommon(r: Rules, rel: LinearRelation, at: string) {
  return {
    source: 'linear' as const,
    sourceId: rel.id,
    linkId: `linear:${rel.id}`,
    // `A blocks B` is stored once, as {issue: A, relatedIssue: B, type: "blocks"}
    blockerItem: `linear:${rel.issue.id}`,
    blockedItem: `linear:${rel.relatedIssue.id}`,
    blockerTeam: r.team(rel.issue.team?.key),
    blockedTeam: r.team(rel.relatedIssue.team?.key),
    // the blocked issue's project: the bet whose work waits
    project: rel.relatedIssue.project?.id ?? '',
    occurredAt: iso(at),
    version: ms(at),
  }
}

/**
 * When the blocker reached a done state (completed or canceled), read from a relation seen by the
 * reconciliation pull; null while it is not done. The blocked item closing does not end the
 * blocking (DESIGN "A blocking link"): only the link's removal or the blocker done do.
 */
function blockerDoneAt(rel: LinearRelation): string | null {
  const done = rel.issue.state?.type === 'completed' || rel.issue.state?.type === 'canceled'
  const at = done ? (rel.issue.completedAt ?? rel.issue.canceledAt ?? null) : null
  // a relation made while its blocker is done opens no interval: resolved at its creation
  return at !== null && ms(at) < ms(rel.createdAt) ? rel.createdAt : at
}

const isDone = (s: { type?: string | undefined } | null | undefined): boolean =>
  s?.type === 'completed' || s?.type === 'canceled'

/**
 * The blocker's own state history, for the relations it blocks (the issue poll reads it; the
 * relation pull sees only the blocker's latest state): each entry into a done state after the
 * relation was made resolves it, each move out of one opens it again (DESIGN "A blocking link": a
 * blocking item reopened while still linked opens a new interval). One event per history entry,
 * and only for a blocker reopened since the relation was made: otherwise the relation pull's
 * blocker-done (its first) is the whole story, and the same change is not recorded twice.
 */
function blockerHistoryEvents(r: Rules, rel: LinearRelation, history: HistoryEntry[]): CanonicalEventInput[] {
  const events: CanonicalEventInput[] = []
  for (const h of history) {
    if (!h.toState || ms(h.createdAt) < ms(rel.createdAt) || isDone(h.fromState) === isDone(h.toState))
      continue
    events.push(
      isDone(h.toState)
        ? {
            ...resolved(r, rel, 'blocker_done', h.createdAt),
            id: eventId('linear', rel.id, `resolved:blocker_done:${h.id}`),
          }
        : {
            ...dependencyCommon(r, rel, h.createdAt),
            id: eventId('linear', rel.id, `reopened:${h.id}`),
            type: 'dependency.linked',
          },
    )
  }
  return events.some((e) => e.type === 'dependency.linked') ? events : []
}

function resolved(
  r: Rules,
  rel: LinearRelation,
  reason: 'unlinked' | 'blocker_done' | 'blocked_closed',
  at: string,
): CanonicalEventInput {
  return {
    ...dependencyCommon(r, rel, at),
    version: firstWins(ms(at)),
    // one slot per reason: a blocker done and, later, the link removed are two changes of the link
    id: eventId('linear', rel.id, `resolved:${reason}`),
    type: 'dependency.resolved',
    reason,
  }
}

// ---- poll path ----

function mapIssue(r: Rules, i: LinearIssue, arrival: number): CanonicalEventInput[] {
  const team = r.team(i.team.key)
  const project = i.project?.id ?? ''
  const history = [...i.history.nodes].sort((a, b) => ms(a.createdAt) - ms(b.createdAt))
  const events: CanonicalEventInput[] = []

  // status changes: the latest entry into each state (see the id scheme above)
  const lastEntry = new Map<string, HistoryEntry>()
  for (const h of history) if (h.toState) lastEntry.set(h.toState.id, h)
  for (const h of lastEntry.values()) {
    events.push(
      statusChanged(i.id, team, h.fromState?.name ?? '', h.toState!, h.createdAt, person(h.actor), project),
    )
  }

  for (const rel of i.relations.nodes) {
    if (rel.type !== 'blocks') continue
    events.push(linked(r, rel))
    if (rel.issue.id === i.id) events.push(...blockerHistoryEvents(r, rel, history))
  }

  events.push(...issueDecisions(r, i, history, team, arrival))
  return events
}

function issueDecisions(
  r: Rules,
  i: LinearIssue,
  history: HistoryEntry[],
  team: string,
  arrival: number,
): CanonicalEventInput[] {
  const assigneeChanges = history.filter((h) => h.fromAssignee || h.toAssignee)
  /** who the issue was assigned to right after time t */
  const assigneeAt = (t: number): LinearUser | null | undefined => {
    const before = assigneeChanges.filter((h) => ms(h.createdAt) <= t).at(-1)
    if (before) return before.toAssignee
    const after = assigneeChanges.find((h) => ms(h.createdAt) > t)
    return after ? after.fromAssignee : i.assignee
  }
  // the labels it was created with: today's, with the history's additions and removals undone
  const createdWith = new Map(i.labels.nodes.map((l) => [l.id, l]))
  for (const h of [...history].reverse()) {
    for (const l of h.addedLabels ?? []) createdWith.delete(l.id)
    for (const l of h.removedLabels ?? []) createdWith.set(l.id, l)
  }
  const firstStateChange = history.find((h) => h.toState)
  const initialState = firstStateChange ? firstStateChange.fromState : i.state

  // signals, in time order: [time, what]
  const raise: string[] = []
  const escalation: { at: string; actor: string | undefined }[] = []
  const calls: { kind: 'decided' | 'rejected' | 'withdrawn'; at: string; actor: string | undefined }[] = []
  const tags = new Set<string>()

  // present since creation: labels with no "added" entry, and the state the issue was created in
  for (const l of createdWith.values()) {
    if (r.isDecisionLabel(l.name)) raise.push(i.createdAt)
    if (r.isEscalationLabel(l.name)) escalation.push({ at: i.createdAt, actor: person(i.creator) })
  }
  if (initialState && r.isDecisionState(initialState)) raise.push(i.createdAt)
  if (initialState && r.isEscalatedState(initialState))
    escalation.push({ at: i.createdAt, actor: person(i.creator) })

  for (const h of history) {
    const actor = person(h.actor)
    for (const l of h.addedLabels ?? []) {
      if (r.isDecisionLabel(l.name)) raise.push(h.createdAt)
      if (r.isEscalationLabel(l.name)) escalation.push({ at: h.createdAt, actor })
    }
    if (h.toState) {
      if (r.isDecisionState(h.toState)) raise.push(h.createdAt)
      if (r.isEscalatedState(h.toState)) escalation.push({ at: h.createdAt, actor })
    }
  }
  for (const l of i.labels.nodes)
    if (r.isDecisionLabel(l.name) || r.isEscalationLabel(l.name)) tags.add(l.name)
  if (raise.length === 0) return []
  const raisedAt = raise.reduce((a, b) => (ms(a) <= ms(b) ? a : b))
  const raiser = person(i.creator) ?? 'linear:unknown'
  // the read is one complete version of the decision, as of the issue's last change
  const completeVersion = Math.max(ms(i.updatedAt), ms(i.createdAt), ...history.map((h) => ms(h.createdAt)))
  const d: DecisionContext = {
    issueId: i.id,
    title: i.title,
    team,
    project: i.project?.id ?? '',
    raisedBy: raiser,
    expectedDecider: r.expectsAssignee ? (person(i.assignee) ?? '') : '',
    completeVersion,
    arrival,
  }
  // A decision by workflow state stays one (leaving the state is the call); a decision only by
  // its label stops being one when the label goes, and all its steps stop counting.
  const everByState =
    r.isDecisionState(initialState) ||
    r.isDecisionState(i.state) ||
    history.some((h) => r.isDecisionState(h.toState))
  if (!everByState && !i.labels.nodes.some((l) => r.isDecisionLabel(l.name))) return [dropped(d, i.updatedAt)]

  // calls: entries into a call state after the decision was raised; the last one stands
  for (const h of history) {
    if (!h.toState || ms(h.createdAt) < ms(raisedAt)) continue
    const kind = r.callFor(h.toState)
    if (kind)
      calls.push({ kind, at: h.createdAt, actor: person(h.actor) ?? person(assigneeAt(ms(h.createdAt))) })
  }
  if (!firstStateChange) {
    // never moved: a decision created directly in a call state (recorded after the fact)
    const kind = r.callFor(i.state)
    if (kind) calls.push({ kind, at: i.createdAt, actor: person(i.creator) })
  }

  const events: CanonicalEventInput[] = [raised(d, raisedAt, [...tags])]
  const firstEscalation = escalation.sort((a, b) => ms(a.at) - ms(b.at))[0]
  if (firstEscalation) {
    const e = escalated(
      d,
      firstEscalation.at,
      person(assigneeAt(ms(firstEscalation.at))),
      firstEscalation.actor,
    )
    if (e) events.push(e)
  }
  const lastCall = calls.at(-1)
  if (lastCall) events.push(call(d, lastCall.kind, lastCall.at, lastCall.actor))
  return events
}

function mapCycle(r: Rules, c: z.infer<typeof cycle>, fetchedAt: string): CanonicalEventInput[] {
  // not started yet: nothing was committed, and the metrics only count cycles that ended
  if (ms(c.startsAt) > ms(fetchedAt) || c.scopeHistory.length === 0) return []
  const unit = r.config.cycles.unit
  const usePoints = unit === 'points' || (unit === 'auto' && c.scopeHistory.some((v) => v > 0))
  const scope = usePoints ? c.scopeHistory : c.issueCountHistory
  const done = usePoints ? c.completedScopeHistory : c.completedIssueCountHistory
  // Linear records the cycle's totals once per day from the start: scope[0] is what was
  // committed at the start, the last completed value is what got done. Added scope is the net
  // growth max(0, last - first): the cycle object has no per-issue timeline, so an issue removed
  // mid-cycle offsets one added (a lower bound on churn, exact when nothing was removed).
  const committed = scope[0] ?? 0
  const last = scope.at(-1) ?? committed
  const at = c.completedAt ?? fetchedAt
  return [
    {
      id: eventId('linear', c.id, 'snapshot'),
      type: 'cycle.snapshot',
      source: 'linear',
      sourceId: c.id,
      cycleId: `linear:${c.id}`,
      team: r.team(c.team.key),
      name: c.name ?? `Cycle ${c.number}`,
      startsAt: iso(c.startsAt),
      endsAt: iso(c.endsAt),
      committedScope: committed,
      completedScope: done.at(-1) ?? 0,
      addedScope: Math.max(0, last - committed),
      occurredAt: iso(ms(at) < ms(fetchedAt) ? at : fetchedAt),
      // the newest observation of a cycle wins
      version: ms(fetchedAt),
    },
  ]
}

// ---- webhook path ----

/**
 * The identity of a Linear user named by id in a webhook: an email when the delivery shows one
 * for that id (the actor, an embedded user object), else `linear:<id>`, which identity_map
 * resolves at query time through the user directory the pull keeps (see sync.ts).
 */
function webhookPerson(
  body: WebhookBody,
  id: string | null | undefined,
  embedded: z.infer<typeof webhookUser> | null | undefined,
  looked: Record<string, string>,
): string | undefined {
  if (embedded?.email && (!id || embedded.id === id)) return normaliseIdentity(embedded.email)
  const uid = id ?? embedded?.id
  if (!uid) return undefined
  if (body.actor?.id === uid && body.actor.email) return normaliseIdentity(body.actor.email)
  // own keys only: an id such as `toString` must not reach Object.prototype
  const email = Object.hasOwn(looked, uid) ? looked[uid] : undefined
  return typeof email === 'string' && email ? normaliseIdentity(email) : `linear:${uid}`
}

function webhookActor(body: WebhookBody): string | undefined {
  if (!body.actor) return undefined
  return body.actor.email ? normaliseIdentity(body.actor.email) : `linear:${body.actor.id}`
}

function webhookRaiser(body: WebhookBody, data: WebhookIssue, looked: Record<string, string>): string {
  const creator = webhookPerson(body, data.creatorId, data.creator, looked)
  if (creator) return creator
  // Linear documents the actor of a `create` as the creator
  if (body.action === 'create') return webhookActor(body) ?? 'linear:unknown'
  return 'linear:unknown'
}

/**
 * `remove` (deleted, or moved to the trash; an update that sets `trashed` is the same change),
 * as Jira's `jira:issue_deleted`: the item stops being work, and a decision still open is
 * withdrawn as of the removal (a call already made stays). Its relations go with it: Linear has
 * no relation webhook, so the next pull finds them gone and resolves them as unlinked.
 */
function removalEvents(
  r: Rules,
  body: WebhookBody,
  data: WebhookIssue,
  looked: Record<string, string>,
): CanonicalEventInput[] {
  const team = r.team(data.team?.key)
  const project = webhookProject(data)
  const actor = webhookActor(body)
  // the delivery's createdAt is when the removal happened; data.updatedAt may be older
  const at = body.createdAt ?? data.updatedAt
  const events: CanonicalEventInput[] = [
    {
      id: eventId('linear', data.id, 'state:deleted'),
      type: 'workitem.status_changed',
      source: 'linear',
      sourceId: data.id,
      itemId: `linear:${data.id}`,
      team,
      project,
      fromStatus: data.state?.name ?? '',
      toStatus: 'Deleted',
      category: 'cancelled',
      occurredAt: iso(at),
      version: ms(at),
      ...(actor ? { actor } : {}),
    },
  ]
  const isDecision =
    data.labels.some((l) => r.isDecisionLabel(l.name)) ||
    (data.state !== undefined && r.isDecisionState(data.state))
  const called = data.state !== undefined && r.callFor(data.state) !== null
  if (isDecision && !called) {
    const d: DecisionContext = {
      issueId: data.id,
      title: data.title,
      team,
      project,
      raisedBy: webhookRaiser(body, data, looked),
      expectedDecider: r.expectsAssignee
        ? (webhookPerson(body, data.assigneeId, data.assignee, looked) ?? '')
        : '',
    }
    events.push(call(d, 'withdrawn', at, actor))
  }
  return events
}

/** the delivery's project: `projectId`, else a `project` object's id, else '' */
const webhookProject = (data: WebhookIssue): string => data.projectId ?? data.project?.id ?? ''

/** emails the webhook route looked up for ids the delivery names without one (`meta.users`) */
const lookedUp = z.record(z.string(), z.string()).catch({})

function mapWebhook(r: Rules, body: WebhookBody, meta: RawEnvelope['meta']): CanonicalEventInput[] {
  // Cycles arrive by the poll (their daily histories carry no team key in the webhook);
  // relations have no webhook at all; other models are not metrics inputs.
  if (body.type !== 'Issue' || !['create', 'update', 'remove'].includes(body.action)) return []
  const data = parse(webhookIssue, body.data, 'Issue webhook data')
  const from = body.updatedFrom ?? {}
  const looked = lookedUp.parse(meta?.users ?? {})
  if (
    body.action === 'remove' ||
    (body.action === 'update' && data.trashed === true && from.trashed !== true)
  )
    return removalEvents(r, body, data, looked)
  const team = r.team(data.team?.key)
  const project = webhookProject(data)
  const actor = webhookActor(body)
  const assignee = webhookPerson(body, data.assigneeId, data.assignee, looked)
  const d: DecisionContext = {
    issueId: data.id,
    title: data.title,
    team,
    project,
    raisedBy: webhookRaiser(body, data, looked),
    // a delivery names the assignee by `assigneeId`, with an `assignee` object at most sometimes
    expectedDecider: r.expectsAssignee ? (assignee ?? '') : '',
  }
  const at = body.action === 'create' ? data.createdAt : data.updatedAt
  const events: CanonicalEventInput[] = []

  const labelNames = new Map(data.labels.map((l) => [l.id, l.name]))
  const prevLabelIds = Array.isArray(from.labelIds)
    ? (from.labelIds as string[])
    : body.action === 'create'
      ? []
      : data.labelIds
  const added = data.labelIds.filter((id) => !prevLabelIds.includes(id)).map((id) => labelNames.get(id) ?? '')
  const stateChanged =
    body.action === 'update' && typeof from.stateId === 'string' && from.stateId !== data.stateId
  const enteredState = body.action === 'create' || stateChanged ? data.state : undefined

  if (body.action === 'update' && from.trashed === true && data.trashed !== true && data.state) {
    // restored from the trash: the deletion's slot takes the state it is back in (the next poll
    // reads the issue whole again, which replaces the withdrawal)
    events.push({
      ...statusChanged(data.id, team, 'Deleted', data.state, at, actor, project),
      id: eventId('linear', data.id, 'state:deleted'),
    })
  }
  if (stateChanged && data.state) {
    // the webhook names only the previous state's id; the poll fills in its name
    events.push(statusChanged(data.id, team, '', data.state, at, actor, project))
  }

  // any decision signal raises; the next poll's complete read restores the earliest raise
  const raisesNow =
    added.some((n) => r.isDecisionLabel(n)) || (enteredState !== undefined && r.isDecisionState(enteredState))
  if (raisesNow) {
    events.push(
      raised(
        d,
        at,
        data.labels
          .filter((l) => r.isDecisionLabel(l.name) || r.isEscalationLabel(l.name))
          .map((l) => l.name),
      ),
    )
  }
  if (
    added.some((n) => r.isEscalationLabel(n)) ||
    (enteredState !== undefined && r.isEscalatedState(enteredState))
  ) {
    const e = escalated(d, at, assignee, actor)
    if (e) events.push(e)
  }
  // a decision known only by its earlier state (no label) cannot be recognised here once it moves
  // to a plain completed state: the webhook names the previous state by id only. The poll's
  // history has the names and emits the call under the same id.
  const isDecision = raisesNow || data.labels.some((l) => r.isDecisionLabel(l.name))
  if (stateChanged && data.state && isDecision) {
    const kind = r.callFor(data.state)
    if (kind) events.push(call(d, kind, at, actor ?? assignee))
  }
  return events
}

// ---- entry point ----

export const mapLinear: Mapper = (envelope: RawEnvelope, ctx) => {
  const r = rulesFrom(ctx.config.linear)
  switch (envelope.entity) {
    case 'issue':
      return mapIssue(r, parse(issue, envelope.payload, 'issue'), arrivalOf(envelope))
    case 'relation': {
      const rel = parse(relation, envelope.payload, 'issue relation')
      if (rel.type !== 'blocks') return []
      const done = blockerDoneAt(rel)
      return done ? [linked(r, rel), resolved(r, rel, 'blocker_done', done)] : [linked(r, rel)]
    }
    case 'relation.removed': {
      const rel = parse(relation, envelope.payload, 'removed issue relation')
      if (rel.type !== 'blocks') return []
      // the pull that noticed it gone dates the removal; a blocker done before that resolved it first
      const done = blockerDoneAt(rel)
      const removed = resolved(r, rel, 'unlinked', envelope.fetchedAt)
      return done ? [resolved(r, rel, 'blocker_done', done), removed] : [removed]
    }
    case 'cycle':
      return mapCycle(r, parse(cycle, envelope.payload, 'cycle'), envelope.fetchedAt)
    case 'webhook':
      return mapWebhook(r, parse(webhookBody, envelope.payload, 'webhook body'), envelope.meta)
    case 'team':
    case 'user':
      return []
    default:
      throw new RejectedRecord(
        `unknown Linear entity "${envelope.entity}" (expected issue, relation, relation.removed, cycle, webhook, team or user)`,
      )
  }
}
