import { queryRows } from '@orgpulse/clickhouse'
import { unitIdFor } from '@orgpulse/contracts'
import { parseBound } from '@orgpulse/metrics'
import { z } from 'zod'
import { decisionRowsSql, EPOCH, FAR_FUTURE } from '../queries/decisions.ts'
import { dependencyRowsSql } from '../queries/dependencies.ts'
import { assertOrgVisible, teamInOrg } from '../queries/scope.ts'
import { decisionsQuery, decisionsResponse, dependenciesQuery, dependenciesResponse, directorParams, errorSchema } from '../schemas.ts'
import { SECURED, type V1Options, type ZodApp } from './context.ts'
import { BadRequestError } from './errors.ts'

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 429: errorSchema }

/** ClickHouse DateTime64 text → ISO 8601 UTC */
const iso = (t: string): string => `${t.replace(' ', 'T')}Z`

/**
 * Keyset pagination over (raised_at, decision_id): a page never repeats or skips a decision that
 * existed when the first page was read, whatever is inserted meanwhile. The cursor is the last
 * row's key, base64url-encoded JSON: opaque to clients, validated on the way back in.
 */
const cursorSchema = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/), z.string()])
const encodeCursor = (raisedAt: string, id: string): string => Buffer.from(JSON.stringify([raisedAt, id])).toString('base64url')
function decodeCursor(cursor: string): [string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
  } catch {
    throw new BadRequestError('cursor is not one this api issued (use nextCursor from the previous page)')
  }
}

interface DecisionRow {
  decision_id: string
  title: string | null
  status: string | null
  raised_by: string
  raised_at: string
  decided_by: string | null
  decided_at: string | null
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
  created_at: string
  resolved_at: string | null
  open_at_end: boolean | number
  age_days: number
}

export function decisionRoutes(app: ZodApp, { client }: V1Options): void {
  app.get(
    '/v1/orgs/:director/decisions',
    {
      schema: {
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
      })
      const after = q.cursor ? decodeCursor(q.cursor) : null
      const rows = await queryRows<DecisionRow>(
        client,
        `SELECT decision_id, title, status, raised_by, toString(raised_at) AS raised_at, decided_by,
           if(isNull(decided_at), NULL, toString(decided_at)) AS decided_at, escalated, decider_level, latency_hours, team
         FROM (${sql})
         ${after ? "WHERE (raised_at, decision_id) > ({c_at:DateTime64(3, 'UTC')}, {c_id:String})" : ''}
         ORDER BY raised_at, decision_id
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
          raisedAt: iso(r.raised_at),
          decidedBy: r.decided_by,
          decidedAt: r.decided_at ? iso(r.decided_at) : null,
          escalated: Boolean(r.escalated),
          deciderLevel: r.decider_level === null ? null : Number(r.decider_level),
          latencyHours: r.latency_hours === null ? null : Number(r.latency_hours),
          team: r.team,
        })),
        nextCursor: rows.length > q.limit && last ? encodeCursor(last.raised_at, last.decision_id) : null,
      }
    },
  )

  app.get(
    '/v1/orgs/:director/dependencies',
    {
      schema: {
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
      const { sql, params } = dependencyRowsSql({ scope: unitIdFor(director), from: q.from ? parseBound(q.from, 'from') : EPOCH, to, openOnly: q.open })
      const rows = await queryRows<LinkRow>(
        client,
        `SELECT link_id, blocker_item, blocked_item, blocker_team, blocked_team, toString(created_at) AS created_at,
           if(isNull(resolved_at), NULL, toString(resolved_at)) AS resolved_at, open_at_end, age_days
         FROM (${sql}) ORDER BY created_at, link_id`,
        params,
      )
      const links = rows.map((r) => ({
        linkId: r.link_id,
        blockerItem: r.blocker_item,
        blockedItem: r.blocked_item,
        blockerTeam: r.blocker_team,
        blockedTeam: r.blocked_team,
        createdAt: iso(r.created_at),
        resolvedAt: r.resolved_at ? iso(r.resolved_at) : null,
        open: Boolean(r.open_at_end),
        ageDays: Number(r.age_days),
      }))
      const pairs = new Map<string, { blockerTeam: string; blockedTeam: string; links: number; open: number; blockedDaysOpen: number }>()
      for (const l of links) {
        const key = `${l.blockerTeam}\u0000${l.blockedTeam}`
        const p = pairs.get(key) ?? { blockerTeam: l.blockerTeam, blockedTeam: l.blockedTeam, links: 0, open: 0, blockedDaysOpen: 0 }
        p.links++
        if (l.open) {
          p.open++
          p.blockedDaysOpen = Math.round((p.blockedDaysOpen + l.ageDays) * 1e6) / 1e6
        }
        pairs.set(key, p)
      }
      return {
        links,
        pairs: [...pairs.values()].sort((a, b) => b.open - a.open || b.blockedDaysOpen - a.blockedDaysOpen || b.links - a.links),
      }
    },
  )
}
