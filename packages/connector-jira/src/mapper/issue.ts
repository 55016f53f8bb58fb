import { arrivalOf, type Mapper } from '@orgpulse/connector'
import {
  type CanonicalEventInput,
  eventId,
  formatIssues,
  type JiraConfig,
  jiraConfigSchema,
  normaliseIdentity,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { z } from 'zod'
import { mapDeletion } from './deletion.ts'
import { mapSprint } from './sprints.ts'
import { parseJiraTime } from './time.ts'

/**
 * Jira → canonical events.
 *
 * Three envelope kinds arrive on `orgpulse.raw.jira.v1` (`sprint`: see jira-sprints.ts):
 * - `issue`: an issue as the search returned it, with its COMPLETE changelog in `changelog.histories`
 *   (the connector fills in what `expand=changelog` truncates). The issue's states are replayed
 *   from creation through every history.
 * - `webhook`: a Jira webhook body, unchanged. `jira:issue_updated` carries one history
 *   (`changelog.id` + items, author = `user`, time = `timestamp`); the state before it is the
 *   issue's fields with that history's items undone.
 *
 * Both paths run the same per-history rules and key every event by the history id, so a webhook
 * and a later poll of one change yield the same event ids (one row downstream).
 *
 * Dependencies are read from both sides of a link (DESIGN "A blocking link"): Jira records a
 * link on the blocker ("This issue blocks X") and on the blocked issue ("This issue is blocked by
 * K"), and either record, alone, is the link's creation or removal; both name one link id
 * (`jira:<blocker>/blocks/<blocked>`), and the metrics fold a link's changes into its open
 * intervals, so a change seen twice counts once. Only the blocker's side knows its status, so
 * done and reopened come from there. The other issue's team comes from its project key
 * (components of the other issue are not in the payload).
 */

// ---------------------------------------------------------------------------------------------
// The parts of Jira's documented shapes this mapper reads (everything else passes through).

const idLike = z.union([z.string(), z.number()]).transform(String)
const userSchema = z
  .looseObject({
    accountId: z.string().optional(),
    emailAddress: z.string().nullish(),
    // Data Center identifies users by key/name instead of accountId
    key: z.string().optional(),
    name: z.string().optional(),
  })
  .nullish()
type JiraUser = z.infer<typeof userSchema>
const statusSchema = z.looseObject({
  id: idLike,
  name: z.string(),
  statusCategory: z.looseObject({ key: z.string() }).optional(),
})
const linkedIssueSchema = z.looseObject({ key: z.string() })
const issueLinkSchema = z.looseObject({
  id: idLike.optional(),
  type: z.looseObject({ name: z.string(), inward: z.string().optional(), outward: z.string().optional() }),
  inwardIssue: linkedIssueSchema.optional(),
  outwardIssue: linkedIssueSchema.optional(),
})
const itemSchema = z.record(z.string(), z.unknown())
/** ms since the epoch, within the range a Date can hold (beyond it, toISOString throws a RangeError) */
const epochMs = z.number().int().min(-8.64e15).max(8.64e15)
const historySchema = z.looseObject({
  id: idLike,
  author: userSchema,
  // the bulk changelog's epoch ms as well as the string form (see the client's historyCreatedSchema)
  created: z.union([z.string(), epochMs.transform((ms) => new Date(ms).toISOString())]),
  items: z.array(itemSchema),
})
const fieldsSchema = z.looseObject({
  summary: z.string().nullish(),
  issuetype: z.looseObject({ name: z.string() }).nullish(),
  project: z.looseObject({ key: z.string() }).nullish(),
  /**
   * the parent issue (REST v3 `fields.parent`: an epic for standard issues in team-managed and,
   * since 2023, company-managed projects; the parent issue for a sub-task). A site that hides it
   * (field-level security, or a field list without it) sends none: the epic is then ''
   */
  parent: z.looseObject({ key: z.string() }).nullish(),
  status: statusSchema,
  labels: z.array(z.string()).nullish(),
  components: z.array(z.looseObject({ name: z.string() })).nullish(),
  reporter: userSchema,
  creator: userSchema,
  assignee: userSchema,
  created: z.string(),
  updated: z.string().nullish(),
  issuelinks: z.array(issueLinkSchema).nullish(),
})
const issueSchema = z.looseObject({
  id: idLike,
  key: z.string(),
  fields: fieldsSchema,
  changelog: z.looseObject({ histories: z.array(historySchema) }).optional(),
})
type JiraIssue = z.infer<typeof issueSchema>
const webhookSchema = z.looseObject({
  timestamp: epochMs,
  webhookEvent: z.string(),
  user: userSchema,
  issue: issueSchema.optional(),
  changelog: z.looseObject({ id: idLike, items: z.array(itemSchema) }).optional(),
})

// ---------------------------------------------------------------------------------------------
// Rules compiled from the `jira:` config section (case-insensitive names).

type Category = 'todo' | 'in_progress' | 'done' | 'cancelled'

interface Rules {
  raisedTypes: Set<string>
  raisedLabels: Set<string>
  raisedStatuses: Set<string>
  escalatedLabels: Set<string>
  escalatedStatuses: Set<string>
  decidedStatuses: Set<string>
  rejectedStatuses: Set<string>
  withdrawnStatuses: Set<string>
  /** lower-cased phrase → direction, from the blocking link types */
  outwardPhrases: Set<string>
  inwardPhrases: Set<string>
  linkTypeNames: Set<string>
  teams: JiraConfig['teams']
  categoryOverrides: Map<string, Category>
  /** assignee, none, or the id of a user-picker custom field */
  expectedDecider: JiraConfig['decisions']['expectedDecider']
  /** the legacy "Epic Link" custom field (config `portfolio.jira.epicLinkField`), read before `parent` */
  epicLinkField?: string | undefined
}

const lower = (xs: readonly string[]): Set<string> => new Set(xs.map((x) => x.trim().toLowerCase()))

// with no `jira:` section (a replay into an instance without one) the documented defaults apply;
// `projects` is only needed by the connector, so a placeholder satisfies the schema here
const DEFAULT_CONFIG = jiraConfigSchema.parse({ projects: ['DEFAULT'] })
const compiled = new WeakMap<JiraConfig, Rules>()

function rulesFor(config: JiraConfig | undefined): Rules {
  const c = config ?? DEFAULT_CONFIG
  let r = compiled.get(c)
  if (!r) {
    const d = c.decisions
    r = {
      raisedTypes: lower(d.raised.issueTypes),
      raisedLabels: lower(d.raised.labels),
      raisedStatuses: lower(d.raised.statuses),
      escalatedLabels: lower(d.escalated.labels),
      escalatedStatuses: lower(d.escalated.statuses),
      decidedStatuses: lower(d.decided.statuses),
      rejectedStatuses: lower(d.rejected.statuses),
      withdrawnStatuses: lower(d.withdrawn.statuses),
      outwardPhrases: lower(c.blocking.linkTypes.map((t) => t.outward)),
      inwardPhrases: lower(c.blocking.linkTypes.map((t) => t.inward)),
      linkTypeNames: lower(c.blocking.linkTypes.map((t) => t.name)),
      teams: c.teams,
      categoryOverrides: new Map(
        Object.entries(c.statusCategories).map(([k, v]) => [k.trim().toLowerCase(), v]),
      ),
      expectedDecider: d.expectedDecider,
    }
    compiled.set(c, r)
  }
  return r
}

// ---------------------------------------------------------------------------------------------
// Issue state, replayed through the changelog.

interface State {
  statusId: string
  statusName: string
  type: string
  labels: string[]
  /** accountId (or DC key/name) of the assignee */
  assignee: string | null
  /** keys of the issues this one blocks */
  blocks: Set<string>
  /** keys of the issues blocking this one */
  blockedBy: Set<string>
}

/** One changelog item, read with own-property checks: `toString` would otherwise hit Object.prototype. */
interface Item {
  field: string
  from: string | null
  fromString: string | null
  to: string | null
  toString: string | null
}

const own = (o: Record<string, unknown>, k: string): string | null => {
  if (!Object.hasOwn(o, k)) return null
  const v = o[k]
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
}

const toItem = (o: Record<string, unknown>): Item => ({
  field: (own(o, 'fieldId') ?? own(o, 'field') ?? '').toLowerCase(),
  from: own(o, 'from'),
  fromString: own(o, 'fromString'),
  to: own(o, 'to'),
  toString: own(o, 'toString'),
})

interface History {
  id: string
  author: JiraUser
  createdMs: number
  items: Item[]
}

const LINK_TEXT = /^This issue (.+) ([A-Z][A-Z0-9_]*-\d+)$/i

/** "This issue blocks ENG-2" → the other key, when the phrase is one of `phrases` */
function linkedKeyOf(text: string | null, key: string | null, phrases: Set<string>): string | null {
  if (!text) return null
  const m = LINK_TEXT.exec(text.trim())
  if (!m || !phrases.has(m[1]!.toLowerCase())) return null
  return key ?? m[2]!
}
/** the issue this one blocks, from a configured outward phrase ("blocks") */
const blockedKeyOf = (text: string | null, key: string | null, rules: Rules) =>
  linkedKeyOf(text, key, rules.outwardPhrases)
/** the issue blocking this one, from a configured inward phrase ("is blocked by") */
const blockerKeyOf = (text: string | null, key: string | null, rules: Rules) =>
  linkedKeyOf(text, key, rules.inwardPhrases)

const splitLabels = (s: string | null): string[] => (s ? s.split(/\s+/).filter(Boolean) : [])

function cloneState(s: State): State {
  return { ...s, labels: [...s.labels], blocks: new Set(s.blocks), blockedBy: new Set(s.blockedBy) }
}

function applyItem(s: State, it: Item, rules: Rules, direction: 'forward' | 'undo'): void {
  const fwd = direction === 'forward'
  switch (it.field) {
    case 'status':
      s.statusId = (fwd ? it.to : it.from) ?? s.statusId
      s.statusName = (fwd ? it.toString : it.fromString) ?? s.statusName
      return
    case 'issuetype':
      s.type = (fwd ? it.toString : it.fromString) ?? s.type
      return
    case 'labels':
      s.labels = splitLabels(fwd ? it.toString : it.fromString)
      return
    case 'assignee':
      s.assignee = fwd ? it.to : it.from
      return
    case 'link': {
      const added = blockedKeyOf(it.toString, it.to, rules)
      const removed = blockedKeyOf(it.fromString, it.from, rules)
      if (added) fwd ? s.blocks.add(added) : s.blocks.delete(added)
      if (removed) fwd ? s.blocks.delete(removed) : s.blocks.add(removed)
      const addedBy = blockerKeyOf(it.toString, it.to, rules)
      const removedBy = blockerKeyOf(it.fromString, it.from, rules)
      if (addedBy) fwd ? s.blockedBy.add(addedBy) : s.blockedBy.delete(addedBy)
      if (removedBy) fwd ? s.blockedBy.delete(removedBy) : s.blockedBy.add(removedBy)
      return
    }
  }
}

function stateAfter(s: State, h: History, rules: Rules): State {
  const next = cloneState(s)
  for (const it of h.items) applyItem(next, it, rules, 'forward')
  return next
}

function stateBefore(s: State, h: History, rules: Rules): State {
  const prev = cloneState(s)
  for (const it of [...h.items].reverse()) applyItem(prev, it, rules, 'undo')
  return prev
}

// ---------------------------------------------------------------------------------------------
// The issue as the mapper sees it: identity, team, current state.

interface IssueView {
  id: string
  key: string
  project: string
  /** the epic (epic-link field, else parent key), '' when neither is in the payload */
  epic: string
  summary: string
  team: string
  raisedBy: string
  creatorIdentity: string | undefined
  /** who is expected to make the call now ('' for nobody), per `decisions.expectedDecider` */
  expectedDecider: string
  current: State
  currentCategoryKey: string | undefined
  /** accountId → email, from every user object in the payload (emails are often hidden) */
  emails: Map<string, string>
  statusCategories: Record<string, string>
  createdMs: number
  /** `jira:<blocker>/blocks/<blocked>` → Jira's id of that link, for the links the issue has now */
  linkIds: Map<string, string>
}

const iso = (ms: number): string => new Date(ms).toISOString()
const userId = (u: JiraUser): string | undefined => (u ? (u.accountId ?? u.key ?? u.name) : undefined)

function identityOf(u: JiraUser, emails: Map<string, string>): string | undefined {
  if (!u) return undefined
  if (u.emailAddress) return normaliseIdentity(u.emailAddress)
  const id = userId(u)
  if (!id) return undefined
  const email = emails.get(id)
  return email ? normaliseIdentity(email) : `jira:${id}`
}

function accountIdentity(accountId: string | null, emails: Map<string, string>): string | undefined {
  if (!accountId) return undefined
  const email = emails.get(accountId)
  return email ? normaliseIdentity(email) : `jira:${accountId}`
}

const projectOfKey = (key: string): string => key.replace(/-\d+$/, '')

const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-\d+$/

/**
 * The issue's epic: the configured epic-link custom field (company-managed projects on sites not
 * migrated to `parent`: its value is the epic's key, or on some sites an object with `key`), else
 * `fields.parent.key`, else ''.
 */
function epicOf(issue: JiraIssue, rules: Rules): string {
  if (rules.epicLinkField) {
    const raw: unknown = issue.fields[rules.epicLinkField]
    const key =
      typeof raw === 'string'
        ? raw
        : raw && typeof raw === 'object' && typeof (raw as { key?: unknown }).key === 'string'
          ? (raw as { key: string }).key
          : ''
    if (ISSUE_KEY.test(key)) return key
  }
  return issue.fields.parent?.key ?? ''
}

function teamFor(rules: Rules, project: string, components: string[]): string {
  const comps = lower(components)
  const projectMatches = (r: JiraConfig['teams'][number]) =>
    r.projects.length === 0 || r.projects.includes(project)
  const byComponent = rules.teams.find(
    (r) =>
      r.components.length > 0 && projectMatches(r) && r.components.some((c) => comps.has(c.toLowerCase())),
  )
  if (byComponent) return byComponent.team
  return rules.teams.find((r) => r.components.length === 0 && r.projects.includes(project))?.team ?? ''
}

/**
 * The issue's expected decider as it is now: its assignee, or the user in the configured
 * user-picker custom field (a multi-user picker holds a list: its first user). Jira Cloud often
 * hides `emailAddress`: the identity is then `jira:<accountId>`, resolved through identity_map.
 */
function expectedDeciderOf(issue: JiraIssue, rules: Rules, emails: Map<string, string>): string {
  const source = rules.expectedDecider
  if (source === 'none') return ''
  const raw: unknown = source === 'assignee' ? issue.fields.assignee : issue.fields[source]
  const parsed = userSchema.safeParse(Array.isArray(raw) ? raw[0] : raw)
  return (parsed.success && identityOf(parsed.data, emails)) || ''
}

function collectEmails(value: unknown, into: Map<string, string>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    for (const v of value) collectEmails(v, into, depth + 1)
    return
  }
  const o = value as Record<string, unknown>
  const id =
    typeof o.accountId === 'string'
      ? o.accountId
      : typeof o.key === 'string' && typeof o.name === 'string'
        ? o.key
        : undefined
  if (id && typeof o.emailAddress === 'string' && o.emailAddress) into.set(id, o.emailAddress)
  for (const v of Object.values(o)) collectEmails(v, into, depth + 1)
}

