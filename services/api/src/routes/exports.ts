import { z } from 'zod'
import { quarterlyExport } from '../exports/quarterly.ts'
import { isReviewExportFormat, quarterlyReviewExport } from '../exports/review.ts'
import { assertOrgVisible } from '../queries/scope.ts'
import { directorParams, errorSchema, exportQuery } from '../schemas.ts'
import { SECURED, type V1Options, type ZodApp } from './context.ts'
import { viewerOf } from './viewer.ts'

const file = z.string().describe('see services/api/EXPORTS.md for the columns')

export function exportRoutes(app: ZodApp, { client, config }: V1Options): void {
  app.get(
    '/v1/orgs/:director/exports/quarterly',
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'exportQuarterly',
        summary:
          'Quarterly-review export: metrics (quarter, previous, change) per org and team, the decision log, the dependency table',
        description:
          'csv, json, parquet: one file, one row per record, a `section` column (`metrics`, `decisions`, `dependencies`) and the same columns in every format, streamed as ClickHouse renders it. review-zip, xlsx: the quarterly review (GET …/review) as one table per section (CSV files in a zip, or worksheets), rounded values with units, relative change, status, coverage flags and a README with the partial-quarter warning.',
        tags: ['exports'],
        security: SECURED,
        params: directorParams,
        querystring: exportQuery,
        produces: [
          'text/csv',
          'application/x-ndjson',
          'application/vnd.apache.parquet',
          'application/zip',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        ],
        response: {
          200: {
            description: 'the export file',
            content: {
              'text/csv': { schema: file },
              'application/x-ndjson': { schema: file },
              'application/vnd.apache.parquet': { schema: file },
              'application/zip': { schema: file },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: file },
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
      const format = req.query.format
      if (isReviewExportFormat(format)) {
        const review = await quarterlyReviewExport(client, config, {
          director,
          quarter: req.query.quarter,
          format,
          viewer: viewerOf(req),
        })
        reply
          .type(review.contentType)
          .header('content-disposition', `attachment; filename="${review.filename}"`)
          .header('x-orgpulse-tables', review.tables.join(', '))
        return reply.send(review.stream as unknown as string)
      }
      const out = await quarterlyExport(client, config, {
        director,
        quarter: req.query.quarter,
        format,
        viewer: viewerOf(req),
      })
      reply
        .type(out.contentType)
        .header('content-disposition', `attachment; filename="${out.filename}"`)
        .header(
          'x-orgpulse-rows',
          `metrics=${out.rows.metrics}, decisions=${out.rows.decisions}, dependencies=${out.rows.dependencies}`,
        )
      // a stream is sent as-is (no serializer); the typed reply only knows the documented body type
      return reply.send(out.stream as unknown as string)
    },
  )
}
