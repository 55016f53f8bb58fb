import SwaggerParser from '@apidevtools/swagger-parser'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { type Env, parseEnv } from '@orgpulse/contracts'
import { metricsPlugin } from '@orgpulse/http'
import { MemoryBus } from '@orgpulse/kafka'
import Fastify from 'fastify'
import type { OpenAPIV3 } from 'openapi-types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { DEFAULT_SERVER_URL } from '../src/openapi.ts'
import { config, freshClickHouse } from './helpers.ts'

let client: ClickHouseClient
let doc: OpenAPIV3.Document

beforeAll(async () => {
  client = (await freshClickHouse()).client
  const api = await buildApp({
    client,
    bus: new MemoryBus(),
    config,
    auth: 'tokens',
    runCli: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    cliSecret: 'secret',
  })
  await api.ready()
  doc = (await api.inject({ method: 'GET', url: '/docs/json' }).then((r) => r.json())) as OpenAPIV3.Document
  const html = await api.inject({ method: 'GET', url: '/docs/' })
  expect(html.statusCode).toBe(200)
  expect(html.headers['content-type']).toMatch(/text\/html/)
  await api.close()
})

afterAll(async () => {
  await client?.close()
})

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3 document', async () => {
    // validate() dereferences in place: give it a copy
    const validated = (await SwaggerParser.validate(
      structuredClone(doc) as OpenAPIV3.Document,
    )) as OpenAPIV3.Document
    expect(validated.openapi).toBe('3.0.3')
  })

  it('documents exactly the public routes, with fastify path parameters in OpenAPI form', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) =>
        Object.keys(item ?? {})
          .filter((k) => ['get', 'post', 'put', 'delete', 'patch'].includes(k))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort()
    expect(documented).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /v1/decisions',
        'GET /v1/orgs',
        'GET /v1/orgs/{director}',
        'GET /v1/orgs/{director}/metrics',
        'GET /v1/orgs/{director}/teams/{team}/metrics',
        'GET /v1/orgs/{director}/decisions',
        'GET /v1/orgs/{director}/dependencies',
        'GET /v1/orgs/{director}/exports/quarterly',
        'GET /v1/orgs/{director}/review',
        'GET /v1/identities/unresolved',
      ].sort(),
    )
  })

  it('documents the 2-year cap on a metrics window', () => {
    for (const path of ['/v1/orgs/{director}/metrics', '/v1/orgs/{director}/teams/{team}/metrics']) {
      const op = doc.paths[path]!.get!
      expect(op.description).toMatch(/longer than 731 days \(2 years\) answers 400/)
      const to = (op.parameters as OpenAPIV3.ParameterObject[]).find((p) => p.name === 'to')!
      expect(to.description ?? (to.schema as OpenAPIV3.SchemaObject).description).toMatch(/at most 731 days/)
    }
  })

  it('describes parameters, bearer auth and responses from the zod schemas', () => {
    const decisions = doc.paths['/v1/orgs/{director}/decisions']!.get!
    const params = (decisions.parameters as OpenAPIV3.ParameterObject[]).map(
      (p) => `${p.in}:${p.name}${p.required ? '!' : ''}`,
    )
    expect(params.sort()).toEqual(
      [
        'path:director!',
        'query:status',
        'query:team',
        'query:escalated',
        'query:decider',
        'query:waitingOn',
        'query:from',
        'query:to',
        'query:limit',
        'query:cursor',
      ].sort(),
    )
    expect(decisions.security).toEqual([{ bearerAuth: [] }])
    expect(doc.components?.securitySchemes?.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' })
    expect(Object.keys(decisions.responses).sort()).toEqual(['200', '400', '401', '404', '429'])
    const exportOp = doc.paths['/v1/orgs/{director}/exports/quarterly']!.get!
    const ok = exportOp.responses['200'] as OpenAPIV3.ResponseObject
    expect(Object.keys(ok.content ?? {}).sort()).toEqual([
      'application/vnd.apache.parquet',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/x-ndjson',
      'application/zip',
      'text/csv',
    ])
    const format = (exportOp.parameters as OpenAPIV3.ParameterObject[]).find((p) => p.name === 'format')!
    expect((format.schema as OpenAPIV3.SchemaObject).enum).toEqual([
      'csv',
      'json',
      'parquet',
      'review-zip',
      'xlsx',
    ])
    const review = doc.paths['/v1/orgs/{director}/review']!.get!
    expect(Object.keys((review.responses['200'] as OpenAPIV3.ResponseObject).content ?? {}).sort()).toEqual([
      'application/json',
      'text/html',
    ])
  })
})

describe('the servers the document names', () => {
  const servers = async (deps: { serverUrl?: string; env?: Env }) => {
    const a = await buildApp({ client, bus: new MemoryBus(), config, auth: 'tokens', ...deps })
    const d = (await a
      .inject({ method: 'GET', url: '/docs/json' })
      .then((r) => r.json())) as OpenAPIV3.Document
    await a.close()
    return d.servers?.map((s) => s.url)
  }

  it('is the local default, the address the caller listens on, or ORGPULSE_API_PUBLIC_URL over both', async () => {
    expect(doc.servers?.map((s) => s.url)).toEqual([DEFAULT_SERVER_URL])
    expect(await servers({ serverUrl: 'http://127.0.0.1:4321' })).toEqual(['http://127.0.0.1:4321'])
    const env = parseEnv({ ORGPULSE_API_PUBLIC_URL: 'https://orgpulse.example.com' })
    expect(await servers({ serverUrl: 'http://127.0.0.1:4321', env })).toEqual([
      'https://orgpulse.example.com',
    ])
  })
})

describe('Prometheus /metrics', () => {
  it('counts requests per route pattern and exposes process metrics', async () => {
    const a = Fastify()
    await a.register(metricsPlugin, { service: 'test-service' })
    a.get('/things/:id', async () => ({ ok: true }))
    await a.inject({ method: 'GET', url: '/things/1' })
    await a.inject({ method: 'GET', url: '/things/2' })
    await a.inject({ method: 'GET', url: '/nowhere' })
    const res = await a.inject({ method: 'GET', url: '/metrics' })
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.body).toContain(
      'orgpulse_http_requests_total{method="GET",route="/things/:id",status="200",service="test-service"} 2',
    )
    expect(res.body).toContain(
      'orgpulse_http_requests_total{method="GET",route="unmatched",status="404",service="test-service"} 1',
    )
    expect(res.body).toContain(
      'orgpulse_http_request_duration_seconds_count{service="test-service",method="GET",route="/things/:id"} 2',
    )
    expect(res.body).toContain('orgpulse_process_resident_memory_bytes{service="test-service"}')
    await a.close()
  })
})