function viewOf(issue: JiraIssue, rules: Rules, meta: RawEnvelope['meta'], extraUsers: unknown[]): IssueView {
  const f = issue.fields
  const emails = new Map<string, string>()
  collectEmails(
    [f.reporter, f.creator, f.assignee, issue.changelog?.histories.map((h) => h.author), ...extraUsers],
    emails,
  )
  const project = f.project?.key ?? projectOfKey(issue.key)
  const blocks = new Set<string>()
  const blockedBy = new Set<string>()
  const linkIds = new Map<string, string>()
  for (const l of f.issuelinks ?? []) {
    const typeMatches =
      rules.linkTypeNames.has(l.type.name.toLowerCase()) ||
      (l.type.outward !== undefined && rules.outwardPhrases.has(l.type.outward.toLowerCase())) ||
      (l.type.inward !== undefined && rules.inwardPhrases.has(l.type.inward.toLowerCase()))
    // outwardIssue present: this issue is the link's source, i.e. it "blocks" the outward issue;
    // inwardIssue present: the inward issue blocks this one
    if (typeMatches && l.outwardIssue) blocks.add(l.outwardIssue.key)
    if (typeMatches && l.inwardIssue) blockedBy.add(l.inwardIssue.key)
    if (typeMatches && l.id !== undefined) {
      if (l.outwardIssue) linkIds.set(`jira:${issue.key}/blocks/${l.outwardIssue.key}`, l.id)
      if (l.inwardIssue) linkIds.set(`jira:${l.inwardIssue.key}/blocks/${issue.key}`, l.id)
    }
  }
  const rawCategories = meta?.statusCategories
  const statusCategories: Record<string, string> = {}
  if (rawCategories && typeof rawCategories === 'object') {
    for (const [k, v] of Object.entries(rawCategories)) if (typeof v === 'string') statusCategories[k] = v
  }
  return {
    id: issue.id,
    key: issue.key,
    project,
    epic: epicOf(issue, rules),
    summary: f.summary ?? '',
    team: teamFor(
      rules,
      project,
      (f.components ?? []).map((c) => c.name),
    ),
    raisedBy: identityOf(f.reporter, emails) ?? identityOf(f.creator, emails) ?? 'jira:anonymous',
    creatorIdentity: identityOf(f.creator, emails) ?? identityOf(f.reporter, emails),
    expectedDecider: expectedDeciderOf(issue, rules, emails),
    current: {
      statusId: f.status.id,
      statusName: f.status.name,
      type: f.issuetype?.name ?? '',
      labels: f.labels ?? [],
      assignee: userId(f.assignee) ?? null,
      blocks,
      blockedBy,
    },
    currentCategoryKey: f.status.statusCategory?.key,
    emails,
    statusCategories,
    createdMs: parseJiraTime(f.created, 'issue created'),
    linkIds,
  }
}

