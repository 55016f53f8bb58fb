import swagger, { type SwaggerOptions } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { OpenAPIV3 } from 'openapi-types'
import { $ZodType } from 'zod/v4/core'
import { declareAuth } from './auth/routes.ts'

type Transform = NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>['transform']>
type TransformObject = NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>['transformObject']>

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

/** every `#/components/schemas/<name>` that `node` refers to, at any depth */
function schemaRefs(node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const v of node) schemaRefs(v, found)
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/'))
        found.add(v.slice('#/components/schemas/'.length))
      else schemaRefs(v, found)
    }
  return found
}

/**
 * The zod transform emits every schema with a meta id twice, as `X` (output) and `XInput`
 * (input), whether or not any route reads it as input: the api's named schemas are responses, so
 * the `*Input` copies were unused components. Keep exactly the components the operations reach
 * (transitively); a schema that becomes a request body later comes back by itself.
 */
const transformObject: TransformObject = (document) => {
  const doc = jsonSchemaTransformObject(document) as OpenAPIV3.Document
  const all = doc.components?.schemas ?? {}
  const used = schemaRefs(doc.paths, new Set())
  for (let grew = true; grew; ) {
    const before = used.size
    for (const name of [...used]) schemaRefs(all[name], used)
    grew = used.size > before
  }
  const schemas = Object.fromEntries(Object.entries(all).filter(([name]) => used.has(name)))
  for (const item of Object.values(doc.paths))
    for (const op of Object.values(item ?? {}))
      for (const [status, res] of Object.entries((op as OpenAPIV3.OperationObject).responses ?? {})) {
        const r = res as OpenAPIV3.ResponseObject
        if (r.description === 'Default Response' && STATUS_MEANING[status])
          r.description = STATUS_MEANING[status]
      }
  return { ...doc, components: { ...doc.components, schemas } }
}

/**
 * What a status means on the /v1 routes (ACCESS.md, @orgpulse/http errors.ts): the zod routes share these
 * answers, so they are said once here instead of @fastify/swagger's "Default Response".
 */
const STATUS_MEANING: Record<string, string> = {
  200: 'OK',
  400: 'invalid input: `error` names the parameter and what is wrong',
  401: 'no token, or an unknown or revoked one',
  403: 'the token may not do this (an admin token is required)',
  404: "not found, or outside the token's org: the same answer, so a token cannot probe which orgs exist",
  429: "over the token's rate limit (see Retry-After)",
}

/**
 * The server the document names, so generated clients and Swagger UI's "try it out" point at the
 * api: ORGPULSE_API_PUBLIC_URL where it is reached at another address than it listens on (behind a
 * proxy, in compose), else the address the caller listens on, else the local default
 * (`orgpulse start` listens on 127.0.0.1:3000).
 */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:3000'

export interface OpenApiOptions {
  /** the address the api listens on, when known before it listens */
  serverUrl?: string
  /** ORGPULSE_API_PUBLIC_URL: where callers reach the api, over serverUrl */
  publicUrl?: string
}

/** The generated OpenAPI 3 document at /docs/json, Swagger UI at /docs. Register before any route. */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions = {}): Promise<void> {
  const fromEnv = options.publicUrl
  const serverUrl = fromEnv || options.serverUrl || DEFAULT_SERVER_URL
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      servers: [
        {
          url: serverUrl,
          description: fromEnv
            ? 'from ORGPULSE_API_PUBLIC_URL'
            : 'where this api listens (`orgpulse start`: 127.0.0.1:3000 unless --host/--port); ORGPULSE_API_PUBLIC_URL names another',
        },
      ],
      info: {
        title: 'orgpulse api',
        description:
          "Decision-health metrics for a director's org. Every /v1 route takes `Authorization: Bearer <token>` (`orgpulse tokens create`); an org token sees its director's subtree only, anything else answers 404.",
        version: '1.0.0',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'orgs', description: 'org trees and directors' },
        { name: 'metrics', description: 'the metric catalog, evaluated' },
        { name: 'decisions', description: 'the decision log' },
        { name: 'dependencies', description: 'cross-team blockers' },
        { name: 'exports', description: 'quarterly-review exports' },
        { name: 'review', description: 'the quarterly review (sections, coverage, refusals)' },
        { name: 'admin', description: 'admin tokens only' },
        { name: 'operations', description: 'health and metrics' },
        { name: 'webhooks', description: 'vendor deliveries, authenticated by signature' },
      ],
    },
    transform,
    transformObject,
  })
  // the document shows routes and schemas, never data: public, declared for every route the UI adds
  await app.register(async (scope) => {
    declareAuth(scope, 'public')
    await scope.register(swaggerUi, { routePrefix: '/docs' })
  })
}

/** `security` of an operation that takes a bearer token (every /v1 route) */
export const BEARER = [{ bearerAuth: [] }]
/**
 * `security` of an operation that takes no token. Explicit, so that "public" is a decision the
 * document states, not a token someone forgot: probes, scraping and signed vendor webhooks.
 */
export const PUBLIC: never[] = []

/**
 * The api's error body (`{error}`, see @orgpulse/http errors.ts) as plain JSON schema, for the routes
 * whose schemas are not zod (probes, webhooks, POST /v1/decisions). Extra fields stay: the rate
 * limiter's 429 adds `statusCode` and `message`, a refused decision batch its `records`.
 */
export function errorResponse(description: string): Record<string, unknown> {
  return {
    description,
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'number' } },
    additionalProperties: true,
  }
}

/**
 * The 4xx of a route that takes no input and no token (liveness, readiness, scraping): the route
 * itself never answers one; only the HTTP server refuses a request it cannot read (a malformed
 * request line, headers over Node's 16 KiB) before any route runs, with no body.
 */
export const PROBE_4XX = {
  description:
    'never from this route (it takes no input and no token): only the HTTP server refusing a request it cannot parse (400, 431 headers too large)',
  type: 'null',
}

/** the OpenAPI fields the api adds to a route another package registers */
export interface RouteDocs {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  security: { [scheme: string]: string[] }[]
  /** merged over the route's own responses */
  response?: Record<string, unknown>
}

/**
 * Documents routes that another package registers (the decision ingest route, the vendor
 * webhooks): what auth a route has is the api's to say where it mounts the route, not the
 * package's, which also runs in services without tokens. Call inside the scope that registers
 * them; a route registered there without docs fails the app's start, so none goes undocumented.
 */
export function documentRoutes(scope: FastifyInstance, docs: Record<string, RouteDocs>): void {
  scope.addHook('onRoute', (route) => {
    if (route.schema?.hide) return
    const key = `${[route.method].flat().join(',')} ${route.url}`
    const doc = docs[key]
    if (!doc) throw new Error(`documentRoutes: no OpenAPI docs for ${key}`)
    const own = (route.schema ?? {}) as Record<string, unknown>
    const response = { ...(own.response as Record<string, unknown> | undefined), ...doc.response }
    route.schema = { ...own, ...doc, response }
  })
}
