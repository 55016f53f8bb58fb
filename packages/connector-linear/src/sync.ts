import { createHash } from 'node:crypto'
import type { CursorStore } from '@orgpulse/clickhouse'
import { type LinearConfig, type RawEnvelope, syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, type Durable, publishRaw } from '@orgpulse/kafka'
import { type LinearClient, LinearConfigError } from './client.ts'
import { pageSizeFor } from './complexity.ts'
import {
  cyclesQuery,
  ISSUE_HISTORY_QUERY,
  ISSUE_LABELS_QUERY,
  ISSUE_RELATIONS_QUERY,
  issuesQuery,
  MAX_PAGE,
  RELATIONS_QUERY,
  TEAMS_QUERY,
  USERS_QUERY,
} from './queries.ts'

export const CONNECTOR = 'linear'

interface PageInfo {
  hasNextPage: boolean
  endCursor: string | null
}
interface Connection<T> {
  nodes: T[]
  pageInfo: PageInfo
}
export interface LinearTeam {
  id: string
  key: string
  name: string
  issueCount?: number
}
/** the parts of an issue node the sync itself reads; the rest travels unchanged */
interface IssueNode {
  id: string
  updatedAt: string
  [k: string]: unknown
}

/** the issue's nested connections that may hold more than their first page */
const NESTED_REST = [
  ['history', ISSUE_HISTORY_QUERY],
  ['labels', ISSUE_LABELS_QUERY],
  ['relations', ISSUE_RELATIONS_QUERY],
] as const

async function completeConnection(
  client: LinearClient,
  query: string,
  id: string,
  first: number,
  field: string,
  value: unknown,
): Promise<void> {
  const conn = value as Connection<unknown> | undefined
  let after = conn?.pageInfo?.hasNextPage ? conn.pageInfo.endCursor : null
  while (conn && after) {
    const data: { issue: Record<string, Connection<unknown>> } = await client.request(query, {
      id,
      first,
      after,
    })
    const page = data.issue[field]!
    conn.nodes.push(...page.nodes)
    conn.pageInfo = page.pageInfo
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
  }
}
interface RelationNode {
  id: string
  type: string
  issue: { team?: { key: string } | null }
  relatedIssue: { team?: { key: string } | null }
  [k: string]: unknown
}

export interface SyncProgress {
  phase: 'teams' | 'issues' | 'cycles' | 'relations' | 'users'
  team?: string
  done: number
  /** known for a full sync of a team (Team.issueCount); incremental syncs have no total */
  total?: number
  ratePerSecond: number
  etaSeconds?: number
}

export interface TeamSyncResult {
  team: string
  mode: 'full' | 'incremental'
  /** why a full sync ran when an incremental was possible */
  reason?: string
  issues: number
  cycles: number
  cursor: string | null
}

export interface SyncResult {
  teams: TeamSyncResult[]
  relations: { blocking: number; removed: number } | null
  users: number
  envelopes: number
  requests: number
  waitedMs: number
}

export interface SyncOptions {
  client: LinearClient
  bus: Bus
  /** the CursorStore (or anything with its get/set) */
  cursors: Pick<CursorStore, 'get' | 'set'>
  /** awaited before each cursor write: until what the cursor covers is durable (Runtime.durable) */
  durable: Durable
  config: LinearConfig
  /** ignore cursors and fetch everything */
  full?: boolean
  /** only these team keys (default: the configured teams, else every visible team) */
  teams?: string[]
  /** reconcile issue relations (Linear has no webhook for them); default true */
  relations?: boolean
  progress?: (p: SyncProgress) => void
  now?: () => number
  /**
   * where the user directory goes (Linear user id → email), read at every pull: webhooks name
   * people by id only, and identities resolve at query time, so writing `linear:<id>` → email
   * into identity_map attributes every event that names the id, earlier ones included
   */
  directory?: (users: LinearUser[]) => Promise<void>
}