const JIRA_CATEGORY: Record<string, Category> = { new: 'todo', indeterminate: 'in_progress', done: 'done' }

function categoryOf(view: IssueView, rules: Rules, statusId: string, statusName: string): Category {
  const override = rules.categoryOverrides.get(statusName.trim().toLowerCase())
  if (override) return override
  const key = statusId === view.current.statusId ? view.currentCategoryKey : view.statusCategories[statusId]
  // an unknown category is most often a custom workflow status between start and finish
  return (key && Object.hasOwn(JIRA_CATEGORY, key) && JIRA_CATEGORY[key]) || 'in_progress'
}

/** whether the status's category is known (configured, the issue's own status, or in the envelope's meta) */
function categoryKnown(view: IssueView, rules: Rules, statusId: string, statusName: string): boolean {
  if (rules.categoryOverrides.has(statusName.trim().toLowerCase())) return true
  const key = statusId === view.current.statusId ? view.currentCategoryKey : view.statusCategories[statusId]
  return !!key && key in JIRA_CATEGORY
}

const finished = (c: Category): boolean => c === 'done' || c === 'cancelled'

// ---------------------------------------------------------------------------------------------
// Events.

/** a decision by what the item is: its type or a label */
const isDecisionByTag = (s: State, r: Rules): boolean =>
  r.raisedTypes.has(s.type.toLowerCase()) || s.labels.some((l) => r.raisedLabels.has(l.toLowerCase()))

