import { createHmac, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildSchema, execute, type GraphQLSchema, parse, validate } from 'graphql'
import { queryComplexity } from './complexity.ts'
import {
  type Cycle,
  type History,
  type Issue,
  LinearModel,
  type LinearSeed,
  type Relation,
  type SeedUser,
  type WebhookBody,
} from './model.ts'
import { LINEAR_SDL } from './schema.ts'

/** Linear rejects single queries above this many complexity points */
export const MAX_QUERY_COMPLEXITY = 10_000
const MAX_FIRST = 250

/**
 * Linear's two per-credential budgets as https://linear.app/developers/rate-limiting describes
 * them: requests per hour (1,500 for an API key, 1,200 per user for an OAuth app, as that page
 * has long given them) and complexity points per hour (250,000 for an API key), reported on every
 * response as X-RateLimit-Requests-Limit / -Remaining / -Reset, X-RateLimit-Complexity-* and
 * X-Complexity (the query's cost), resets in UTC epoch ms. Linear refills its buckets as a leaky
 * bucket (LIMIT / PERIOD, continuously); the fake refills them whole at the end of a fixed window
 * that starts with the first request after the last one ended, which is what the reset header
 * promises a client that waits for it. `windowMs` compresses the hour for a bench.
 */
export interface FakeLimits {
  requestsLimit: number
  complexityLimit: number
  /** fixed window after which both buckets are full again */
  windowMs: number
}

export interface FakeRequestLog {
  at: number
  operationName: string | null
  complexity: number
  status: number
  /** 'RATELIMITED' | 'http429' | 'auth' | ... when the request was refused */
  refused?: string
}

export type Failure = 'RATELIMITED' | 'http429' | 'http500'

export interface FakeBudgetStats {
  /** one entry per window, oldest first: when it started and what it paid for */
  windows: { start: number; requests: number; complexity: number }[]
  /** requests refused because a budget could not pay for them (injected failures not counted) */
  overBudget: number
}

export interface FakeLinear {
  /** the GraphQL endpoint: http://127.0.0.1:<port>/graphql */
  url: string
  apiKey: string
  oauthToken: string | undefined
  model: LinearModel
  log: FakeRequestLog[]
  /** what the budgets paid for, window by window, and what they refused */
  budget: FakeBudgetStats
  /** replaces the budgets and starts a new window */
  setLimits(limits: Partial<FakeLimits>): void
  /** the next `count` requests fail this way (before any budget is spent) */
  failNext(count: number, failure: Failure): void
  /** Linear-style signed delivery of a webhook body (timestamp = delivery time, default now) */
  signWebhook(body: WebhookBody, secret: string, timestampMs?: number): SignedWebhook
  close(): Promise<void>
}

export interface SignedWebhook {
  payload: string
  headers: Record<string, string>
}

/** what Linear does before POSTing: stamp the delivery time, sign the exact bytes */
export function signWebhook(body: WebhookBody, secret: string, timestampMs = Date.now()): SignedWebhook {
  const payload = JSON.stringify({ ...body, webhookTimestamp: timestampMs })
  return {
    payload,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'linear-signature': createHmac('sha256', secret).update(payload).digest('hex'),
      'linear-delivery': randomUUID(),
      'linear-event': body.type,
      'user-agent': 'Linear-Webhook',
    },
  }
}

// ---- resolvers over the model ----

interface ConnArgs {
  first?: number | null
  after?: string | null
}

const EPOCH = '2020-01-01T00:00:00.000Z'