/** Linear's User (the fields USERS_QUERY selects) */
export interface LinearUser {
  id: string
  name: string
  email: string
  active: boolean
}

/** changes of the mapping (teams, decision rules, cycle unit) force a full resync */
export function mappingHash(config: LinearConfig): string {
  const relevant = { teams: config.teams, decisions: config.decisions, cycles: config.cycles }
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16)
}

async function* pages<T>(
  client: LinearClient,
  query: string,
  variables: Record<string, unknown>,
  select: (data: unknown) => Connection<T>,
): AsyncGenerator<T[]> {
  let after: string | null = null
  for (;;) {
    const data = await client.request<unknown>(query, { ...variables, after })
    const conn = select(data)
    yield conn.nodes
    if (!conn.pageInfo.hasNextPage || !conn.pageInfo.endCursor) return
    after = conn.pageInfo.endCursor
  }
}

const envelope = (
  entity: string,
  sourceId: string,
  payload: unknown,
  meta: Record<string, unknown> = {},
): RawEnvelope => ({
  source: 'linear',
  entity,
  sourceId,
  fetchedAt: new Date().toISOString(),
  meta,
  payload,
})

export async function listTeams(client: LinearClient, budget: number): Promise<LinearTeam[]> {
  const first = pageSizeFor(TEAMS_QUERY, budget, MAX_PAGE)
  const teams: LinearTeam[] = []
  for await (const nodes of pages<LinearTeam>(
    client,
    TEAMS_QUERY,
    { first },
    (d) => (d as { teams: Connection<LinearTeam> }).teams,
  ))
    teams.push(...nodes)
  return teams
}

/**
 * One sync run: per team, issues (with their full history) updated since the team's cursor and
 * the team's cycles; then one reconciliation of blocking relations. Every cursor is set only
 * once all the records it covers are durable (Kafka acknowledged them; in embedded mode, the
 * pipeline wrote them).
 */
export async function syncLinear(options: SyncOptions): Promise<SyncResult> {
  const { client, bus, config } = options
  const now = options.now ?? Date.now
  const hash = mappingHash(config)
  const budget = config.maxQueryComplexity
  const result: SyncResult = { teams: [], relations: null, users: 0, envelopes: 0, requests: 0, waitedMs: 0 }
  const publish = async (envs: RawEnvelope[]) => {
    if (envs.length === 0) return
    await publishRaw(bus, envs)
    result.envelopes += envs.length
  }

  const visible = await listTeams(client, budget)
  const byKey = new Map(visible.map((t) => [t.key, t]))
  const wanted =
    options.teams ??
    (Object.keys(config.teams).length > 0 ? Object.keys(config.teams) : visible.map((t) => t.key))
  const missing = wanted.filter((k) => !byKey.has(k))
  if (missing.length > 0) {
    throw new LinearConfigError(
      `Linear team${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found or not visible to this credential; visible teams: ${visible.map((t) => t.key).join(', ') || '(none)'}`,
    )
  }
  await publish(visible.filter((t) => wanted.includes(t.key)).map((t) => envelope('team', t.id, t)))

  for (const key of wanted) result.teams.push(await syncTeam(options, byKey.get(key)!, hash, publish, now))

  result.users = await syncUsers(options, publish)

  if (options.relations !== false)
    result.relations = await reconcileRelations(options, new Set(wanted), hash, publish, now)
  // each team is read up to now (and its relations reconciled): coverage records behind its records
  const syncedAt = new Date(now()).toISOString()
  await publish(
    wanted.map((key) =>
      syncedEnvelope(
        'linear',
        {
          scopeKind: 'team',
          scope: key,
          mode: result.teams.find((t) => t.team === key)?.mode ?? 'incremental',
          coveredFrom: null,
          coveredTo: syncedAt,
          teams: config.teams[key] ? [config.teams[key]] : [],
        },
        syncedAt,
      ),
    ),
  )
  result.requests = client.requests
  result.waitedMs = client.waitedMs
  return result
}