/** a decision by where it is in the workflow: a needs-decision or escalated status */
const isDecisionByStatus = (s: State, r: Rules): boolean =>
  r.raisedStatuses.has(s.statusName.toLowerCase()) || r.escalatedStatuses.has(s.statusName.toLowerCase())

function isDecisionState(s: State, r: Rules): boolean {
  return isDecisionByTag(s, r) || isDecisionByStatus(s, r)
}

const hasEscalation = (s: State, r: Rules): boolean =>
  r.escalatedStatuses.has(s.statusName.toLowerCase()) ||
  s.labels.some((l) => r.escalatedLabels.has(l.toLowerCase()))

class Emitter {
  readonly events = new Map<string, CanonicalEventInput>()
  /**
   * @param completeVersion set when the issue is read whole (with its full changelog): its
   * decision steps are then one complete version (DESIGN "Decision semantics"), all carrying this
   * version, so the newest read replaces older reads' steps; unset for a webhook's single change
   */
  constructor(
    readonly view: IssueView,
    readonly rules: Rules,
    readonly completeVersion?: number,
    /** when the read reached orgpulse (ms): orders two reads of one version */
    readonly arrival = 0,
  ) {}

  get hasDecisionSteps(): boolean {
    for (const e of this.events.values()) if ('decisionId' in e) return true
    return false
  }

  /** the item is no longer a decision: its steps give way to one `decision.dropped` complete version */
  dropDecision(slot: string, version: number): void {
    for (const [id, e] of this.events) if ('decisionId' in e) this.events.delete(id)
    this.add({
      ...this.decisionBase(version),
      id: this.issueId(`decision.dropped:${slot}`),
      type: 'decision.dropped',
      version,
      complete: true,
    })
  }

  private add(e: CanonicalEventInput): void {
    // one history can justify the same event twice (a link added while already done): keep one
    this.events.set(e.id, e)
  }

