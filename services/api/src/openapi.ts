import swagger, { type SwaggerOptions } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { $ZodType } from 'zod/v4/core'

type Transform = NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>['transform']>

const isZod = (v: unknown): boolean => v instanceof $ZodType

/**
 * Zod route schemas go through the zod transform; plain JSON-schema routes (the decision ingest
 * route, pages) are passed through untouched, so both kinds land in one document.
 */
const transform: Transform = (document) => {
  const s = document.schema as Record<string, unknown> | undefined
  if (!s) return { schema: document.schema, url: document.url }
  const parts = [s.params, s.querystring, s.body, s.headers]
  const response = s.response as Record<string, unknown> | undefined
  const responseSchemas = Object.values(response ?? {}).flatMap((r) => {
    const content = (r as { content?: Record<string, { schema?: unknown }> } | undefined)?.content
    return content ? Object.values(content).map((c) => c.schema) : [r]
  })
  if ([...parts, ...responseSchemas].some(isZod)) return jsonSchemaTransform(document)
  return { schema: document.schema, url: document.url }
}

/** The generated OpenAPI 3 document at /docs/json, Swagger UI at /docs. Register before any route. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'orgpulse api',
        description:
          "Decision-health metrics for a director's org. Every /v1 route takes `Authorization: Bearer <token>` (`orgpulse tokens create`); an org token sees its director's subtree only, anything else answers 404.",
        version: '1.0.0',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'orgs', description: 'org trees and directors' },
        { name: 'metrics', description: 'the metric catalog, evaluated' },
        { name: 'decisions', description: 'the decision log' },
        { name: 'dependencies', description: 'cross-team blockers' },
        { name: 'exports', description: 'quarterly-review exports' },
        { name: 'admin', description: 'admin tokens only' },
        { name: 'operations', description: 'health and metrics' },
      ],
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}
