import { queryRows } from '@orgpulse/clickhouse'
import { OrgpulseError, unitIdFor } from '@orgpulse/contracts'
import { parseBound } from '@orgpulse/metrics'
import { z } from 'zod'
import { decisionRowsSql, EPOCH, FAR_FUTURE } from '../queries/decisions.ts'
import { dependencyRowsSql, rankTeamPairs } from '../queries/dependencies.ts'
import { assertOrgVisible, teamInOrg } from '../queries/scope.ts'
import {
  decisionsQuery,
  decisionsResponse,
  dependenciesQuery,
  dependenciesResponse,
  directorParams,
  errorSchema,
} from '../schemas.ts'
import { SECURED, type V1Options, type ZodApp } from './context.ts'

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 429: errorSchema }

/** ClickHouse DateTime64 text → ISO 8601 UTC */
const iso = (t: string): string => `${t.replace(' ', 'T')}Z`

/**
 * Keyset pagination over (raised_at, decision_id): a page never repeats or skips a decision that
 * existed when the first page was read, whatever is inserted meanwhile. The cursor is the last
 * row's key, base64url-encoded JSON: opaque to clients, validated on the way back in.
 */
const cursorSchema = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/), z.string()])
const encodeCursor = (raisedAt: string, id: string): string =>
  Buffer.from(JSON.stringify([raisedAt, id])).toString('base64url')
function decodeCursor(cursor: string): [string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
  } catch {
    throw new OrgpulseError(
      'invalid_input',
      'cursor is not one this api issued (use nextCursor from the previous page)',
    )
  }
}

interface DecisionRow {
  decision_id: string
  title: string | null
  status: string | null
  raised_by: string
  raised_at_text: string
  decided_by: string | null
  decided_at_text: string | null
  expected_decider: string | null
  escalated: boolean | number
  decider_level: number | null
  latency_hours: number | null
  team: string
}

interface LinkRow {
  link_id: string
  blocker_item: string
  blocked_item: string
  blocker_team: string
  blocked_team: string
  created_text: string
  resolved_text: string | null
  open_at_end: boolean | number
  age_days: number
}

/** the org's decision log and its cross-team dependencies (reads; POST /v1/decisions is decisionIngestRoutes) */
export function decisionLogRoutes(app: ZodApp, { client }: V1Options): void {
  app.get(
    '/v1/orgs/:director/decisions',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'listDecisions',
        summary: "The org's decision log, filtered, oldest raised first, with cursor pagination",
        tags: ['decisions'],
        security: SECURED,
        params: directorParams,
        querystring: decisionsQuery,
        response: { 200: decisionsResponse, ...errors },
      },
    },
    async (req) => {
      const director = await assertOrgVisible(client, req.principal, req.params.director)
      const q = req.query
      const scope = q.team ? await teamInOrg(client, director, q.team) : unitIdFor(director)
      const { sql, params } = decisionRowsSql({
        scope,
        from: q.from ? parseBound(q.from, 'from') : EPOCH,
        to: q.to ? parseBound(q.to, 'to') : FAR_FUTURE,
        status: q.status,
        escalated: q.escalated,
        decider: q.decider,
        waitingOn: q.waitingOn,
      })
      const after = q.cursor ? decodeCursor(q.cursor) : null
      const rows = await queryRows<DecisionRow>(
        client,
        // output aliases differ from the inner columns: ClickHouse would resolve WHERE/ORDER BY to the alias
        `SELECT d.decision_id AS decision_id, d.title AS title, d.status AS status, d.raised_by AS raised_by,
           toString(d.raised_at) AS raised_at_text, d.decided_by AS decided_by,
           if(isNull(d.decided_at), NULL, toString(d.decided_at)) AS decided_at_text,
           d.expected_decider AS expected_decider, d.escalated AS escalated,
           d.decider_level AS decider_level, d.latency_hours AS latency_hours, d.team AS team
         FROM (${sql}) AS d
         ${after ? "WHERE (d.raised_at, d.decision_id) > ({c_at:DateTime64(3, 'UTC')}, {c_id:String})" : ''}
         ORDER BY d.raised_at, d.decision_id
         LIMIT {page:UInt32}`,
        { ...params, page: q.limit + 1, ...(after ? { c_at: after[0], c_id: after[1] } : {}) },
      )
      const page = rows.slice(0, q.limit)
      const last = page[page.length - 1]
      return {
        decisions: page.map((r) => ({
          id: r.decision_id,
          title: r.title ?? '',
          status: r.status ?? 'proposed',
          raisedBy: r.raised_by,
          raisedAt: iso(r.raised_at_text),
          decidedBy: r.decided_by,
          decidedAt: r.decided_at_text ? iso(r.decided_at_text) : null,
          expectedDecider: r.expected_decider,
          escalated: Boolean(r.escalated),
          deciderLevel: r.decider_level === null ? null : Number(r.decider_level),
          latencyHours: r.latency_hours === null ? null : Number(r.latency_hours),
          team: r.team,
        })),
        nextCursor:
          rows.length > q.limit && last ? encodeCursor(last.raised_at_text, last.decision_id) : null,
      }
    },
  )

  app.get(
    '/v1/orgs/:director/dependencies',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'listDependencies',
        summary: 'Cross-team blocking links touching the org, and the team pairs they connect',
        tags: ['dependencies'],
        security: SECURED,
        params: directorParams,
        querystring: dependenciesQuery,
        response: { 200: dependenciesResponse, ...errors },
      },
    },
    async (req) => {
      const director = await assertOrgVisible(client, req.principal, req.params.director)
      const q = req.query
      const to = q.to ? parseBound(q.to, 'to') : new Date()
      const { sql, params } = dependencyRowsSql({
        scope: unitIdFor(director),
        from: q.from ? parseBound(q.from, 'from') : EPOCH,
        to,
        openOnly: q.open,
      })
      const rows = await queryRows<LinkRow>(
        client,
        `SELECT l.link_id AS link_id, l.blocker_item AS blocker_item, l.blocked_item AS blocked_item, l.blocker_team AS blocker_team,
           l.blocked_team AS blocked_team, toString(l.created_at) AS created_text,
           if(isNull(l.resolved_at), NULL, toString(l.resolved_at)) AS resolved_text, l.open_at_end AS open_at_end, l.age_days AS age_days
         FROM (${sql}) AS l ORDER BY l.created_at, l.link_id`,
        params,
      )
      const links = rows.map((r) => ({
        linkId: r.link_id,
        blockerItem: r.blocker_item,
        blockedItem: r.blocked_item,
        blockerTeam: r.blocker_team,
        blockedTeam: r.blocked_team,
        createdAt: iso(r.created_text),
        resolvedAt: r.resolved_text ? iso(r.resolved_text) : null,
        open: Boolean(r.open_at_end),
        ageDays: Number(r.age_days),
      }))
      return { links, pairs: rankTeamPairs(links) }
    },
  )
}