  private issueId(slot: string): string {
    return eventId('jira', `issue:${this.view.id}`, slot)
  }

  linkId(blocker: string, blocked: string): string {
    return `jira:${blocker}/blocks/${blocked}`
  }

  status(
    slot: string,
    ms: number,
    from: string,
    to: string,
    category: Category,
    actor: string | undefined,
  ): void {
    const v = this.view
    this.add({
      id: this.issueId(`status:${slot}`),
      type: 'workitem.status_changed',
      source: 'jira',
      sourceId: v.key,
      occurredAt: iso(ms),
      version: ms,
      itemId: `jira:${v.key}`,
      team: v.team,
      project: v.project,
      epic: v.epic,
      fromStatus: from,
      toStatus: to,
      category,
      ...(actor ? { actor } : {}),
    })
  }

  private decisionBase(ms: number) {
    const v = this.view
    return {
      source: 'jira' as const,
      sourceId: v.key,
      occurredAt: iso(ms),
      version: this.completeVersion ?? ms,
      complete: this.completeVersion !== undefined,
      arrival: this.arrival,
      decisionId: `jira:${v.key}`,
      raisedBy: v.raisedBy,
      title: v.summary,
      team: v.team,
      project: v.project,
      epic: v.epic,
      expectedDecider: v.expectedDecider,
    }
  }

  raised(slot: string, ms: number, labels: string[]): void {
    this.add({
      ...this.decisionBase(ms),
      id: this.issueId(`decision.raised:${slot}`),
      type: 'decision.raised',
      tags: labels,
    })
  }

  escalated(slot: string, ms: number, to: string[], actor: string | undefined): void {
    this.add({
      ...this.decisionBase(ms),
      id: this.issueId(`decision.escalated:${slot}`),
      type: 'decision.escalated',
      escalatedTo: to,
      ...(actor ? { actor } : {}),
    })
  }

  call(slot: string, ms: number, type: 'decision.decided' | 'decision.rejected', actor: string): void {
    this.add({ ...this.decisionBase(ms), id: this.issueId(`decision.call:${slot}`), type, actor })
  }

  withdrawn(slot: string, ms: number, actor: string | undefined): void {
    this.add({
      ...this.decisionBase(ms),
      id: this.issueId(`decision.withdrawn:${slot}`),
      type: 'decision.withdrawn',
      ...(actor ? { actor } : {}),
    })
  }

  private linkBase(blocker: string, blocked: string, ms: number, blockerTeam: string, blockedTeam: string) {
    return {
      source: 'jira' as const,
      sourceId: this.view.key,
      occurredAt: iso(ms),
      version: ms,
      linkId: this.linkId(blocker, blocked),
      blockerItem: `jira:${blocker}`,
      blockedItem: `jira:${blocked}`,
      blockerTeam,
      blockedTeam,
      // the blocked item's bet: this issue's project and epic when it is the blocked one, else the
      // project its key names (the other issue's epic is not in this payload)
      project: blocked === this.view.key ? this.view.project : projectOfKey(blocked),
      epic: blocked === this.view.key ? this.view.epic : '',
    }
  }

  /** this issue blocks `blocked` */
  linked(blocked: string, slot: string, ms: number): void {
    const v = this.view
    const base = this.linkBase(v.key, blocked, ms, v.team, teamFor(this.rules, projectOfKey(blocked), []))
    this.add({ ...base, id: eventId('jira', base.linkId, `linked:${slot}`), type: 'dependency.linked' })
  }

  /**
   * `blocker` blocks this issue, as recorded on this (the blocked) issue: keyed by this side's
   * history (`in:`), or by what both sides share (`shared`: the Jira link id)
   */
  linkedBy(blocker: string, slot: string, ms: number, shared = false): void {
    const v = this.view
    const base = this.linkBase(blocker, v.key, ms, teamFor(this.rules, projectOfKey(blocker), []), v.team)
    const key = shared ? `linked:${slot}` : `linked:in:${slot}`
    this.add({ ...base, id: eventId('jira', base.linkId, key), type: 'dependency.linked' })
  }

  resolved(
    blocker: string,
    blocked: string,
    slot: string,
    ms: number,
    reason: 'unlinked' | 'blocker_done' | 'blocked_closed',
  ): void {
    const v = this.view
    const blockerTeam = blocker === v.key ? v.team : teamFor(this.rules, projectOfKey(blocker), [])
    const blockedTeam = blocked === v.key ? v.team : teamFor(this.rules, projectOfKey(blocked), [])
    const base = this.linkBase(blocker, blocked, ms, blockerTeam, blockedTeam)
    this.add({
      ...base,
      id: eventId('jira', base.linkId, `resolved:${slot}`),
      type: 'dependency.resolved',
      reason,
    })
  }
}

/** What the issue's creation implies: its first status, a decision raised by type/label, links made at creation. */
function creationEvents(em: Emitter, initial: State): void {
  const { view, rules } = em
  const ms = view.createdMs
  em.status(
    'created',
    ms,
    '',
    initial.statusName,
    categoryOf(view, rules, initial.statusId, initial.statusName),
    view.creatorIdentity,
  )
  if (isDecisionState(initial, rules)) em.raised('created', ms, initial.labels)
  // A link no history explains (made with the issue, or on a site whose changelog records no
  // links) is dated by the issue's creation. When it exists still, it is keyed by its Jira id, as
  // its issuelink_created delivery is: both sides and the delivery write one row, whose newest
  // version wins (the delivery's real time, else the later of the two issues' creations).
  for (const blocked of initial.blocks) {
    const id = view.linkIds.get(em.linkId(view.key, blocked))
    em.linked(blocked, id ? `link:${id}` : 'created', ms)
  }
  for (const blocker of initial.blockedBy) {
    const id = view.linkIds.get(em.linkId(blocker, view.key))
    if (id) em.linkedBy(blocker, `link:${id}`, ms, true)
    else em.linkedBy(blocker, 'created', ms)
  }
}

