import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, OrgpulseError, toClickHouseTime, unitIdFor } from '@orgpulse/contracts'
import { registerErrorHandler } from '@orgpulse/http'
import * as metrics from '@orgpulse/metrics'
import {
  DECISION_FILTERS,
  DEPENDENCY_FILTERS,
  type DecisionItemFilter,
  type DependencyItemFilter,
  decisionItems,
  dependencyItems,
  METRICS,
  type Viewer,
} from '@orgpulse/metrics'
import { type Director, listDirectors } from '@orgpulse/org'
import { buildReview, reviewHtml } from '@orgpulse/review'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { assertOrgVisible, NotFoundError, teamInOrg } from '../queries/scope.ts'
import { viewerOf } from '../routes/viewer.ts'
import { figureOf, namesAt, scopeData, statusOf, teamsOf } from './data.ts'
import { errorHtml } from './html.ts'
import { lastCompleteWeekEnd, type PageRange, parseRange, quarterOf, WEEK } from './range.ts'
import {
  type DirectorStatus,
  decisionsHtml,
  dependenciesHtml,
  directorsHtml,
  type ListPage,
  loadHtml,
  type RitualRow,
  scopeHtml,
  type TeamPairRow,
} from './views.ts'

export interface PagesOptions {
  client: ClickHouseClient
  config: OrgpulseConfig
  /** the clock the default window (the last complete week) is read from; tests pin it */
  now?: () => Date
}

const require = createRequire(import.meta.url)
/** ECharts from node_modules, never a CDN: the pages work offline */
const ECHARTS = readFileSync(require.resolve('echarts/dist/echarts.min.js'))
// a browser script, not compiled: read from src/ whether this module runs from src/ or dist/
const CLIENT = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'pages', 'client.js'),
)

const html = (reply: FastifyReply, body: string, code = 200) =>
  reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body)

/** a failure of a page answers a styled page with a way back, never JSON or an unstyled line */
function pageFailure(reply: FastifyReply, err: unknown, back: { href: string; label: string }) {
  if (err instanceof OrgpulseError && (err.kind === 'not_found' || err instanceof NotFoundError))
    return html(reply, errorHtml(404, err.message, back), 404)
  if (err instanceof OrgpulseError && err.kind === 'invalid_input')
    return html(reply, errorHtml(400, err.message, back), 400)
  throw err
}

const lower = (s: string) => decodeURIComponent(s).trim().toLowerCase()

interface Who {
  email: string
  name: string
  /** leads a unit with managers below it (a director), or only a team */
  director: boolean
}

/** the person leading `email`'s unit in the org valid at `at`, or null when they lead none */
async function leaderOf(client: ClickHouseClient, email: string, at: Date): Promise<Who | null> {
  const units = await metrics.unitsUnder(client, email, at)
  const root = units.find((u) => u.depth === 0)
  if (!root) return null
  const { people } = await namesAt(client, at)
  // a unit with units below it that have managers of their own is an org of managers
  const director = units.some((u) => u.depth === 1)
  return { email, name: people.get(email) ?? email, director }
}

/**
 * Built-in pages for embedded mode (`pnpm start`): the director list, an org page per director
 * with its teams, and the decisions, dependencies and load pages behind every figure. Every page
 * is a read (`auth: 'read'`): an org token opens its own org's pages only (assertOrgVisible).
 */
