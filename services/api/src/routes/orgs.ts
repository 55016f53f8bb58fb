import { unitIdFor } from '@orgpulse/contracts'
import { computeOrgMetrics } from '@orgpulse/metrics'
import { listDirectors, orgTree } from '@orgpulse/org'
import { assertOrgVisible, teamInOrg, unitUnder } from '../queries/scope.ts'
import {
  directorParams,
  errorSchema,
  metricsQuery,
  metricsResponse,
  orgsResponse,
  orgTreeResponse,
  teamParams,
  WINDOW_LIMIT_NOTE,
} from '../schemas.ts'
import { SECURED, type V1Options, type ZodApp } from './context.ts'
import { viewerOf } from './viewer.ts'

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 429: errorSchema }

export function orgRoutes(app: ZodApp, { client, config }: V1Options): void {
  app.get(
    '/v1/orgs',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'listOrgs',
        summary: 'Directors (managers of managers) whose org the caller may read',
        tags: ['orgs'],
        security: SECURED,
        response: { 200: orgsResponse, 401: errorSchema, 429: errorSchema },
      },
    },
    async (req) => {
      const directors = await listDirectors(client)
      const p = req.principal
      if (p?.kind !== 'org') return { orgs: directors }
      const visible = []
      for (const d of directors)
        if (d.email === p.org || (await unitUnder(client, d.unitId, unitIdFor(p.org)))) visible.push(d)
      return { orgs: visible }
    },
  )

  app.get(
    '/v1/orgs/:director',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'getOrgTree',
        summary: "A director's org tree (units, managers, headcounts) in the org valid now",
        tags: ['orgs'],
        security: SECURED,
        params: directorParams,
        response: { 200: orgTreeResponse, ...errors },
      },
    },
    async (req) => orgTree(client, await assertOrgVisible(client, req.principal, req.params.director)),
  )

  app.get(
    '/v1/orgs/:director/metrics',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'getOrgMetrics',
        summary:
          'Every catalog metric for the org and each team in it over [from, to), optionally week by week',
        description: WINDOW_LIMIT_NOTE,
        tags: ['metrics'],
        security: SECURED,
        params: directorParams,
        querystring: metricsQuery,
        response: { 200: metricsResponse, ...errors },
      },
    },
    async (req) => {
      const director = await assertOrgVisible(client, req.principal, req.params.director)
      return computeOrgMetrics(client, config, { director, ...req.query, viewer: viewerOf(req) })
    },
  )

  app.get(
    '/v1/orgs/:director/teams/:team/metrics',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'getTeamMetrics',
        summary:
          'Every catalog metric for one team (and the units below it) over [from, to), optionally week by week',
        description: WINDOW_LIMIT_NOTE,
        tags: ['metrics'],
        security: SECURED,
        params: teamParams,
        querystring: metricsQuery,
        response: { 200: metricsResponse, ...errors },
      },
    },
    async (req) => {
      const director = await assertOrgVisible(client, req.principal, req.params.director)
      const unit = await teamInOrg(client, director, req.params.team)
      // a team is the subtree its manager leads: the same computation, rooted at the team
      return computeOrgMetrics(client, config, {
        director: unit.slice(2),
        ...req.query,
        viewer: viewerOf(req),
      })
    },
  )
}