/** The rules for one changelog history, identical for the poll replay and a webhook. */
function historyEvents(em: Emitter, h: History, before: State, after: State, wasDecision: boolean): void {
  const { view, rules } = em
  const ms = h.createdMs
  const slot = h.id
  const actor = identityOf(h.author, view.emails)
  const statusChanged = h.items.some((i) => i.field === 'status')
  const beforeCat = categoryOf(view, rules, before.statusId, before.statusName)
  const afterCat = categoryOf(view, rules, after.statusId, after.statusName)

  if (statusChanged) em.status(slot, ms, before.statusName, after.statusName, afterCat, actor)

  // decision lifecycle
  const isDecisionNow = isDecisionState(after, rules)
  if (isDecisionNow && !isDecisionState(before, rules)) em.raised(slot, ms, after.labels)
  const decision = wasDecision || isDecisionNow
  if (decision) {
    if (hasEscalation(after, rules) && !hasEscalation(before, rules)) {
      // escalated to whoever holds it after the change; the escalating person when nobody does
      const to = accountIdentity(after.assignee, view.emails) ?? actor
      if (to) em.escalated(slot, ms, [to], actor)
    }
    const st = after.statusName.toLowerCase()
    const entered = (set: Set<string>) => set.has(st) && !set.has(before.statusName.toLowerCase())
    if (actor && entered(rules.decidedStatuses)) em.call(slot, ms, 'decision.decided', actor)
    else if (actor && entered(rules.rejectedStatuses)) em.call(slot, ms, 'decision.rejected', actor)
    else if (entered(rules.withdrawnStatuses)) em.withdrawn(slot, ms, actor)
  }

  // dependencies, from the blocker's side
  for (const it of h.items) {
    if (it.field !== 'link') continue
    const added = blockedKeyOf(it.toString, it.to, rules)
    const removed = blockedKeyOf(it.fromString, it.from, rules)
    if (added) {
      em.linked(added, slot, ms)
      if (finished(afterCat)) em.resolved(view.key, added, slot, ms, 'blocker_done')
    }
    if (removed) em.resolved(view.key, removed, slot, ms, 'unlinked')
    // the same link recorded on the blocked issue
    const addedBy = blockerKeyOf(it.toString, it.to, rules)
    const removedBy = blockerKeyOf(it.fromString, it.from, rules)
    if (addedBy) em.linkedBy(addedBy, slot, ms)
    if (removedBy) em.resolved(removedBy, view.key, `in:${slot}`, ms, 'unlinked')
  }
  if (statusChanged && finished(afterCat) && !finished(beforeCat)) {
    for (const blocked of after.blocks) em.resolved(view.key, blocked, slot, ms, 'blocker_done')
  }
  // a reopened blocker blocks again. A webhook names the previous status by id only, without its
  // category (its envelope has no status categories): when that status's category is unknown, the
  // blocker not done after the change means its links are open, which a link already open ignores
  const beforeKnown = categoryKnown(view, rules, before.statusId, before.statusName)
  if (statusChanged && !finished(afterCat) && (finished(beforeCat) || !beforeKnown)) {
    for (const blocked of after.blocks) em.linked(blocked, slot, ms)
  }
}

function histories(raw: z.infer<typeof historySchema>[]): History[] {
  return raw
    .map((h) => ({
      id: h.id,
      author: h.author,
      createdMs: parseJiraTime(h.created, `history ${h.id}`),
      items: h.items.map(toItem),
    }))
    .sort((a, b) => a.createdMs - b.createdMs || Number(a.id) - Number(b.id) || a.id.localeCompare(b.id))
}

function mapIssue(envelope: RawEnvelope, rules: Rules): CanonicalEventInput[] {
  const parsed = issueSchema.safeParse(envelope.payload)
  if (!parsed.success) throw new RejectedRecord(`invalid Jira issue: ${issuesText(parsed.error)}`)
  const issue = parsed.data
  if (!issue.changelog) {
    throw new RejectedRecord(
      `Jira issue ${issue.key} has no changelog: the connector publishes issues with their full changelog`,
    )
  }
  const view = viewOf(issue, rules, envelope.meta, [])
  const hs = histories(issue.changelog.histories)
  let state = view.current
  for (const h of [...hs].reverse()) state = stateBefore(state, h, rules)
  const version = readVersion(issue, view, hs)
  const em = new Emitter(view, rules, version, arrivalOf(envelope))
  creationEvents(em, state)
  let wasDecision = isDecisionState(state, rules)
  let everByStatus = isDecisionByStatus(state, rules)
  for (const h of hs) {
    const after = stateAfter(state, h, rules)
    historyEvents(em, h, state, after, wasDecision)
    wasDecision ||= isDecisionState(after, rules)
    everByStatus ||= isDecisionByStatus(after, rules)
    state = after
  }
  // A decision by workflow stays one (moving on from "Needs decision" is the call being made);
  // a decision only by its type or label stops being one when they are removed, and all its
  // steps stop counting (DESIGN: the newest version wins as a whole).
  if (em.hasDecisionSteps && !everByStatus && !isDecisionByTag(view.current, rules))
    em.dropDecision('read', version)
  return [...em.events.values()]
}