function connection<T>(items: T[], args: ConnArgs, idOf: (t: T) => string) {
  const first = args.first ?? 50
  if (first < 0 || first > MAX_FIRST) throw new Error(`first must be between 0 and ${MAX_FIRST}`)
  let start = 0
  if (args.after) {
    const id = Buffer.from(args.after, 'base64url').toString('utf8')
    const at = items.findIndex((t) => idOf(t) === id)
    if (at < 0) throw new Error(`invalid cursor "${args.after}"`)
    start = at + 1
  }
  const page = items.slice(start, start + first)
  const cursor = (t: T | undefined) => (t ? Buffer.from(idOf(t)).toString('base64url') : null)
  return {
    nodes: page,
    pageInfo: {
      hasPreviousPage: start > 0,
      hasNextPage: start + first < items.length,
      startCursor: cursor(page[0]),
      endCursor: cursor(page.at(-1)),
    },
  }
}

interface DateCmp {
  eq?: string
  gt?: string
  gte?: string
  lt?: string
  lte?: string
}
interface StrCmp {
  eq?: string
  neq?: string
  in?: string[]
  nin?: string[]
}
interface TeamFilter {
  id?: StrCmp
  key?: StrCmp
  name?: StrCmp
}

function instant(v: string): number {
  if (/^-?P/.test(v)) throw new Error(`the fake supports absolute dates only, not durations ("${v}")`)
  const ms = Date.parse(v)
  if (Number.isNaN(ms)) throw new Error(`invalid DateTimeOrDuration "${v}"`)
  return ms
}
function matchDate(value: string | null, cmp: DateCmp | null | undefined): boolean {
  if (!cmp) return true
  if (value === null) return false
  const v = Date.parse(value)
  if (cmp.eq != null && v !== instant(cmp.eq)) return false
  if (cmp.gt != null && !(v > instant(cmp.gt))) return false
  if (cmp.gte != null && !(v >= instant(cmp.gte))) return false
  if (cmp.lt != null && !(v < instant(cmp.lt))) return false
  if (cmp.lte != null && !(v <= instant(cmp.lte))) return false
  return true
}
function matchString(value: string, cmp: StrCmp | null | undefined): boolean {
  if (!cmp) return true
  if (cmp.eq != null && value !== cmp.eq) return false
  if (cmp.neq != null && value === cmp.neq) return false
  if (cmp.in != null && !cmp.in.includes(value)) return false
  if (cmp.nin?.includes(value)) return false
  return true
}

/** newest first, like Linear's default ordering; ties broken by id for stable cursors */
function ordered<T extends { id: string; createdAt: string; updatedAt: string }>(
  items: T[],
  orderBy: string | null | undefined,
): T[] {
  const key = orderBy === 'updatedAt' ? 'updatedAt' : 'createdAt'
  // each time parsed once, not once per comparison: a 10,000-issue workspace sorts on every page
  return items
    .map((item) => ({ item, at: Date.parse(item[key]) }))
    .sort((a, b) => b.at - a.at || (a.item.id < b.item.id ? -1 : 1))
    .map((x) => x.item)
}

