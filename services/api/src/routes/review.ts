import {
  buildReview,
  reviewCellSchema,
  reviewHtml,
  reviewReportSchema,
  reviewSectionSchema,
  reviewTableSchema,
} from '@orgpulse/review'
import { z } from 'zod'
import { assertOrgVisible } from '../queries/scope.ts'
import { directorParams, errorSchema, reviewQuery } from '../schemas.ts'
import { SECURED, type V1Options, type ZodApp } from './context.ts'
import { viewerOf } from './viewer.ts'

/**
 * The ReviewReport as documented: the model's own schema, except a cell's `value` (number, string
 * or null), which OpenAPI 3.0 cannot state as a nullable union with a type; the route answers
 * what buildReview validated against the model.
 */
const cellDoc = reviewCellSchema.extend({
  value: z
    .unknown()
    .describe('the raw figure: a number, a string (text, date, email), or null with `reason`'),
})
const reviewDoc = reviewReportSchema
  .extend({
    sections: z.array(
      reviewSectionSchema.extend({
        tables: z.array(reviewTableSchema.extend({ rows: z.array(z.record(z.string(), cellDoc)) })),
      }),
    ),
  })
  .meta({ id: 'ReviewReport' })

export function reviewRoutes(app: ZodApp, { client, config }: V1Options): void {
  app.get(
    '/v1/orgs/:director/review',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'getQuarterlyReview',
        summary:
          "The quarterly review of a director's org: structure changes, teams, centralisation, shape, portfolio, stability",
        description:
          '`format=json` (default): the ReviewReport (sections of tables whose cells carry value, unit, sample, change and status; each section its source coverage and, when a source covers under 90 % of the base period, why it refuses the comparison). `format=html`: the same as one self-contained HTML file (what `orgpulse review` writes).',
        tags: ['review'],
        security: SECURED,
        params: directorParams,
        querystring: reviewQuery,
        produces: ['application/json', 'text/html'],
        response: {
          200: {
            description: 'the review',
            content: {
              'application/json': { schema: reviewDoc },
              'text/html': { schema: z.string().describe('one self-contained HTML file') },
            },
          },
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const director = await assertOrgVisible(client, req.principal, req.params.director)
      const report = await buildReview(client, config, {
        director,
        quarter: req.query.quarter,
        viewer: viewerOf(req),
      })
      if (req.query.format === 'html')
        return reply.type('text/html; charset=utf-8').send(reviewHtml(report) as unknown as typeof report)
      return report
    },
  )
}