/** The version of an issue read whole: when it last changed (Jira's `updated`, else its newest history). */
function readVersion(issue: JiraIssue, view: IssueView, hs: History[]): number {
  const newest = Math.max(view.createdMs, ...hs.map((h) => h.createdMs))
  const updated = issue.fields.updated ? parseJiraTime(issue.fields.updated, 'issue updated') : newest
  return Math.max(updated, newest)
}

function mapWebhook(envelope: RawEnvelope, rules: Rules): CanonicalEventInput[] {
  const parsed = webhookSchema.safeParse(envelope.payload)
  if (!parsed.success) throw new RejectedRecord(`invalid Jira webhook: ${issuesText(parsed.error)}`)
  const w = parsed.data
  switch (w.webhookEvent) {
    case 'jira:issue_created': {
      if (!w.issue) throw new RejectedRecord('jira:issue_created webhook without an issue')
      const view = viewOf(w.issue, rules, envelope.meta, [w.user])
      const em = new Emitter(view, rules)
      creationEvents(em, view.current)
      return [...em.events.values()]
    }
    case 'jira:issue_updated': {
      if (!w.issue) throw new RejectedRecord('jira:issue_updated webhook without an issue')
      // updates without a changelog (comments, worklogs) change nothing we measure
      if (!w.changelog) return []
      const view = viewOf(w.issue, rules, envelope.meta, [w.user])
      const h: History = {
        id: w.changelog.id,
        author: w.user,
        createdMs: changeTime(w.issue, w.timestamp),
        items: w.changelog.items.map(toItem),
      }
      const before = stateBefore(view.current, h, rules)
      const em = new Emitter(view, rules)
      historyEvents(em, h, before, view.current, isDecisionState(before, rules))
      // its decision type or label removed: as of this change it is no longer a decision (a
      // decision by workflow status stays one; the next full read settles any doubt)
      const after = view.current
      if (
        isDecisionByTag(before, rules) &&
        !isDecisionByTag(after, rules) &&
        !isDecisionByStatus(before, rules) &&
        !isDecisionByStatus(after, rules)
      )
        em.dropDecision(h.id, h.createdMs)
      return [...em.events.values()]
    }
    case 'jira:issue_deleted': {
      if (!w.issue) throw new RejectedRecord('jira:issue_deleted webhook without an issue')
      return deletionEvents(w.issue, w.user, w.timestamp, rules, envelope.meta)
    }
    case 'issuelink_created':
    case 'issuelink_deleted':
      return issueLinkEvents(envelope, w.webhookEvent, w.timestamp, rules)
    default:
      return []
  }
}

const linkSideSchema = z.looseObject({
  key: z.string(),
  project: z.string(),
  components: z.array(z.string()),
  history: z.looseObject({ id: idLike, created: z.string() }).optional(),
  status: z.looseObject({ id: idLike, name: z.string(), categoryKey: z.string().optional() }).optional(),
})
const linkSidesSchema = z.looseObject({ source: linkSideSchema, destination: linkSideSchema })
const issueLinkEventSchema = z.looseObject({
  id: idLike,
  sourceIssueId: idLike,
  destinationIssueId: idLike,
  issueLinkType: z.looseObject({
    name: z.string(),
    inwardName: z.string().optional(),
    outwardName: z.string().optional(),
  }),
})

/**
 * An issue link made or removed, from `issuelink_*` (source "outward" destination: with Blocks,
 * the source blocks the destination). The delivery names issues by id; the webhook route adds
 * their keys and each side's history of the change to meta.link (connector-jira link-sides.ts).
 * The event is the one a poll (or that side's `jira:issue_updated`) yields for the side's history
 * of the change — same id, time and teams — taken from the blocker when it has that history, else
 * from the blocked issue; a site that records neither gets one event keyed by the Jira link id, at
 * the delivery's time.
 */