function rootResolvers(m: LinearModel) {
  // each issue's history, indexed once per change of the history list (it only grows, or is
  // replaced, in the model and in tests), instead of a scan of every history per issue
  let historyIndex: { length: number; last: History | undefined; byIssue: Map<string, History[]> } | undefined
  const historyOf = (issueId: string): History[] => {
    const last = m.history[m.history.length - 1]
    if (historyIndex?.length !== m.history.length || historyIndex.last !== last) {
      const byIssue = new Map<string, History[]>()
      for (const h of m.history) {
        const list = byIssue.get(h.issueId)
        if (list) list.push(h)
        else byIssue.set(h.issueId, [h])
      }
      historyIndex = { length: m.history.length, last, byIssue }
    }
    return historyIndex.byIssue.get(issueId) ?? []
  }
  const user = (id: string | null | undefined) => {
    const u: SeedUser | undefined = id ? m.users.get(id) : undefined
    return u
      ? { ...u, displayName: u.name, active: u.active ?? true, createdAt: EPOCH, updatedAt: EPOCH }
      : null
  }
  const team = (id: string) => {
    const t = m.team(id)
    return {
      ...t,
      createdAt: EPOCH,
      updatedAt: EPOCH,
      issueCount: () => [...m.issues.values()].filter((i) => i.teamId === id).length,
    }
  }
  const state = (id: string | null | undefined) => {
    const s = id ? m.states.get(id) : undefined
    return s ? { ...s, color: '#888888', position: 0, team: () => team(s.teamId) } : null
  }
  const label = (id: string) => {
    const l = m.labels.get(id)
    return l ? { ...l, color: '#888888' } : null
  }
  const history = (h: History) => ({
    ...h,
    updatedAt: h.createdAt,
    issue: () => issue(m.issue(h.issueId)),
    actor: () => user(h.actorId),
    fromState: () => state(h.fromStateId),
    toState: () => state(h.toStateId),
    fromAssignee: () => user(h.fromAssigneeId),
    toAssignee: () => user(h.toAssigneeId),
    addedLabels: () => h.addedLabelIds?.map(label).filter(Boolean) ?? null,
    removedLabels: () => h.removedLabelIds?.map(label).filter(Boolean) ?? null,
  })
  const relation = (r: Relation) => ({
    ...r,
    issue: () => issue(m.issue(r.issueId)),
    relatedIssue: () => issue(m.issue(r.relatedIssueId)),
  })
  const cycle = (c: Cycle) => ({
    ...c,
    createdAt: c.startsAt,
    inProgressScopeHistory: [],
    team: () => team(c.teamId),
    issues: (args: ConnArgs) =>
      connection(
        ordered(
          [...m.issues.values()].filter((i) => i.cycleId === c.id),
          'createdAt',
        ).map(issue),
        args,
        (i) => i.id,
      ),
  })
  const issue = (i: Issue) => ({
    ...i,
    identifier: m.identifier(i),
    priority: 0,
    startedAt: null,
    team: () => team(i.teamId),
    project: () => {
      const p = i.projectId ? m.projects.get(i.projectId) : undefined
      return p ? { id: p.id, name: p.name } : null
    },
    state: () => state(i.stateId),
    creator: () => user(i.creatorId),
    assignee: () => user(i.assigneeId),
    cycle: () => {
      const c = i.cycleId ? m.cycles.get(i.cycleId) : undefined
      return c ? cycle(c) : null
    },
    labels: (args: ConnArgs) =>
      connection(
        i.labelIds.map(label).filter((l) => l !== null),
        args,
        (l) => l.id,
      ),
    history: (args: ConnArgs) =>
      connection(
        [...historyOf(i.id)]
          .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : 1))
          .map(history),
        args,
        (h) => h.id,
      ),
    relations: (args: ConnArgs) =>
      connection(
        ordered(
          [...m.relations.values()].filter((r) => r.issueId === i.id),
          'createdAt',
        ).map(relation),
        args,
        (r) => r.id,
      ),
    inverseRelations: (args: ConnArgs) =>
      connection(
        ordered(
          [...m.relations.values()].filter((r) => r.relatedIssueId === i.id),
          'createdAt',
        ).map(relation),
        args,
        (r) => r.id,
      ),
  })
  const teamMatches = (teamId: string, f: TeamFilter | null | undefined) => {
    if (!f) return true
    const t = m.team(teamId)
    return matchString(t.id, f.id) && matchString(t.key, f.key) && matchString(t.name, f.name)
  }

  return {
    viewer: () => user([...m.users.keys()][0]),
    teams: (args: ConnArgs) => connection([...m.teams.keys()].map(team), args, (t) => t.id),
    // QueryUsersArgs.includeDisabled (@linear/sdk): suspended users are left out unless asked for
    users: (args: ConnArgs & { includeDisabled?: boolean | null }) =>
      connection(
        [...m.users.keys()].map((id) => user(id)!).filter((u) => args.includeDisabled === true || u.active),
        args,
        (u) => u.id,
      ),
    user: ({ id }: { id: string }) => {
      // as Linear answers an unknown id: an "Entity not found" error, no null
      const found = user(id)
      if (!found) throw new Error(`Entity not found: User ${id}`)
      return found
    },
    issue: ({ id }: { id: string }) => {
      const found = m.issues.get(id) ?? [...m.issues.values()].find((i) => m.identifier(i) === id)
      if (!found) throw new Error(`Entity not found: Issue ${id}`)
      return issue(found)
    },
    issues: (
      args: ConnArgs & {
        filter?: { id?: StrCmp; team?: TeamFilter; createdAt?: DateCmp; updatedAt?: DateCmp }
        orderBy?: string
      },
    ) => {
      const f = args.filter ?? {}
      const hits = [...m.issues.values()].filter(
        (i) =>
          matchString(i.id, f.id) &&
          teamMatches(i.teamId, f.team) &&
          matchDate(i.createdAt, f.createdAt) &&
          matchDate(i.updatedAt, f.updatedAt),
      )
      // only the page's issues become resolvers
      const page = connection(ordered(hits, args.orderBy), args, (i) => i.id)
      return { ...page, nodes: page.nodes.map(issue) }
    },
    cycles: (
      args: ConnArgs & {
        filter?: { id?: StrCmp; team?: TeamFilter; startsAt?: DateCmp; endsAt?: DateCmp }
        orderBy?: string
      },
    ) => {
      const f = args.filter ?? {}
      const hits = [...m.cycles.values()].filter(
        (c) =>
          matchString(c.id, f.id) &&
          teamMatches(c.teamId, f.team) &&
          matchDate(c.startsAt, f.startsAt) &&
          matchDate(c.endsAt, f.endsAt),
      )
      return connection(
        ordered(
          hits.map((c) => ({ ...c, createdAt: c.startsAt })),
          args.orderBy,
        ).map(cycle),
        args,
        (c) => c.id,
      )
    },
    issueRelations: (args: ConnArgs & { orderBy?: string }) =>
      connection(ordered([...m.relations.values()], args.orderBy).map(relation), args, (r) => r.id),
  }
}