export async function pagesRoutes(app: FastifyInstance, options: PagesOptions): Promise<void> {
  const { client, config } = options
  const now = options.now ?? (() => new Date())
  const hide = { schema: { hide: true }, config: { auth: 'read' as const } }
  const assets = { schema: { hide: true }, config: { auth: 'public' as const } }
  const home = { href: '/', label: 'Back to the directors' }

  app.get('/assets/echarts.min.js', assets, async (_req, reply) =>
    reply.type('application/javascript').header('cache-control', 'public, max-age=86400').send(ECHARTS),
  )
  // browsers ask for it on every page: an empty answer, not a 404 in the console
  app.get('/favicon.ico', assets, async (_req, reply) => reply.code(204).send())
  app.get('/assets/pages.js', assets, async (_req, reply) =>
    reply.type('application/javascript').send(CLIENT),
  )

  const jiraBase = config.jira?.baseUrl?.replace(/\/+$/, '')
  const sourceUrl = (source: string, id: string): string | null => {
    if (source === 'jira' && jiraBase && /^[A-Z][A-Z0-9_]*-\d+$/.test(id))
      return `${jiraBase}/browse/${encodeURIComponent(id)}`
    if (/^https?:\/\//.test(id)) return id
    return null
  }

  app.get('/', hide, async (req, reply) => {
    const at = now()
    const end = lastCompleteWeekEnd(at)
    const week = { from: new Date(end.getTime() - WEEK), to: end }
    const before = { from: new Date(end.getTime() - 2 * WEEK), to: week.from }
    const all = await listDirectors(client, at)
    const visible: Director[] = []
    for (const d of all) {
      try {
        await assertOrgVisible(client, req.principal, d.email)
        visible.push(d)
      } catch {}
    }
    const viewer = viewerOf(req)
    const list = await directorStatuses(client, config, visible, week, before, viewer)
    // a team manager's token leads no org of managers: its own page is the team page
    const p = req.principal
    const own = p?.kind === 'org' && !visible.some((d) => d.email === p.org) ? p.org : undefined
    return html(reply, directorsHtml(list, own))
  })

  /** the director (or team manager) a page belongs to, visible to the caller */
  const resolve = async (req: FastifyRequest, raw: string): Promise<Who> => {
    const email = await assertOrgVisible(client, req.principal, lower(raw))
    const who = await leaderOf(client, email, lastCompleteWeekEnd(now()))
    if (!who) throw new NotFoundError(`${email} leads no team or org in the org chart`)
    return who
  }

  const teamQuery = (q: Record<string, unknown>) =>
    typeof q.team === 'string' && q.team ? q.team : undefined

  app.get('/orgs/:director', hide, async (req, reply) => {
    const raw = (req.params as { director: string }).director
    try {
      const q = req.query as Record<string, unknown>
      const who = await resolve(req, raw)
      const range = parseRange(q, now())
      const team = teamQuery(q)
      if (team) {
        const unit = await teamInOrg(client, who.email, team)
        const qs = new URLSearchParams(range.query).toString()
        return reply.redirect(
          `/orgs/${encodeURIComponent(who.email)}/teams/${encodeURIComponent(unit)}${qs ? `?${qs}` : ''}`,
          303,
        )
      }
      return html(reply, await renderScope(req, who, who.email, range, who.director ? 'org' : 'team'))
    } catch (err) {
      return pageFailure(reply, err, home)
    }
  })

  app.get('/orgs/:director/teams/:unit', hide, async (req, reply) => {
    const p = req.params as { director: string; unit: string }
    try {
      const who = await resolve(req, p.director)
      const unit = await teamInOrg(client, who.email, lower(p.unit))
      const range = parseRange(req.query as Record<string, unknown>, now())
      return html(reply, await renderScope(req, who, unit.slice(2), range, 'team'))
    } catch (err) {
      return pageFailure(reply, err, {
        href: `/orgs/${encodeURIComponent(lower(p.director))}`,
        label: 'Back to the org',
      })
    }
  })

  async function renderScope(
    req: FastifyRequest,
    who: Who,
    manager: string,
    range: PageRange,
    kind: 'org' | 'team',
  ) {
    const [data, names, teams] = await Promise.all([
      scopeData(client, config, {
        director: who.email,
        manager,
        range,
        viewer: viewerOf(req),
        query: {
          ...range.query,
          team: kind === 'team' && manager !== who.email ? `u:${manager}` : undefined,
        },
      }),
      namesAt(client, range.to),
      teamsOf(client, who.email, range.to),
    ])
    const name = kind === 'team' ? (names.units.get(`u:${manager}`) ?? manager) : who.name
    return scopeHtml(data, { kind, name, directorName: who.name, teams, now: now() })
  }

  /** shared by the list pages: who, range, scope (org or a team of it), names */
  async function listContext(req: FastifyRequest, filters: readonly string[], fallback: string) {
    const raw = (req.params as { director: string }).director
    const q = req.query as Record<string, unknown>
    const who = await resolve(req, raw)
    const range = parseRange(q, now())
    const team = teamQuery(q)
    const scope = team ? await teamInOrg(client, who.email, team) : unitIdFor(who.email)
    const filter = typeof q.filter === 'string' && q.filter ? q.filter : fallback
    if (!filters.includes(filter))
      throw new OrgpulseError(
        'invalid_input',
        `filter must be one of ${filters.join(', ')} (got "${filter}")`,
      )
    const [names, teams] = await Promise.all([
      namesAt(client, range.to),
      teamsOf(client, who.email, range.to),
    ])
    const page: ListPage = {
      director: who.email,
      directorName: who.name,
      scopeName: team ? (names.units.get(scope) ?? scope) : `${who.name}'s org`,
      team: team ? scope : undefined,
      range,
      filter,
      now: now(),
      teams,
      names,
      sourceUrl,
    }
    return { who, range, scope, filter, page }
  }

  app.get('/orgs/:director/decisions', hide, async (req, reply) => {
    try {
      const c = await listContext(req, DECISION_FILTERS, 'open')
      const items = await decisionItems(client, {
        scope: c.scope,
        from: c.range.from,
        to: c.range.to,
        filter: c.filter as DecisionItemFilter,
      })
      return html(reply, decisionsHtml(c.page, items))
    } catch (err) {
      return pageFailure(reply, err, home)
    }
  })

  app.get('/orgs/:director/dependencies', hide, async (req, reply) => {
    try {
      const c = await listContext(req, DEPENDENCY_FILTERS, 'open')
      const w = { scope: c.scope, from: c.range.from, to: c.range.to }
      const [items, open] = await Promise.all([
        dependencyItems(client, { ...w, filter: c.filter as DependencyItemFilter }),
        c.filter === 'open' ? null : dependencyItems(client, { ...w, filter: 'open' }),
      ])
      return html(reply, dependenciesHtml(c.page, items, teamPairs(open ?? items)))
    } catch (err) {
      return pageFailure(reply, err, home)
    }
  })

  // the quarterly review (packages/review): the same self-contained file `orgpulse review` writes
  app.get('/orgs/:director/review', hide, async (req, reply) => {
    try {
      const raw = (req.params as { director: string }).director
      const q = req.query as Record<string, unknown>
      const email = await assertOrgVisible(client, req.principal, lower(raw))
      const at = now()
      const quarter = typeof q.quarter === 'string' && q.quarter ? q.quarter : quarterOf(at)
      const report = await buildReview(client, config, {
        director: email,
        quarter,
        viewer: viewerOf(req),
        now: at,
      })
      return html(reply, reviewHtml(report))
    } catch (err) {
      return pageFailure(reply, err, home)
    }
  })

  app.get('/orgs/:director/load', hide, async (req, reply) => {
    try {
      const raw = (req.params as { director: string }).director
      const q = req.query as Record<string, unknown>
      const who = await resolve(req, raw)
      const range = parseRange(q, now())
      const team = teamQuery(q)
      const scope = team ? await teamInOrg(client, who.email, team) : unitIdFor(who.email)
      const manager = scope.slice(2)
      const [data, names, teams, rituals] = await Promise.all([
        scopeData(client, config, {
          director: who.email,
          manager,
          range,
          viewer: viewerOf(req),
          query: { ...range.query, team: team ? scope : undefined },
        }),
        namesAt(client, range.to),
        teamsOf(client, who.email, range.to),
        ritualRows(client, config, scope, range),
      ])
      return html(
        reply,
        loadHtml(data, {
          kind: team ? 'team' : 'org',
          name: team ? (names.units.get(scope) ?? scope) : `${who.name}'s org`,
          directorName: who.name,
          teams,
          now: now(),
          rituals,
          configured: config.calendar?.rituals?.length ?? 0,
        }),
      )
    } catch (err) {
      return pageFailure(reply, err, home)
    }
  })
}

/** each configured ritual's cadence periods in the window (the relation ritual_adherence reads) */
async function ritualRows(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  scope: string,
  range: PageRange,
): Promise<RitualRow[]> {
  const rows = await metrics.ritualHistory(client, config, { scope, from: range.from, to: range.to })
  return rows.map((r) => ({ name: r.name, cadence: r.cadence, owner: r.owner ?? '', periods: r.periods }))
}

/** team pairs of the open links, worst first: the one ranking (packages/metrics team-pairs.ts) */
export function teamPairs(links: metrics.DependencyItem[]): TeamPairRow[] {
  const open = links.filter((l) => l.openAtEnd)
  return metrics
    .rankTeamPairs(open, (l) => ({
      blockerTeam: l.blockerUnit,
      blockedTeam: l.blockedUnit,
      open: true,
      ageDays: l.ageDays,
    }))
    .map((p) => ({
      blockerTeam: p.blockerTeam,
      blockedTeam: p.blockedTeam,
      open: p.open,
      oldestOpenAgeDays: p.oldestOpenAgeDays,
      links: p.links,
    }))
}

/**
 * Every visible director's status over the last complete week and the week before, judged the
 * way computeOrgMetrics judges an org (judgeTree over the whole tree, then the individual rule),
 * but for all directors of a tree in one evaluation: the list stays fast with many directors.
 */
async function directorStatuses(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  directors: Director[],
  week: { from: Date; to: Date },
  before: { from: Date; to: Date },
  viewer: Viewer,
): Promise<DirectorStatus[]> {
  if (directors.length === 0) return []
  const forest = await metrics.unitForest(client, week.to)
  const trees = new Map<string, metrics.ForestUnit[]>()
  for (const d of directors) {
    const tree = metrics.treeOf(forest, unitIdFor(d.email))
    trees.set(tree[0]?.unit_id ?? d.email, tree)
  }
  const judged = new Map<string, Map<string, metrics.ScopeMetrics>>()
  for (const tree of trees.values()) {
    if (tree.length === 0) continue
    const out = await metrics.judgeTree(client, config, tree, [week, before])
    for (const [unit, per] of out) judged.set(unit, per)
  }
  const key = (d: Date) => toClickHouseTime(d)
  return directors.map((d): DirectorStatus => {
    const per = judged.get(unitIdFor(d.email))
    const cur = per?.get(key(week.from))
    const prev = per?.get(key(before.from))
    if (!cur || !prev)
      return { director: d, window: week, flagged: [], changes: [], error: 'no figures for this org' }
    metrics.applyIndividual(cur, d.email, viewer)
    metrics.applyIndividual(prev, d.email, viewer)
    const flagged: DirectorStatus['flagged'] = []
    const changes: (DirectorStatus['changes'][number] & { size: number })[] = []
    for (const m of METRICS) {
      const f = figureOf(cur, m)
      const s = statusOf(m, f.value)
      if (s === 'critical' || s === 'warn') flagged.push({ id: m.id, status: s, figure: f })
      const p = figureOf(prev, m)
      if (f.value !== null && p.value !== null && f.value !== p.value && m.direction !== 'neutral') {
        // relative size of the move, so hours and ratios compare
        const size = Math.abs(f.value - p.value) / Math.max(Math.abs(p.value), 1e-9)
        changes.push({ id: m.id, from: p.value, to: f.value, size })
      }
    }
    flagged.sort((a, b) => (a.status === b.status ? 0 : a.status === 'critical' ? -1 : 1))
    changes.sort((a, b) => b.size - a.size)
    return { director: d, window: week, flagged, changes: changes.slice(0, 3).map(({ size: _, ...c }) => c) }
  })
}

/** just the pages, on their own server (tests; a pages-only process) */
export async function pagesApp(options: PagesOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  registerErrorHandler(app)
  // no auth plugin here: every caller is the local operator
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (req) => {
    req.principal = { kind: 'local' }
  })
  await app.register(pagesRoutes, options)
  return app
}
