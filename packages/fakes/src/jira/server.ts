import { createHmac, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JqlError, parseJql } from './jql.ts'
import { type AdminWebhook, type AdminWebhookState, adminWebhookRoute } from './webhooks-admin.ts'

/**
 * A fake Jira (Cloud REST v3, or Data Center REST v2) built from Atlassian's documented shapes:
 * enhanced JQL search with nextPageToken/isLast and no totals (the old /search answers 410 on
 * Cloud), approximate count, changelogs per issue (startAt/maxResults/total/isLast/values) and in
 * bulk (issueChangeLogs/changeHistories/nextPageToken), `expand=changelog` truncated to 20
 * histories, issuelinks with type {name, inward, outward} and inwardIssue/outwardIssue,
 * basic/bearer auth answering 401 with errorMessages, and injectable 429/503 with Retry-After.
 * Jira Software's Agile API: boards by project and type, a board's sprints by state, a sprint's
 * issues (startAt/maxResults capped at 50; isLast on boards and sprints, total on issues).
 *
 * Mutations (transition, label, assign, link, unlink, delete, moveToSprint and closeSprint's
 * carry-over, as Sprint field changes with comma-separated ids) write changelog histories exactly as
 * Jira records them, and return the webhook payload Jira would deliver for that change, so tests
 * can send "the same change" by webhook and by poll; link changes return what the site's
 * `linkEvents` mode delivers (issuelink_* and/or issue_updated, with or without a Link history).
 * The bulk changelog sends `created` as epoch ms, as its published example does; the other
 * changelog endpoints the string form. Checked against Jira's OpenAPI schemas (as jira.js ships
 * them) in packages/connector-jira/test/fake-contract.test.ts.
 */

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done'

export interface FakeUser {
  accountId: string
  displayName: string
  /** omit to model a user whose email Jira hides */
  emailAddress?: string
}

export interface FakeStatus {
  id: string
  name: string
  category: StatusCategoryKey
}

export interface FakeIssueSeed {
  key: string
  type?: string
  summary?: string
  status?: string
  labels?: string[]
  components?: string[]
  reporter: string
  assignee?: string | null
  /**
   * user-picker custom fields (single user), field id → account id, e.g. `{customfield_10050:
   * '5b10…'}`: rendered as a User object under the field id, as Jira Cloud's issue `fields` carry
   * custom fields (jira.js `IssueFieldsInput`'s `customfield_${string}` index)
   */
  userFields?: Record<string, string | null>
  /**
   * the parent issue's key (an epic, or a sub-task's parent): rendered as REST v3's
   * `fields.parent` {id, key, self, fields: {summary, status, issuetype}}, the field Atlassian
   * standardised epics on (replacing the Epic Link custom field)
   */
  parent?: string
  /** other custom fields, field id → raw value (e.g. a legacy Epic Link `customfield_10014: 'ENG-1'`) */
  customFields?: Record<string, unknown>
  /** ISO time; default: the fake's clock */
  created?: string
}

export interface FakeJiraSeed {
  flavor?: 'cloud' | 'datacenter'
  /** cloud: basic auth email + API token; datacenter: bearer PAT */
  credentials?: { email: string; token: string } | { pat: string }
  /** the searching user's time zone: JQL dates are read in it */
  timeZone?: string
  users: FakeUser[]
  statuses?: FakeStatus[]
  projects: { key: string; name?: string }[]
  linkTypes?: { name: string; inward: string; outward: string }[]
  issues?: FakeIssueSeed[]
  /** Jira Software boards (the Agile API); scrum boards carry sprints */
  boards?: { id: number; name: string; project: string; type?: 'scrum' | 'kanban' }[]
  /** the fake's clock (ms); default Date.now */
  now?: () => number
  /** whether the credential is a Jira administrator (admin webhooks need one); default true */
  siteAdmin?: boolean
  /**
   * Which webhooks a link change fires (`deliveries` of link/unlink). `both` (default):
   * `issuelink_created`/`_deleted` and each issue's `jira:issue_updated` with its Link item.
   * `issuelink`: only `issuelink_*`, as Jira Server/DC documents linking (a Link changelog item is
   * recorded on both issues, which polls see, but no issue-updated event fires: Jira Server/Data
   * Center's webhook documentation, as issue 16 quotes it; unverified for Cloud).
   * `issuelink-unrecorded`: only `issuelink_*`, and no Link changelog item either (a site whose
   * changelog does not record links: polls see only the links that exist, in `issuelinks`).
   */
  linkEvents?: LinkEvents
  /** the site's points budget; none (unlimited) by default */
  rateLimit?: FakeRateLimit
}

/**
 * Jira Cloud's points-based quota as https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
 * documents it: every request costs a base 1 point plus 1 per object it returns (here: the issues
 * of a search or bulk fetch, the issues of a bulk changelog page, the values of a changelog or
 * Agile page), writes only the base; the quota is per hour and resets at the top of the hour,
 * which X-RateLimit-Reset gives as an ISO 8601 time. Every response carries X-RateLimit-Limit /
 * -Remaining / -Reset (and X-RateLimit-NearLimit when under a fifth is left), plus the IETF
 * draft's Beta-RateLimit-Policy / Beta-RateLimit pair, as a real tenant-app quota answers
 * (`"tenant-app-quota";q=100100;w=3600` quoted from a live site in
 * https://community.developer.atlassian.com/t/2026-point-based-rate-limits/97828). A request
 * the remaining points cannot pay is refused with 429, Retry-After (seconds to the reset) and
 * RateLimit-Reason: jira-quota-tenant-based, and counted as over budget.
 */
export interface FakeRateLimit {
  /** points per window; default unlimited (only the burst limit, when set) */
  points?: number
  /**
   * the per-second burst limit the same page documents (per tenant, endpoint and HTTP method; the
   * only limit API-token traffic has): a token bucket of `perSecond` tokens refilled continuously;
   * an empty bucket answers 429, RateLimit-Reason: jira-burst-based, Retry-After
   */
  burst?: { perSecond: number }
  /** default one hour; a bench compresses it to seconds */
  windowMs?: number
  /** epoch ms the windows are counted from; default 0 (an hour window starts on the hour) */
  origin?: number
}

export interface FakeRateLimitStats {
  limit: number
  windowMs: number
  origin: number
  /** points spent per window index ((t − origin) / windowMs, floored) */
  spentByWindow: Map<number, number>
  /** requests answered 429 because the budget could not pay for them */
  overBudget: number
  /** requests answered 429 by the burst limit */
  overBurst: number
  /** points of the requests answered */
  spent: number
}