// ---- HTTP ----

export interface FakeLinearOptions {
  limits?: Partial<FakeLimits>
  now?: () => number
}

/** Starts the fake on 127.0.0.1 (random port), seeded with `seed`. */
export async function startFakeLinear(
  seed: LinearSeed,
  options: FakeLinearOptions = {},
): Promise<FakeLinear> {
  const model = new LinearModel(seed)
  const schema: GraphQLSchema = buildSchema(LINEAR_SDL)
  const root = rootResolvers(model)
  const now = options.now ?? Date.now
  const apiKey = seed.apiKey ?? 'lin_api_fake'
  const oauthToken = seed.oauthToken
  let limits: FakeLimits = {
    requestsLimit: 1500,
    complexityLimit: 250_000,
    windowMs: 3_600_000,
    ...options.limits,
  }
  let windowStart = now()
  let usedRequests = 0
  let usedComplexity = 0
  const failures: Failure[] = []
  const log: FakeRequestLog[] = []
  const budget: FakeBudgetStats = { windows: [], overBudget: 0 }
  const account = () => {
    const last = budget.windows[budget.windows.length - 1]
    if (last?.start === windowStart) {
      last.requests = usedRequests
      last.complexity = usedComplexity
    } else budget.windows.push({ start: windowStart, requests: usedRequests, complexity: usedComplexity })
  }

  const rollWindow = () => {
    if (now() >= windowStart + limits.windowMs) {
      windowStart = now()
      usedRequests = 0
      usedComplexity = 0
    }
  }
  const rateHeaders = (complexity: number): Record<string, string> => {
    const reset = String(windowStart + limits.windowMs)
    return {
      'x-ratelimit-requests-limit': String(limits.requestsLimit),
      'x-ratelimit-requests-remaining': String(Math.max(0, limits.requestsLimit - usedRequests)),
      'x-ratelimit-requests-reset': reset,
      'x-ratelimit-complexity-limit': String(limits.complexityLimit),
      'x-ratelimit-complexity-remaining': String(Math.max(0, limits.complexityLimit - usedComplexity)),
      'x-ratelimit-complexity-reset': reset,
      'x-complexity': String(complexity),
    }
  }
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    res.end(JSON.stringify(body))
  }
  const gqlError = (message: string, code: string, extra: Record<string, unknown> = {}) => ({
    errors: [{ message, extensions: { code, userPresentableMessage: message, ...extra } }],
  })

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = now()
    const entry: FakeRequestLog = { at, operationName: null, complexity: 0, status: 0 }
    log.push(entry)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}, refused?: string) => {
      entry.status = status
      if (refused) entry.refused = refused
      send(res, status, body, headers)
    }
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/graphql')
      return reply(404, { error: 'not found' })
    const auth = req.headers.authorization ?? ''
    if (!(auth === apiKey || (oauthToken !== undefined && auth === `Bearer ${oauthToken}`))) {
      return reply(
        401,
        gqlError('Authentication required, not authenticated', 'AUTHENTICATION_ERROR'),
        {},
        'auth',
      )
    }
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    let body: { query?: unknown; variables?: unknown; operationName?: unknown }
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return reply(400, gqlError('Body is not valid JSON', 'INVALID_INPUT'))
    }
    if (typeof body.query !== 'string')
      return reply(400, gqlError('Must provide query string.', 'INVALID_INPUT'))
    const variables = (body.variables ?? {}) as Record<string, unknown>
    let doc: ReturnType<typeof parse>
    try {
      doc = parse(body.query)
    } catch (err) {
      return reply(400, gqlError((err as Error).message, 'GRAPHQL_PARSE_FAILED'))
    }
    const op = doc.definitions.find((d) => d.kind === 'OperationDefinition')
    entry.operationName = op && 'name' in op && op.name ? op.name.value : null
    const invalid = validate(schema, doc)
    if (invalid.length > 0) {
      return reply(400, {
        errors: invalid.map((e) => ({
          message: e.message,
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        })),
      })
    }
    const complexity = queryComplexity(doc, variables)
    entry.complexity = complexity
    rollWindow()

    const failure = failures.shift()
    if (failure === 'http429')
      return reply(
        429,
        gqlError('Too many requests', 'RATELIMITED'),
        { ...rateHeaders(complexity), 'retry-after': '0' },
        'http429',
      )
    if (failure === 'http500')
      return reply(
        500,
        { errors: [{ message: 'Internal server error' }] },
        rateHeaders(complexity),
        'http500',
      )
    if (failure === 'RATELIMITED')
      return reply(
        400,
        gqlError('Rate limit exceeded', 'RATELIMITED'),
        rateHeaders(complexity),
        'RATELIMITED',
      )

    if (complexity > MAX_QUERY_COMPLEXITY) {
      return reply(
        400,
        gqlError(
          `Query too complex: ${complexity} points, the maximum is ${MAX_QUERY_COMPLEXITY}`,
          'QUERY_TOO_COMPLEX',
        ),
        rateHeaders(complexity),
        'complexity',
      )
    }
    if (usedRequests + 1 > limits.requestsLimit || usedComplexity + complexity > limits.complexityLimit) {
      budget.overBudget++
      return reply(
        400,
        gqlError('Rate limit exceeded', 'RATELIMITED'),
        rateHeaders(complexity),
        'RATELIMITED',
      )
    }
    usedRequests += 1
    usedComplexity += complexity
    account()
    const result = await execute({ schema, document: doc, rootValue: root, variableValues: variables })
    return reply(200, result, rateHeaders(complexity))
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { errors: [{ message: String(err) }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/graphql`,
    apiKey,
    oauthToken,
    model,
    log,
    budget,
    setLimits(l) {
      limits = { ...limits, ...l }
      windowStart = now()
      usedRequests = 0
      usedComplexity = 0
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure)
    },
    signWebhook,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}