async function syncTeam(
  options: SyncOptions,
  team: LinearTeam,
  hash: string,
  publish: (e: RawEnvelope[]) => Promise<void>,
  now: () => number,
): Promise<TeamSyncResult> {
  const { client, cursors, config } = options
  const scope = `team:${team.key}`
  const saved = options.full ? null : await cursors.get(CONNECTOR, scope)
  let reason: string | undefined
  let since: string | null = null
  if (options.full) reason = '--full'
  else if (!saved) reason = 'first sync'
  else if (saved.configHash !== hash) reason = 'mapping configuration changed'
  else since = new Date(Date.parse(saved.cursor) - config.overlapMinutes * 60_000).toISOString()
  const incremental = since !== null

  const query = issuesQuery(incremental)
  const vars: Record<string, unknown> = { teamKey: team.key, ...(incremental ? { since } : {}) }
  const first = pageSizeFor(query, config.maxQueryComplexity, MAX_PAGE, vars)
  // the history query is the costliest of the three: its page size is safe for the others
  const nestedFirst = pageSizeFor(ISSUE_HISTORY_QUERY, config.maxQueryComplexity, MAX_PAGE, { id: 'x' })
  const started = now()
  const total = incremental ? undefined : team.issueCount
  let issues = 0
  let maxUpdated = saved && !reason ? saved.cursor : ''

  for await (const nodes of pages<IssueNode>(
    client,
    query,
    { ...vars, first },
    (d) => (d as { issues: Connection<IssueNode> }).issues,
  )) {
    for (const issue of nodes) {
      // more history, labels or relations than fit in the nested pages: fetch the rest, so the
      // published issue is whole (the mapper needs its history in one piece)
      for (const [field, nestedQuery] of NESTED_REST)
        await completeConnection(client, nestedQuery, issue.id, nestedFirst, field, issue[field])
      if (issue.updatedAt > maxUpdated) maxUpdated = issue.updatedAt
    }
    await publish(nodes.map((i) => envelope('issue', i.id, i, { team: team.key })))
    issues += nodes.length
    const secs = Math.max(0.001, (now() - started) / 1000)
    const rate = issues / secs
    options.progress?.({
      phase: 'issues',
      team: team.key,
      done: issues,
      ...(total !== undefined
        ? { total, etaSeconds: rate > 0 ? Math.max(0, (total - issues) / rate) : undefined }
        : {}),
      ratePerSecond: rate,
    } as SyncProgress)
  }

  // cycles: every cycle on a full sync; otherwise those still running or ended since the cursor
  const cq = cyclesQuery(incremental)
  const cvars: Record<string, unknown> = {
    teamKey: team.key,
    ...(incremental ? { endsAfter: new Date(Date.parse(since!) - 24 * 3600_000).toISOString() } : {}),
  }
  const cfirst = pageSizeFor(cq, config.maxQueryComplexity, MAX_PAGE, cvars)
  let cycles = 0
  for await (const nodes of pages<{ id: string }>(
    client,
    cq,
    { ...cvars, first: cfirst },
    (d) => (d as { cycles: Connection<{ id: string }> }).cycles,
  )) {
    await publish(nodes.map((c) => envelope('cycle', c.id, c, { team: team.key })))
    cycles += nodes.length
    options.progress?.({ phase: 'cycles', team: team.key, done: cycles, ratePerSecond: 0 })
  }

  // only once everything above is durable may the cursor move past it
  if (maxUpdated) {
    await options.durable()
    await cursors.set(CONNECTOR, scope, maxUpdated, hash)
  }
  return {
    team: team.key,
    mode: incremental ? 'incremental' : 'full',
    ...(reason && reason !== 'first sync' ? { reason } : {}),
    issues,
    cycles,
    cursor: maxUpdated || null,
  }
}