export type LinkEvents = 'both' | 'issuelink' | 'issuelink-unrecorded'

export interface LinkChange {
  issueLink: WebhookPayload
  /**
   * the blocker's and the blocked issue's jira:issue_updated, whether or not the mode delivers
   * them (reading them throws in `issuelink-unrecorded`: without a history there is none)
   */
  blocker: WebhookPayload
  blocked: WebhookPayload
  /** what Jira delivers for this change in the fake's (or the call's) `linkEvents` mode, in order */
  deliveries: WebhookPayload[]
}

export const DEFAULT_STATUSES: FakeStatus[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'Needs Decision', category: 'new' },
  { id: '10002', name: 'Escalated', category: 'indeterminate' },
  { id: '10003', name: 'Decided', category: 'done' },
  { id: '10004', name: 'Rejected', category: 'done' },
  { id: '10005', name: 'Done', category: 'done' },
]

interface Item {
  field: string
  fieldtype: string
  fieldId?: string
  from: string | null
  fromString: string | null
  to: string | null
  toString: string | null
}

interface History {
  id: string
  authorId: string
  createdMs: number
  items: Item[]
}

interface Link {
  id: string
  type: { id: string; name: string; inward: string; outward: string }
  /** source "outward" destination: the source blocks the destination */
  sourceKey: string
  destinationKey: string
}

interface Issue {
  id: string
  key: string
  project: string
  type: string
  summary: string
  statusId: string
  labels: string[]
  components: string[]
  reporter: string
  creator: string
  assignee: string | null
  userFields: Record<string, string | null>
  parent: string | null
  customFields: Record<string, unknown>
  createdMs: number
  updatedMs: number
  histories: History[]
  /** the Sprint field: ids of the sprints the issue is in (closed ones stay, as in Jira) */
  sprints: number[]
}

interface Sprint {
  id: number
  boardId: number
  name: string
  state: 'future' | 'active' | 'closed'
  startMs?: number
  endMs?: number
  completeMs?: number
  createdMs: number
}

export interface RequestRecord {
  method: string
  path: string
  status: number
  at: number
}

export interface Fault {
  status: 429 | 503 | 500 | 401 | 403 | 404
  /** seconds; sent as Retry-After */
  retryAfter?: number
  /** only requests whose path matches */
  match?: RegExp
}

export interface ChangeOptions {
  by: string
  /** ms; default the fake's clock */
  at?: number
}

export interface WebhookPayload {
  timestamp: number
  webhookEvent: string
  [k: string]: unknown
}

export interface FakeJira {
  url: string
  flavor: 'cloud' | 'datacenter'
  requests: RequestRecord[]
  /** the points budget's accounts, when the site has one */
  rateLimit: FakeRateLimitStats | undefined
  /** requests whose path starts with the prefix (and method, when given) */
  count(pathPrefix: string, method?: string): number
  /** the next `times` matching requests answer with the fault */
  failNext(times: number, fault: Fault): void
  createIssue(seed: FakeIssueSeed, opts?: Partial<ChangeOptions>): WebhookPayload
  transition(key: string, status: string, opts: ChangeOptions): WebhookPayload
  setLabels(key: string, labels: string[], opts: ChangeOptions): WebhookPayload
  assign(key: string, accountId: string | null, opts: ChangeOptions): WebhookPayload
  /** sets a user-picker custom field (`fieldName` is what the changelog's `field` shows) */
  setUserField(
    key: string,
    fieldId: string,
    accountId: string | null,
    opts: ChangeOptions & { fieldName?: string },
  ): WebhookPayload
  /** blocker blocks blocked; returns the issuelink_created payload and both issues' issue_updated payloads */
  link(
    blocker: string,
    blocked: string,
    opts: ChangeOptions & { type?: string; events?: LinkEvents },
  ): LinkChange
  unlink(blocker: string, blocked: string, opts: ChangeOptions & { events?: LinkEvents }): LinkChange
  deleteIssue(key: string, opts: ChangeOptions): WebhookPayload
  /** a future sprint on a board; returns its id */
  createSprint(boardId: number, name: string, opts?: { at?: number }): number
  startSprint(id: number, opts: { at: number; endAt: number }): void
  /** closes the sprint; its unfinished issues move to `moveOpenTo` (or the backlog), as Jira's dialog does */
  closeSprint(id: number, opts: ChangeOptions & { moveOpenTo?: number }): void
  /** puts an issue in a sprint (null: the backlog), recording the Sprint change in its changelog */
  moveToSprint(key: string, sprintId: number | null, opts: ChangeOptions): WebhookPayload
  /** POSTs a payload as Jira would: signed with the secret, with a delivery id */
  deliver(
    url: string,
    payload: WebhookPayload,
    opts: { secret: string; deliveryId?: string; signature?: string },
  ): Promise<Response>
  issueKeys(): string[]
  /** the admin webhooks registered through /rest/webhooks/1.0/webhook, secrets included */
  adminWebhooks(): AdminWebhook[]
  /** an administrator pausing (or resuming) a webhook in Jira's admin page */
  setAdminWebhookEnabled(id: number, enabled: boolean): void
  /** delivers a payload to every enabled admin webhook, signed with its own secret, as Jira does */
  deliverToRegistered(payload: WebhookPayload): Promise<Response[]>
  close(): Promise<void>
}