function issueLinkEvents(
  envelope: RawEnvelope,
  event: 'issuelink_created' | 'issuelink_deleted',
  timestamp: number,
  rules: Rules,
): CanonicalEventInput[] {
  const payload = envelope.payload as { issueLink?: unknown }
  const parsedLink = issueLinkEventSchema.safeParse(payload.issueLink)
  if (!parsedLink.success) throw new RejectedRecord(`invalid Jira ${event}: ${issuesText(parsedLink.error)}`)
  const link = parsedLink.data
  const t = link.issueLinkType
  const blocking =
    rules.linkTypeNames.has(t.name.toLowerCase()) ||
    (t.outwardName !== undefined && rules.outwardPhrases.has(t.outwardName.toLowerCase())) ||
    (t.inwardName !== undefined && rules.inwardPhrases.has(t.inwardName.toLowerCase()))
  if (!blocking) return []
  const sides = linkSidesSchema.safeParse(envelope.meta?.link)
  if (!sides.success)
    throw new RejectedRecord(
      `Jira ${event} ${link.id} (issue ${link.sourceIssueId} → ${link.destinationIssueId}): the issues' keys are not in the envelope; the webhook route reads them back from Jira, which needs the Jira credentials (and both issues gone leaves nothing to read)`,
    )
  const { source, destination } = sides.data
  const added = event === 'issuelink_created'
  // an emitter per side, each seeing the link as that side's poll does
  const emitterFor = (side: z.infer<typeof linkSideSchema>) => {
    const statusName = side.status?.name ?? ''
    const view: IssueView = {
      id: side.key,
      key: side.key,
      project: side.project,
      epic: '',
      summary: '',
      team: teamFor(rules, side.project, side.components),
      raisedBy: 'jira:anonymous',
      creatorIdentity: undefined,
      expectedDecider: '',
      current: {
        statusId: side.status?.id ?? '',
        statusName,
        type: '',
        labels: [],
        assignee: null,
        blocks: new Set(),
        blockedBy: new Set(),
      },
      currentCategoryKey: side.status?.categoryKey,
      emails: new Map(),
      statusCategories: {},
      createdMs: timestamp,
      linkIds: new Map(),
    }
    return new Emitter(view, rules)
  }
  const blockerDone = (em: Emitter): boolean =>
    source.status !== undefined &&
    categoryKnown(em.view, rules, source.status.id, source.status.name) &&
    finished(categoryOf(em.view, rules, source.status.id, source.status.name))
  // one change, one event: the blocker's record of it when it has one (a poll of the blocker
  // yields the same), else the blocked issue's, else the link id
  if (source.history) {
    const em = emitterFor(source)
    const ms = parseJiraTime(source.history.created, `history ${source.history.id}`)
    const slot = source.history.id
    if (added) {
      em.linked(destination.key, slot, ms)
      if (blockerDone(em)) em.resolved(source.key, destination.key, slot, ms, 'blocker_done')
    } else em.resolved(source.key, destination.key, slot, ms, 'unlinked')
    return [...em.events.values()]
  }
  if (destination.history) {
    const em = emitterFor(destination)
    const ms = parseJiraTime(destination.history.created, `history ${destination.history.id}`)
    const slot = destination.history.id
    if (added) em.linkedBy(source.key, slot, ms)
    else em.resolved(source.key, destination.key, `in:${slot}`, ms, 'unlinked')
    // no blocker_done here: a poll of the blocked issue, whose history this is, emits none either
    return [...em.events.values()]
  }
  const em = emitterFor(source)
  const slot = `link:${link.id}`
  if (added) {
    em.linked(destination.key, slot, timestamp)
    if (blockerDone(em)) em.resolved(source.key, destination.key, slot, timestamp, 'blocker_done')
  } else em.resolved(source.key, destination.key, slot, timestamp, 'unlinked')
  return [...em.events.values()]
}

/**
 * When the change happened. Jira stamps `fields.updated` with the change's time, the same instant
 * as the history's `created` a poll sees; the delivery `timestamp` is a few ms later. Prefer the
 * former (so both paths carry one version) unless it is clearly about another change.
 */
function changeTime(issue: JiraIssue, timestamp: number): number {
  const raw = issue.fields.updated
  if (!raw) return timestamp
  const updated = parseJiraTime(raw, 'issue updated')
  return Math.abs(updated - timestamp) <= 60_000 ? updated : timestamp
}

/** A deleted issue stops being work, stops being an open decision, and stops blocking or being blocked. */
function deletionEvents(
  issue: JiraIssue,
  user: JiraUser,
  ms: number,
  rules: Rules,
  meta: RawEnvelope['meta'],
): CanonicalEventInput[] {
  const view = viewOf(issue, rules, meta, [user])
  const em = new Emitter(view, rules)
  const actor = identityOf(user, view.emails)
  const s = view.current
  em.status('deleted', ms, s.statusName, 'Deleted', 'cancelled', actor)
  const st = s.statusName.toLowerCase()
  const called =
    rules.decidedStatuses.has(st) || rules.rejectedStatuses.has(st) || rules.withdrawnStatuses.has(st)
  if (isDecisionState(s, rules) && !called) em.withdrawn('deleted', ms, actor)
  for (const blocked of s.blocks) em.resolved(view.key, blocked, 'deleted', ms, 'unlinked')
  for (const l of issue.fields.issuelinks ?? []) {
    const typeMatches =
      rules.linkTypeNames.has(l.type.name.toLowerCase()) ||
      (l.type.inward !== undefined && rules.inwardPhrases.has(l.type.inward.toLowerCase()))
    // deleting an issue deletes its links: the link is removed, not merely its blocked item closed
    if (typeMatches && l.inwardIssue) em.resolved(l.inwardIssue.key, view.key, 'in:deleted', ms, 'unlinked')
  }
  return [...em.events.values()]
}

function issuesText(error: z.ZodError): string {
  return formatIssues(error).join('; ')
}

export const mapJira: Mapper = (envelope, ctx) => {
  const epicLinkField = ctx.config.portfolio?.jira.epicLinkField
  const base = rulesFor(ctx.config.jira)
  const rules = epicLinkField ? { ...base, epicLinkField } : base
  switch (envelope.entity) {
    case 'issue':
      return mapIssue(envelope, rules)
    case 'webhook':
      return mapWebhook(envelope, rules)
    case 'deletion':
      return mapDeletion(envelope)
    case 'sprint':
      return mapSprint(envelope, {
        teamOf: (project) => teamFor(rules, project, []),
        isDone: (_id, name, key) => {
          const override = rules.categoryOverrides.get(name.trim().toLowerCase())
          return override ? override === 'done' : key === 'done'
        },
      })
    default:
      throw new RejectedRecord(
        `unknown Jira entity "${envelope.entity}" (expected issue, webhook, deletion or sprint)`,
      )
  }
}