/**
 * The user directory, read whole at every pull (one page per 250 users): each user whose email,
 * name or activity changed since the last pull (every user on --full) is published as a `user`
 * envelope for the raw layer, and the whole directory is handed to `options.directory`. The
 * last-seen digest lives in the cursor store, replaced once the envelopes are durable.
 */
async function syncUsers(
  options: SyncOptions,
  publish: (e: RawEnvelope[]) => Promise<void>,
): Promise<number> {
  const { client, cursors, config } = options
  const saved = options.full ? null : await cursors.get(CONNECTOR, 'users')
  let previous: Record<string, string> = {}
  if (saved) {
    try {
      previous = JSON.parse(saved.cursor) as Record<string, string>
    } catch {
      previous = {}
    }
  }
  const digest = (u: LinearUser) => `${u.email}|${u.name}|${u.active}`
  const first = pageSizeFor(USERS_QUERY, config.maxQueryComplexity, MAX_PAGE)
  const users: LinearUser[] = []
  for await (const nodes of pages<LinearUser>(
    client,
    USERS_QUERY,
    { first },
    (d) => (d as { users: Connection<LinearUser> }).users,
  )) {
    users.push(...nodes)
    await publish(nodes.filter((u) => previous[u.id] !== digest(u)).map((u) => envelope('user', u.id, u)))
    options.progress?.({ phase: 'users', done: users.length, ratePerSecond: 0 })
  }
  await options.directory?.(users)
  const current = Object.fromEntries(users.map((u) => [u.id, digest(u)]))
  await options.durable()
  await cursors.set(CONNECTOR, 'users', JSON.stringify(current), mappingHash(config))
  return users.length
}

/**
 * Linear sends no webhook when a relation is added or removed, so blocking relations are pulled
 * whole and compared with the previous pull: a relation that disappeared is published as
 * `relation.removed` (→ dependency.resolved, reason unlinked). The last-seen set is kept in the
 * cursor store and replaced only once the run's records are durable.
 */
async function reconcileRelations(
  options: SyncOptions,
  teams: Set<string>,
  hash: string,
  publish: (e: RawEnvelope[]) => Promise<void>,
  now: () => number,
): Promise<{ blocking: number; removed: number }> {
  const { client, cursors, config } = options
  const saved = await cursors.get(CONNECTOR, 'relations')
  let previous: Record<string, RelationNode> = {}
  if (saved) {
    try {
      previous = JSON.parse(saved.cursor) as Record<string, RelationNode>
    } catch {
      previous = {}
    }
  }
  const inScope = (r: RelationNode) =>
    r.type === 'blocks' && (teams.has(r.issue.team?.key ?? '') || teams.has(r.relatedIssue.team?.key ?? ''))
  const first = pageSizeFor(RELATIONS_QUERY, config.maxQueryComplexity, MAX_PAGE)
  const current: Record<string, RelationNode> = {}
  const started = now()
  let seen = 0
  for await (const nodes of pages<RelationNode>(
    client,
    RELATIONS_QUERY,
    { first },
    (d) => (d as { issueRelations: Connection<RelationNode> }).issueRelations,
  )) {
    const blocking = nodes.filter(inScope)
    for (const r of blocking) current[r.id] = r
    await publish(blocking.map((r) => envelope('relation', r.id, r)))
    seen += nodes.length
    options.progress?.({
      phase: 'relations',
      done: seen,
      ratePerSecond: seen / Math.max(0.001, (now() - started) / 1000),
    })
  }
  const removed = Object.values(previous).filter((r) => !current[r.id])
  await publish(removed.map((r) => envelope('relation.removed', r.id, r)))
  // a removal is seen only once (the relation is gone from the next pull): the new set may
  // replace the old one only after the removals are durable
  await options.durable()
  await cursors.set(CONNECTOR, 'relations', JSON.stringify(current), hash)
  return { blocking: Object.keys(current).length, removed: removed.length }
}