const unquoteKey = (k: string): string => k.trim().replace(/^["']|["']$/g, '')
const jiraTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000')

export async function startFakeJira(seed: FakeJiraSeed): Promise<FakeJira> {
  const flavor = seed.flavor ?? 'cloud'
  const api = flavor === 'cloud' ? '3' : '2'
  const credentials =
    seed.credentials ??
    (flavor === 'cloud' ? { email: 'bot@example.com', token: 'api-token' } : { pat: 'pat-token' })
  const timeZone = seed.timeZone ?? 'UTC'
  const now = seed.now ?? Date.now
  const users = new Map(seed.users.map((u) => [u.accountId, u]))
  const statuses = seed.statuses ?? DEFAULT_STATUSES
  const projects = new Map(
    seed.projects.map((p, i) => [p.key, { id: String(10000 + i), key: p.key, name: p.name ?? p.key }]),
  )
  const linkTypes = (
    seed.linkTypes ?? [
      { name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
      { name: 'Relates', inward: 'relates to', outward: 'relates to' },
    ]
  ).map((t, i) => ({ id: String(10000 + i), ...t }))
  const issues = new Map<string, Issue>()
  const links = new Map<string, Link>()
  const boards = new Map((seed.boards ?? []).map((b) => [b.id, { ...b, type: b.type ?? 'scrum' }]))
  const sprints = new Map<number, Sprint>()
  let nextSprintId = 1
  const requests: RequestRecord[] = []
  const faults: { fault: Fault; left: number }[] = []
  let nextIssueId = 10000
  let nextHistoryId = 20000
  let nextLinkId = 30000
  let baseUrl = ''
  const adminHooks: AdminWebhookState = { webhooks: new Map(), nextId: 1 }
  /** bumped by every change a search could see: a paged search re-filters only after one */
  let version = 0
  let searchCache: { jql: string; version: number; result: ReturnType<typeof runSearch> } | undefined
  const rl: FakeRateLimitStats | undefined = seed.rateLimit
    ? {
        limit: seed.rateLimit.points ?? Number.POSITIVE_INFINITY,
        windowMs: seed.rateLimit.windowMs ?? 3_600_000,
        origin: seed.rateLimit.origin ?? 0,
        spentByWindow: new Map(),
        overBudget: 0,
        overBurst: 0,
        spent: 0,
      }
    : undefined
  const burstBuckets = new Map<string, { tokens: number; at: number }>()
  /** seconds until the endpoint's bucket holds a token again, or 0 when this request may pass */
  const burstWait = (method: string, path: string): number => {
    const perSecond = seed.rateLimit?.burst?.perSecond
    if (!perSecond) return 0
    // one bucket per endpoint: ids and keys in the path name the same endpoint
    const endpoint = `${method} ${path.replace(/\/[^/]*\d[^/]*/g, '/{id}')}`
    const t = now()
    const b = burstBuckets.get(endpoint) ?? { tokens: perSecond, at: t }
    b.tokens = Math.min(perSecond, b.tokens + ((t - b.at) / 1000) * perSecond)
    b.at = t
    burstBuckets.set(endpoint, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond))
  }

  const statusByName = (name: string): FakeStatus => {
    const s = statuses.find((x) => x.name.toLowerCase() === name.toLowerCase())
    if (!s) throw new Error(`fake Jira: unknown status "${name}"`)
    return s
  }
  const statusById = (id: string): FakeStatus => statuses.find((s) => s.id === id)!
  const issueOf = (key: string): Issue => {
    const i = issues.get(key)
    if (!i) throw new Error(`fake Jira: no issue ${key}`)
    return i
  }

  // --- rendering, in Atlassian's shapes ----------------------------------------------------

  /**
   * A User as Jira renders it in issue fields (assignee, reporter, user pickers): Jira REST v3
   * `User` (jira.js `Version2Models.User` / `IssueFieldsInput.assignee`): accountId, displayName,
   * active, and `emailAddress` only when the user's profile privacy settings show it (Atlassian's
   * GDPR migration guide: "Depending on the user's privacy setting, this may be returned as null").
   */
  const renderUser = (accountId: string | null) => {
    if (!accountId) return null
    const u = users.get(accountId) ?? { accountId, displayName: accountId }
    const common = {
      self: `${baseUrl}/rest/api/${api}/user?accountId=${accountId}`,
      displayName: u.displayName,
      active: true,
    }
    const email = u.emailAddress ? { emailAddress: u.emailAddress } : {}
    return flavor === 'cloud'
      ? { ...common, accountId: u.accountId, accountType: 'atlassian', ...email, timeZone }
      : { ...common, key: u.accountId, name: u.accountId, ...email, timeZone }
  }
  const renderStatus = (id: string) => {
    const s = statusById(id)
    const cat = {
      new: { id: 2, name: 'To Do', colorName: 'blue-gray' },
      indeterminate: { id: 4, name: 'In Progress', colorName: 'yellow' },
      done: { id: 3, name: 'Done', colorName: 'green' },
    }[s.category]
    return {
      self: `${baseUrl}/rest/api/${api}/status/${s.id}`,
      id: s.id,
      name: s.name,
      statusCategory: {
        self: `${baseUrl}/rest/api/${api}/statuscategory/${cat.id}`,
        id: cat.id,
        key: s.category,
        colorName: cat.colorName,
        name: cat.name,
      },
    }
  }
  const renderLinked = (key: string) => {
    const i = issues.get(key)
    return i
      ? {
          id: i.id,
          key: i.key,
          self: `${baseUrl}/rest/api/${api}/issue/${i.id}`,
          fields: { summary: i.summary, status: renderStatus(i.statusId), issuetype: { name: i.type } },
        }
      : { key }
  }
  const renderLinks = (i: Issue) =>
    [...links.values()]
      .filter((l) => l.sourceKey === i.key || l.destinationKey === i.key)
      .map((l) => ({
        id: l.id,
        self: `${baseUrl}/rest/api/${api}/issueLink/${l.id}`,
        type: {
          id: l.type.id,
          name: l.type.name,
          inward: l.type.inward,
          outward: l.type.outward,
          self: `${baseUrl}/rest/api/${api}/issueLinkType/${l.type.id}`,
        },
        ...(l.sourceKey === i.key
          ? { outwardIssue: renderLinked(l.destinationKey) }
          : { inwardIssue: renderLinked(l.sourceKey) }),
      }))
  const renderHistory = (h: History) => ({
    id: h.id,
    author: renderUser(h.authorId),
    created: jiraTime(h.createdMs),
    items: h.items,
  })
  const allFields = (i: Issue): Record<string, unknown> => ({
    summary: i.summary,
    issuetype: { id: String(10000 + i.type.length), name: i.type, subtask: false },
    project: { ...projects.get(i.project), self: `${baseUrl}/rest/api/${api}/project/${i.project}` },
    status: renderStatus(i.statusId),
    labels: i.labels,
    components: i.components.map((name, n) => ({ id: String(10100 + n), name })),
    reporter: renderUser(i.reporter),
    creator: renderUser(i.creator),
    assignee: renderUser(i.assignee),
    ...Object.fromEntries(Object.entries(i.userFields).map(([id, user]) => [id, renderUser(user)])),
    ...i.customFields,
    ...(i.parent ? { parent: renderLinked(i.parent) } : {}),
    created: jiraTime(i.createdMs),
    updated: jiraTime(i.updatedMs),
    issuelinks: renderLinks(i),
    resolution: statusById(i.statusId).category === 'done' ? { name: 'Done' } : null,
  })
  const renderIssue = (
    i: Issue,
    fields: string[] | undefined,
    expand: string[],
    inlineHistories: number | null,
  ) => {
    const all = allFields(i)
    // enhanced search returns only the id unless fields are named; *all / *navigable give all
    const wanted =
      !fields || fields.length === 0
        ? []
        : fields.some((f) => f === '*all' || f === '*navigable')
          ? Object.keys(all)
          : fields
    const picked = Object.fromEntries(wanted.filter((f) => f in all).map((f) => [f, all[f]]))
    const out: Record<string, unknown> = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog',
      id: i.id,
      self: `${baseUrl}/rest/api/${api}/issue/${i.id}`,
      key: i.key,
      fields: picked,
    }
    if (expand.includes('changelog')) {
      const hs = inlineHistories === null ? i.histories : i.histories.slice(-inlineHistories)
      out.changelog = {
        startAt: 0,
        maxResults: hs.length,
        total: i.histories.length,
        histories: hs.map(renderHistory),
      }
    }
    return out
  }
  const issueView = (i: Issue) => ({
    key: i.key,
    project: i.project,
    type: i.type,
    status: statusById(i.statusId).name,
    updatedMs: i.updatedMs,
    createdMs: i.createdMs,
  })

  // --- mutations -----------------------------------------------------------------------------

  const record = (i: Issue, by: string, at: number, items: Item[]): History => {
    const h: History = { id: String(nextHistoryId++), authorId: by, createdMs: at, items }
    version++
    i.histories.push(h)
    i.updatedMs = Math.max(i.updatedMs, at)
    return h
  }
  const updatedWebhook = (i: Issue, h: History): WebhookPayload => ({
    timestamp: h.createdMs,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: renderUser(h.authorId),
    issue: { id: i.id, self: `${baseUrl}/rest/api/${api}/issue/${i.id}`, key: i.key, fields: allFields(i) },
    changelog: { id: h.id, items: h.items },
  })
  const create = (s: FakeIssueSeed, at: number): Issue => {
    const project = s.key.replace(/-\d+$/, '')
    if (!projects.has(project)) throw new Error(`fake Jira: unknown project ${project}`)
    const created = s.created ? Date.parse(s.created) : at
    const i: Issue = {
      id: String(nextIssueId++),
      key: s.key,
      project,
      type: s.type ?? 'Task',
      summary: s.summary ?? `Issue ${s.key}`,
      statusId: statusByName(s.status ?? 'To Do').id,
      labels: s.labels ?? [],
      components: s.components ?? [],
      reporter: s.reporter,
      creator: s.reporter,
      assignee: s.assignee ?? null,
      userFields: { ...(s.userFields ?? {}) },
      parent: s.parent ?? null,
      customFields: { ...(s.customFields ?? {}) },
      createdMs: created,
      updatedMs: created,
      histories: [],
      sprints: [],
    }
    issues.set(i.key, i)
    version++
    return i
  }
  for (const s of seed.issues ?? []) create(s, now())

  const linkItem = (otherKey: string, phrase: string, added: boolean): Item => ({
    field: 'Link',
    fieldtype: 'jira',
    from: added ? null : otherKey,
    fromString: added ? null : `This issue ${phrase} ${otherKey}`,
    to: added ? otherKey : null,
    toString: added ? `This issue ${phrase} ${otherKey}` : null,
  })
  // issue link events as documented: issueLink {id, sourceIssueId, destinationIssueId,
  // issueLinkType {id, name, outwardName, inwardName, isSubTaskLinkType, isSystemLinkType},
  // systemLink, sequence}, numeric ids, no keys and no user
  // (https://developer.atlassian.com/cloud/jira/platform/webhooks/, "Issue link events")
  const linkWebhook = (
    event: 'issuelink_created' | 'issuelink_deleted',
    l: Link,
    at: number,
  ): WebhookPayload => ({
    timestamp: at,
    webhookEvent: event,
    issueLink: {
      id: Number(l.id),
      sourceIssueId: Number(issues.get(l.sourceKey)?.id),
      destinationIssueId: Number(issues.get(l.destinationKey)?.id),
      issueLinkType: {
        id: Number(l.type.id),
        name: l.type.name,
        outwardName: l.type.outward,
        inwardName: l.type.inward,
        isSubTaskLinkType: false,
        isSystemLinkType: false,
      },
      systemLink: false,
      sequence: 0,
    },
  })

  const modeOf = (events: LinkEvents | undefined): LinkEvents => events ?? seed.linkEvents ?? 'both'
  /** the link change recorded in both issues' changelogs (unless the mode records none) */
  const linkChange = (
    issueLink: WebhookPayload,
    mode: LinkEvents,
    a: Issue,
    b: Issue,
    by: string,
    at: number,
    items: [Item, Item],
  ): LinkChange => {
    if (mode === 'issuelink-unrecorded') {
      const none = (): never => {
        throw new Error(
          'fake Jira: this site records no Link changelog, so no issue_updated exists for the change',
        )
      }
      return {
        issueLink,
        get blocker() {
          return none()
        },
        get blocked() {
          return none()
        },
        deliveries: [issueLink],
      }
    }
    const blocker = updatedWebhook(a, record(a, by, at, [items[0]]))
    const blocked = updatedWebhook(b, record(b, by, at, [items[1]]))
    return {
      issueLink,
      blocker,
      blocked,
      deliveries: mode === 'issuelink' ? [issueLink] : [issueLink, blocker, blocked],
    }
  }

  // --- HTTP ----------------------------------------------------------------------------------

  const objectsIn = (body: unknown): number => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return 0
    const b = body as Record<string, unknown>
    for (const k of ['issues', 'issueChangeLogs', 'values'])
      if (Array.isArray(b[k])) return (b[k] as unknown[]).length
    return 0
  }
  /** charges an answer to the budget: the headers to send, and whether it is refused instead */
  const charge = (
    method: string,
    status: number,
    body: unknown,
  ): { headers: Record<string, string>; refuse: boolean } => {
    if (!rl || !Number.isFinite(rl.limit)) return { headers: {}, refuse: false }
    const t = now()
    const w = Math.floor((t - rl.origin) / rl.windowMs)
    const resetMs = rl.origin + (w + 1) * rl.windowMs
    const spent = rl.spentByWindow.get(w) ?? 0
    // reads (searches and bulk fetches are POSTs) pay for the objects they return; writes the base
    const write = method === 'PUT' || method === 'DELETE'
    const cost = status < 400 ? 1 + (write ? 0 : objectsIn(body)) : 0
    const refuse = status < 400 && cost > rl.limit - spent
    if (!refuse && cost > 0) {
      rl.spentByWindow.set(w, spent + cost)
      rl.spent += cost
    }
    if (refuse) rl.overBudget++
    const remaining = rl.limit - (rl.spentByWindow.get(w) ?? 0)
    const secondsLeft = Math.max(1, Math.ceil((resetMs - t) / 1000))
    return {
      refuse,
      headers: {
        'x-ratelimit-limit': String(rl.limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': new Date(resetMs).toISOString(),
        ...(remaining < rl.limit / 5 ? { 'x-ratelimit-nearlimit': 'true' } : {}),
        'beta-ratelimit-policy': `"tenant-app-quota";q=${rl.limit};w=${Math.round(rl.windowMs / 1000)}`,
        'beta-ratelimit': `"tenant-app-quota";r=${remaining};t=${secondsLeft}`,
        ...(refuse
          ? { 'retry-after': String(secondsLeft), 'ratelimit-reason': 'jira-quota-tenant-based' }
          : {}),
      },
    }
  }
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const budget = charge(res.req?.method ?? 'GET', status, body)
    if (budget.refuse) {
      res.writeHead(429, { 'content-type': 'application/json;charset=UTF-8', ...budget.headers })
      res.end(JSON.stringify({ errorMessages: ['Rate limit exceeded.'], errors: {} }))
      return
    }
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers, ...budget.headers })
    res.end(JSON.stringify(body))
  }
  const errors = (res: ServerResponse, status: number, ...messages: string[]) =>
    send(res, status, { errorMessages: messages, errors: {} })

  const authorised = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? ''
    if ('pat' in credentials) return h === `Bearer ${credentials.pat}`
    return h === `Basic ${Buffer.from(`${credentials.email}:${credentials.token}`).toString('base64')}`
  }

  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  }

  const runSearch = (jql: string) => {
    const parsed = parseJql(jql, { timeZone, knownProjects: new Set(projects.keys()) })
    return {
      parsed,
      matched: [...issues.values()]
        .filter((i) => parsed.filter(issueView(i)))
        .sort((a, b) => parsed.compare(issueView(a), issueView(b))),
    }
  }
  const search = (jql: string) => {
    if (searchCache?.jql !== jql || searchCache.version !== version)
      searchCache = { jql, version, result: runSearch(jql) }
    return searchCache.result
  }
  const listParam = (v: unknown): string[] | undefined =>
    v === undefined || v === null
      ? undefined
      : Array.isArray(v)
        ? v.map(String)
        : String(v)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
  const token = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url')
  const offsetOf = (t: unknown): number =>
    typeof t === 'string' && t ? (JSON.parse(Buffer.from(t, 'base64url').toString()) as { o: number }).o : 0

  // --- Jira Software Agile API: startAt/maxResults (capped at 50), isLast; sprints have no total ---

  const agileTime = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())
  const renderSprint = (sp: Sprint) => ({
    id: sp.id,
    self: `${baseUrl}/rest/agile/1.0/sprint/${sp.id}`,
    state: sp.state,
    name: sp.name,
    ...(sp.startMs !== undefined ? { startDate: agileTime(sp.startMs) } : {}),
    ...(sp.endMs !== undefined ? { endDate: agileTime(sp.endMs) } : {}),
    ...(sp.completeMs !== undefined ? { completeDate: agileTime(sp.completeMs) } : {}),
    createdDate: agileTime(sp.createdMs),
    originBoardId: sp.boardId,
    goal: '',
  })
  const pageOf = <T>(all: T[], query: URLSearchParams) => {
    const startAt = Number(query.get('startAt') ?? 0)
    const maxResults = Math.min(Number(query.get('maxResults') ?? 50), 50)
    const values = all.slice(startAt, startAt + maxResults)
    return { maxResults, startAt, isLast: startAt + maxResults >= all.length, values }
  }
  function agile(res: ServerResponse, path: string, query: URLSearchParams) {
    if (/^\/rest\/agile\/1\.0\/board\/?$/.test(path)) {
      const project = query.get('projectKeyOrId')
      const type = query.get('type')
      const all = [...boards.values()]
        .filter((b) => (!project || b.project === project) && (!type || b.type === type))
        .map((b) => ({
          id: b.id,
          self: `${baseUrl}/rest/agile/1.0/board/${b.id}`,
          name: b.name,
          type: b.type,
          location: { projectKey: b.project, displayName: b.project, projectTypeKey: 'software' },
        }))
      return send(res, 200, { ...pageOf(all, query), total: all.length })
    }
    const boardSprints = /^\/rest\/agile\/1\.0\/board\/(\d+)\/sprint\/?$/.exec(path)
    if (boardSprints) {
      const board = boards.get(Number(boardSprints[1]))
      if (!board) return errors(res, 404, 'Board does not exist or you do not have permission to see it.')
      if (board.type !== 'scrum') return errors(res, 400, 'The board does not support sprints')
      const states = listParam(query.get('state'))
      const all = [...sprints.values()]
        .filter((sp) => sp.boardId === board.id && (!states || states.includes(sp.state)))
        .map(renderSprint)
      return send(res, 200, pageOf(all, query))
    }
    const sprintIssues = /^\/rest\/agile\/1\.0\/sprint\/(\d+)\/issue\/?$/.exec(path)
    if (sprintIssues) {
      const id = Number(sprintIssues[1])
      if (!sprints.has(id))
        return errors(res, 404, 'Sprint does not exist or you do not have permission to see it.')
      const all = [...issues.values()].filter((i) => i.sprints.includes(id))
      const { startAt, maxResults, values } = pageOf(all, query)
      const expand = listParam(query.get('expand')) ?? []
      const fields = listParam(query.get('fields')) ?? ['*navigable']
      return send(res, 200, {
        expand: 'schema,names',
        startAt,
        maxResults,
        total: all.length,
        issues: values.map((i) => renderIssue(i, fields, expand, flavor === 'cloud' ? 20 : null)),
      })
    }
    return errors(res, 404, `fake Jira (${flavor}) has no GET ${path}`)
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET'
    const m = (re: RegExp) => re.exec(path)
    const v = `/rest/api/${api}`

    if (m(/^\/rest\/api\/[23]\/search\/?$/)) {
      if (flavor === 'cloud') {
        return errors(
          res,
          410,
          'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
        )
      }
      const body = method === 'POST' ? await readBody(req) : Object.fromEntries(query)
      // Jira validates named keys strictly unless asked not to (validateQuery: warn | none, per
      // https://docs.atlassian.com/software/jira/docs/api/REST/9.17.0/#api/2/search-searchUsingSearchRequest)
      if (body.validateQuery !== 'warn' && body.validateQuery !== 'none') {
        const named = /\b(?:key|issuekey)\s+in\s*\(([^)]*)\)/i.exec(String(body.jql ?? ''))
        const missing = (named?.[1] ?? '')
          .split(',')
          .map((k) => unquoteKey(k))
          .filter((k) => k && !issues.has(k.toUpperCase()))
        if (missing.length > 0)
          return errors(res, 400, `An issue with key '${missing[0]}' does not exist for field 'key'.`)
      }
      const { matched } = search(String(body.jql ?? ''))
      const startAt = Number(body.startAt ?? 0)
      const maxResults = Math.min(Number(body.maxResults ?? 50), 100)
      const page = matched.slice(startAt, startAt + maxResults)
      const expand = listParam(body.expand) ?? []
      return send(res, 200, {
        expand: 'schema,names',
        startAt,
        maxResults,
        total: matched.length,
        // Data Center returns the whole changelog inline
        issues: page.map((i) => renderIssue(i, listParam(body.fields) ?? ['*navigable'], expand, null)),
      })
    }
    if (flavor === 'cloud' && m(/^\/rest\/api\/3\/search\/jql\/?$/)) {
      const body = method === 'POST' ? await readBody(req) : Object.fromEntries(query)
      const { parsed, matched } = search(String(body.jql ?? ''))
      if (!parsed.bounded)
        return errors(
          res,
          400,
          'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
        )
      const offset = offsetOf(body.nextPageToken)
      const maxResults = Math.min(Number(body.maxResults ?? 50), 100)
      const page = matched.slice(offset, offset + maxResults)
      const isLast = offset + maxResults >= matched.length
      const expand = listParam(body.expand) ?? []
      return send(res, 200, {
        issues: page.map((i) => renderIssue(i, listParam(body.fields), expand, 20)),
        // like Cloud, the key is absent (not null) on the last page
        ...(isLast ? {} : { nextPageToken: token(offset + maxResults) }),
        isLast,
      })
    }
    if (flavor === 'cloud' && method === 'POST' && m(/^\/rest\/api\/3\/search\/approximate-count\/?$/)) {
      const body = await readBody(req)
      const { parsed, matched } = search(String(body.jql ?? ''))
      if (!parsed.bounded)
        return errors(
          res,
          400,
          'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
        )
      return send(res, 200, { count: matched.length })
    }
    if (flavor === 'cloud' && method === 'POST' && m(/^\/rest\/api\/3\/changelog\/bulkfetch\/?$/)) {
      const body = await readBody(req)
      const wanted = listParam(body.issueIdsOrKeys) ?? []
      if (wanted.length === 0 || wanted.length > 1000)
        return errors(res, 400, 'issueIdsOrKeys must name between 1 and 1000 issues.')
      const selected = [...issues.values()].filter((i) => wanted.includes(i.id) || wanted.includes(i.key))
      // sorted by changelog date, then issue id, oldest first
      const all = selected
        .flatMap((i) => i.histories.map((h) => ({ i, h })))
        .sort((a, b) => a.h.createdMs - b.h.createdMs || Number(a.i.id) - Number(b.i.id))
      const offset = offsetOf(body.nextPageToken)
      const maxResults = Math.min(Number(body.maxResults ?? 1000), 1000)
      const page = all.slice(offset, offset + maxResults)
      // `created` as epoch ms, not the string form the other changelog endpoints use: the
      // published example of this endpoint sends a number
      // (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-changelog-bulkfetch-post)
      const bulkHistory = (h: History) => ({ ...renderHistory(h), created: h.createdMs })
      const byIssue = new Map<string, ReturnType<typeof bulkHistory>[]>()
      for (const { i, h } of page) byIssue.set(i.id, [...(byIssue.get(i.id) ?? []), bulkHistory(h)])
      return send(res, 200, {
        issueChangeLogs: [...byIssue].map(([issueId, changeHistories]) => ({ issueId, changeHistories })),
        ...(offset + maxResults < all.length ? { nextPageToken: token(offset + maxResults) } : {}),
      })
    }
    const changelog = m(/^\/rest\/api\/[23]\/issue\/([^/]+)\/changelog\/?$/)
    if (changelog && method === 'GET' && flavor === 'cloud') {
      const i = [...issues.values()].find((x) => x.key === changelog[1] || x.id === changelog[1])
      if (!i) return errors(res, 404, 'Issue does not exist or you do not have permission to see it.')
      const startAt = Number(query.get('startAt') ?? 0)
      const maxResults = Math.min(Number(query.get('maxResults') ?? 100), 100)
      const values = i.histories.slice(startAt, startAt + maxResults).map(renderHistory)
      const isLast = startAt + maxResults >= i.histories.length
      return send(res, 200, {
        self: `${baseUrl}${v}/issue/${i.key}/changelog?maxResults=${maxResults}&startAt=${startAt}`,
        ...(isLast
          ? {}
          : {
              nextPage: `${baseUrl}${v}/issue/${i.key}/changelog?maxResults=${maxResults}&startAt=${startAt + maxResults}`,
            }),
        maxResults,
        startAt,
        total: i.histories.length,
        isLast,
        values,
      })
    }
    const issue = m(/^\/rest\/api\/[23]\/issue\/([^/]+)\/?$/)
    if (issue && method === 'GET') {
      const i = [...issues.values()].find((x) => x.key === issue[1] || x.id === issue[1])
      if (!i) return errors(res, 404, 'Issue does not exist or you do not have permission to see it.')
      const expand = listParam(query.get('expand')) ?? []
      return send(
        res,
        200,
        renderIssue(i, listParam(query.get('fields')) ?? ['*all'], expand, flavor === 'cloud' ? 20 : null),
      )
    }
    const project = m(/^\/rest\/api\/[23]\/project\/([^/]+)\/?$/)
    if (project && method === 'GET') {
      const p = projects.get(decodeURIComponent(project[1]!))
      if (!p)
        return errors(res, 404, `No project could be found with key '${decodeURIComponent(project[1]!)}'.`)
      return send(res, 200, { ...p, self: `${baseUrl}${v}/project/${p.id}`, projectTypeKey: 'software' })
    }
    // https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-link-types/#api-rest-api-3-issuelinktype-get
    if (m(/^\/rest\/api\/[23]\/issueLinkType\/?$/) && method === 'GET')
      return send(res, 200, {
        issueLinkTypes: linkTypes.map((t) => ({
          id: t.id,
          name: t.name,
          inward: t.inward,
          outward: t.outward,
          self: `${baseUrl}${v}/issueLinkType/${t.id}`,
        })),
      })
    if (m(/^\/rest\/api\/[23]\/status\/?$/) && method === 'GET')
      return send(
        res,
        200,
        statuses.map((s) => renderStatus(s.id)),
      )
    if (m(/^\/rest\/api\/[23]\/myself\/?$/) && method === 'GET') {
      const me =
        'pat' in credentials
          ? { name: 'bot', key: 'bot', displayName: 'Bot' }
          : { accountId: 'bot', emailAddress: credentials.email, displayName: 'Bot' }
      return send(res, 200, { ...me, self: `${baseUrl}${v}/myself`, active: true, timeZone })
    }
    if (path.startsWith('/rest/agile/1.0/') && method === 'GET') return agile(res, path, query)
    if (flavor === 'cloud' && method === 'POST' && m(/^\/rest\/api\/3\/issue\/bulkfetch\/?$/)) {
      // https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-bulkfetch-post
      // (BulkIssueResults in the v3 OpenAPI document): at most 100 ids or keys; issues that do
      // not exist or cannot be seen are simply left out, and are not listed in issueErrors either
      const body = await readBody(req)
      const wanted = listParam(body.issueIdsOrKeys) ?? []
      if (wanted.length === 0 || wanted.length > 100)
        return errors(res, 400, 'issueIdsOrKeys must name between 1 and 100 issues.')
      const upper = new Set(wanted.map((w) => w.toUpperCase()))
      const found = [...issues.values()]
        .filter((i) => upper.has(i.key.toUpperCase()) || upper.has(i.id))
        .sort((a, b) => Number(a.id) - Number(b.id))
      return send(res, 200, {
        expand: 'schema,names',
        issues: found.map((i) => renderIssue(i, listParam(body.fields) ?? ['*navigable'], [], 20)),
        issueErrors: [],
      })
    }
    if (
      await adminWebhookRoute(
        {
          req,
          res,
          path,
          baseUrl,
          siteAdmin: seed.siteAdmin ?? true,
          now,
          state: adminHooks,
          readBody,
          send,
        },
        'Bot',
      )
    )
      return
    return errors(res, 404, `fake Jira (${flavor}) has no ${method} ${path}`)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const entry: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      at: Date.now(),
    }
    requests.push(entry)
    res.on('finish', () => {
      entry.status = res.statusCode
    })
    const f = faults.find((x) => x.left > 0 && (!x.fault.match || x.fault.match.test(url.pathname)))
    if (f) {
      f.left--
      const headers: Record<string, string> =
        f.fault.retryAfter !== undefined ? { 'retry-after': String(f.fault.retryAfter) } : {}
      if (f.fault.status === 429) headers['x-ratelimit-reason'] = 'jira-burst-based'
      const message =
        f.fault.status === 429
          ? 'Rate limit exceeded.'
          : f.fault.status === 503
            ? 'Service unavailable.'
            : `Injected ${f.fault.status}.`
      return send(res, f.fault.status, { errorMessages: [message], errors: {} }, headers)
    }
    const burst = burstWait(entry.method, url.pathname)
    if (burst > 0) {
      rl!.overBurst++
      res.writeHead(429, {
        'content-type': 'application/json;charset=UTF-8',
        'retry-after': String(burst),
        'ratelimit-reason': 'jira-burst-based',
      })
      res.end(JSON.stringify({ errorMessages: ['Rate limit exceeded.'], errors: {} }))
      return
    }
    if (!authorised(req))
      return errors(res, 401, 'You are not authenticated. Authentication required to perform this operation.')
    route(req, res, url.pathname, url.searchParams).catch((err: unknown) => {
      if (err instanceof JqlError) errors(res, 400, err.message)
      else errors(res, 500, String((err as Error).message))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const change = (
    key: string,
    opts: ChangeOptions,
    items: Item[],
    mutate: (i: Issue) => void,
  ): WebhookPayload => {
    const i = issueOf(key)
    mutate(i)
    return updatedWebhook(i, record(i, opts.by, opts.at ?? now(), items))
  }

  const sprintOf = (id: number): Sprint => {
    const sp = sprints.get(id)
    if (!sp) throw new Error(`fake Jira: no sprint ${id}`)
    return sp
  }
  /** Jira's Sprint field: closed sprints stay in it; an open one is replaced by the target */
  const moveTo = (i: Issue, target: number | null, opts: ChangeOptions, replaceOpen: boolean) => {
    if (target !== null) sprintOf(target)
    const before = [...i.sprints]
    const kept = before.filter((id) => !replaceOpen || sprints.get(id)?.state === 'closed')
    const after = target === null || kept.includes(target) ? kept : [...kept, target]
    const names = (ids: number[]) => ids.map((id) => sprints.get(id)?.name ?? String(id)).join(', ')
    return change(
      i.key,
      opts,
      [
        {
          field: 'Sprint',
          fieldtype: 'custom',
          fieldId: 'customfield_10020',
          from: before.join(', '),
          fromString: names(before),
          to: after.join(', '),
          toString: names(after),
        },
      ],
      (x) => {
        x.sprints = after
      },
    )
  }

  const fake: FakeJira = {
    url: baseUrl,
    flavor,
    requests,
    rateLimit: rl,
    count: (prefix, method) =>
      requests.filter((r) => r.path.startsWith(prefix) && (!method || r.method === method)).length,
    failNext: (times, fault) => {
      faults.push({ fault, left: times })
    },
    createIssue: (s, opts) => {
      const i = create(s, opts?.at ?? now())
      return {
        timestamp: i.createdMs,
        webhookEvent: 'jira:issue_created',
        issue_event_type_name: 'issue_created',
        user: renderUser(opts?.by ?? s.reporter),
        issue: {
          id: i.id,
          key: i.key,
          self: `${baseUrl}${`/rest/api/${api}`}/issue/${i.id}`,
          fields: allFields(i),
        },
      }
    },
    transition: (key, status, opts) => {
      const i = issueOf(key)
      const from = statusById(i.statusId)
      const to = statusByName(status)
      return change(
        key,
        opts,
        [
          {
            field: 'status',
            fieldtype: 'jira',
            fieldId: 'status',
            from: from.id,
            fromString: from.name,
            to: to.id,
            toString: to.name,
          },
        ],
        (x) => {
          x.statusId = to.id
        },
      )
    },
    setLabels: (key, labels, opts) => {
      const i = issueOf(key)
      return change(
        key,
        opts,
        [
          {
            field: 'labels',
            fieldtype: 'jira',
            fieldId: 'labels',
            from: null,
            fromString: i.labels.join(' '),
            to: null,
            toString: labels.join(' '),
          },
        ],
        (x) => {
          x.labels = labels
        },
      )
    },
    assign: (key, accountId, opts) => {
      const i = issueOf(key)
      const name = (id: string | null) => (id ? (users.get(id)?.displayName ?? id) : null)
      return change(
        key,
        opts,
        [
          {
            field: 'assignee',
            fieldtype: 'jira',
            fieldId: 'assignee',
            from: i.assignee,
            fromString: name(i.assignee),
            to: accountId,
            toString: name(accountId),
          },
        ],
        (x) => {
          x.assignee = accountId
        },
      )
    },
    setUserField: (key, fieldId, accountId, opts) => {
      const i = issueOf(key)
      const name = (id: string | null | undefined) => (id ? (users.get(id)?.displayName ?? id) : null)
      const before = i.userFields[fieldId] ?? null
      // a custom field's changelog item (jira.js `ChangeDetails`): fieldtype custom, its id in
      // fieldId, and for a user picker the account ids in from/to, display names in the strings
      return change(
        key,
        opts,
        [
          {
            field: opts.fieldName ?? fieldId,
            fieldtype: 'custom',
            fieldId,
            from: before,
            fromString: name(before),
            to: accountId,
            toString: name(accountId),
          },
        ],
        (x) => {
          x.userFields[fieldId] = accountId
        },
      )
    },
    link: (blocker, blocked, opts) => {
      const type = linkTypes.find((t) => t.name === (opts.type ?? 'Blocks'))
      if (!type) throw new Error(`fake Jira: unknown link type ${opts.type}`)
      const at = opts.at ?? now()
      const l: Link = { id: String(nextLinkId++), type, sourceKey: blocker, destinationKey: blocked }
      links.set(l.id, l)
      return linkChange(
        linkWebhook('issuelink_created', l, at),
        modeOf(opts.events),
        issueOf(blocker),
        issueOf(blocked),
        opts.by,
        at,
        [linkItem(blocked, type.outward, true), linkItem(blocker, type.inward, true)],
      )
    },
    unlink: (blocker, blocked, opts) => {
      const l = [...links.values()].find((x) => x.sourceKey === blocker && x.destinationKey === blocked)
      if (!l) throw new Error(`fake Jira: no link ${blocker} → ${blocked}`)
      const at = opts.at ?? now()
      links.delete(l.id)
      // the link is already gone from both issues' `issuelinks`: Jira renders issue_updated after the change
      return linkChange(
        linkWebhook('issuelink_deleted', l, at),
        modeOf(opts.events),
        issueOf(blocker),
        issueOf(blocked),
        opts.by,
        at,
        [linkItem(blocked, l.type.outward, false), linkItem(blocker, l.type.inward, false)],
      )
    },
    deleteIssue: (key, opts) => {
      const i = issueOf(key)
      const payload: WebhookPayload = {
        timestamp: opts.at ?? now(),
        webhookEvent: 'jira:issue_deleted',
        issue_event_type_name: 'issue_deleted',
        user: renderUser(opts.by),
        issue: {
          id: i.id,
          key: i.key,
          self: `${baseUrl}/rest/api/${api}/issue/${i.id}`,
          fields: allFields(i),
        },
      }
      issues.delete(key)
      version++
      for (const [id, l] of links) if (l.sourceKey === key || l.destinationKey === key) links.delete(id)
      return payload
    },
    createSprint: (boardId, name, opts) => {
      if (!boards.has(boardId)) throw new Error(`fake Jira: no board ${boardId}`)
      const id = nextSprintId++
      sprints.set(id, { id, boardId, name, state: 'future', createdMs: opts?.at ?? now() })
      return id
    },
    startSprint: (id, opts) => {
      const sp = sprintOf(id)
      Object.assign(sp, { state: 'active', startMs: opts.at, endMs: opts.endAt })
    },
    closeSprint: (id, opts) => {
      const sp = sprintOf(id)
      const at = opts.at ?? now()
      for (const i of issues.values()) {
        if (!i.sprints.includes(id) || statusById(i.statusId).category === 'done') continue
        // Jira keeps the closed sprint in the field and adds the next one
        if (opts.moveOpenTo !== undefined) moveTo(i, opts.moveOpenTo, { ...opts, at }, false)
      }
      Object.assign(sp, { state: 'closed', completeMs: at })
    },
    moveToSprint: (key, sprintId, opts) => moveTo(issueOf(key), sprintId, opts, true),
    deliver: async (url, payload, opts) => {
      const body = JSON.stringify(payload)
      const signature =
        opts.signature ?? `sha256=${createHmac('sha256', opts.secret).update(body).digest('hex')}`
      return fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': signature,
          'x-atlassian-webhook-identifier': opts.deliveryId ?? randomUUID(),
        },
        body,
      })
    },
    issueKeys: () => [...issues.keys()],
    adminWebhooks: () => [...adminHooks.webhooks.values()],
    setAdminWebhookEnabled: (id, enabled) => {
      const w = adminHooks.webhooks.get(id)
      if (!w) throw new Error(`fake Jira: no admin webhook ${id}`)
      w.enabled = enabled
    },
    deliverToRegistered: (payload) =>
      Promise.all(
        [...adminHooks.webhooks.values()]
          .filter((w) => w.enabled && w.events.includes(payload.webhookEvent))
          .map((w) => {
            const body = JSON.stringify(payload)
            // an admin webhook saved without a secret is delivered unsigned
            const signature: Record<string, string> = w.secret
              ? { 'x-hub-signature': `sha256=${createHmac('sha256', w.secret).update(body).digest('hex')}` }
              : {}
            return fetch(w.url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-atlassian-webhook-identifier': randomUUID(),
                ...signature,
              },
              body,
            })
          }),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
  return fake
}
