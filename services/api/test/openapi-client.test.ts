import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { computeOrgMetrics } from '@orgpulse/metrics'
import type { FastifyInstance } from 'fastify'
import createClient, { type Client } from 'openapi-fetch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from '../src/auth/tokens.ts'
import { GENERATED_TYPES, generateClientTypes } from './client/generate.ts'
import type { paths } from './client/openapi.gen.ts'
import { loadFixtureActivity } from './fixture.ts'
import { config, freshClickHouse, importFixtureOrg } from './helpers.ts'
import { documentedApp, liveDocument } from './openapi-doc.ts'

/*
 * A client generated from the document (openapi-typescript types, openapi-fetch calls) against
 * the app listening on a port: what a consumer of the api would write. The types are the
 * committed test/client/openapi.gen.ts, so `tsc` over the workspace checks every call below.
 */

let client: ClickHouseClient
let app: FastifyInstance
let api: Client<paths>

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await loadFixtureActivity(client)
  app = await documentedApp(client)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  // an org token, as a director's tooling would hold (services/api/ACCESS.md)
  const { token } = await createToken(client, { scope: 'org', org: 'dir@x.io' })
  api = createClient<paths>({
    baseUrl: `http://127.0.0.1:${port}`,
    headers: { authorization: `Bearer ${token}` },
  })
})

afterAll(async () => {
  await app?.close()
  await client?.close()
})

describe('the client generated from /docs/json', () => {
  it('is generated from the live document (the committed types are fresh)', async () => {
    const generated = await generateClientTypes(await liveDocument(app))
    const committed = readFileSync(GENERATED_TYPES, 'utf8')
    expect(
      generated === committed,
      'test/client/openapi.gen.ts is stale: run `pnpm --filter @orgpulse/api client:generate` and commit it',
    ).toBe(true)
  })

  it("reads a director's org tree (getOrgTree)", async () => {
    const { data, error, response } = await api.GET('/v1/orgs/{director}', {
      params: { path: { director: 'dir@x.io' } },
    })
    expect(response.status).toBe(200)
    expect(error).toBeUndefined()
    expect(data?.rootUnit).toBe('u:dir@x.io')
    expect(data?.units.map((u) => [u.unitId, u.managerName, u.totalPeople])).toEqual([
      ['u:dir@x.io', 'Dana Director', 10],
      ['u:m2@x.io', 'Max Manager', 3],
      ['u:m1@x.io', 'Mia Manager', 6],
    ])
  })

  it("reads the org's metrics over a window (getOrgMetrics), the same as computing them", async () => {
    const window = { from: '2026-07-01', to: '2026-10-01' }
    const { data, response } = await api.GET('/v1/orgs/{director}/metrics', {
      params: { path: { director: 'dir@x.io' }, query: window },
    })
    expect(response.status).toBe(200)
    expect(data?.org).toBe('dir@x.io')
    expect(data?.teams.map((t) => t.manager).sort()).toEqual(['m1@x.io', 'm2@x.io'])
    expect(data).toEqual(
      JSON.parse(
        // computed for the token's org: its teams' leaders' individual metrics are withheld
        JSON.stringify(
          await computeOrgMetrics(client, config, {
            director: 'dir@x.io',
            ...window,
            viewer: { kind: 'org', org: 'dir@x.io' },
          }),
        ),
      ),
    )
  })

  it('gets the typed error body outside the token scope (404, same as a missing org)', async () => {
    const { data, error, response } = await api.GET('/v1/orgs/{director}/metrics', {
      params: { path: { director: 'dir2@x.io' }, query: { from: '2026-07-01', to: '2026-10-01' } },
    })
    expect(response.status).toBe(404)
    expect(data).toBeUndefined()
    expect(typeof error?.error).toBe('string')
  })
})

/** never called: `tsc` proves the generated types refuse what the api would refuse */
export function typeChecks(c: Client<paths>): void {
  // @ts-expect-error the org metrics need a window
  void c.GET('/v1/orgs/{director}/metrics', { params: { path: { director: 'dir@x.io' } } })
  // @ts-expect-error no such route
  void c.GET('/v1/org/{director}', { params: { path: { director: 'dir@x.io' } } })
}
