import { rmSync } from 'node:fs'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import { readSnapshot, scimSource, syncOrg } from '@orgpulse/org'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { config, freshClickHouse } from './helpers.ts'

/*
 * The test plays the provisioning clients, with the requests their docs show:
 * - Okta: https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20 (lookup by
 *   `userName eq`, create with `password` and `groups`, PUT of the whole user, deactivation as a
 *   path-less PATCH);
 * - Entra ID: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
 *   (lookups by `userName eq` and `externalId eq`, capitalised ops, `emails[type eq "work"].value`,
 *   the manager as `urn:…:enterprise:2.0:User:manager` with the id as a string, `active` "False").
 */
const TOKEN = 'scim-secret-0123456789'
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
let client: ClickHouseClient
let dir: string
let api: FastifyInstance

beforeAll(async () => {
  ;({ client, dir } = await freshClickHouse())
  api = await buildApp({
    client,
    bus: new MemoryBus(),
    config,
    auth: 'tokens',
    env: parseEnv({ ORGPULSE_SCIM_TOKEN: TOKEN }),
  })
  await api.ready()
})
afterAll(async () => {
  await api?.close()
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

const scim = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  token = TOKEN,
) =>
  api.inject({
    method,
    url: `/scim/v2${url}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}`

describe('SCIM 2.0 endpoint', () => {
  it('refuses requests without its bearer token, and api tokens are not it', async () => {
    const none = await api.inject({ method: 'GET', url: '/scim/v2/Users' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['content-type']).toContain('application/scim+json')
    expect(none.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '401',
      detail: 'a valid bearer token is required',
    })
    expect((await scim('GET', '/Users', undefined, 'wrong')).statusCode).toBe(401)
  })

  it('answers the discovery resources', async () => {
    const spc = (await scim('GET', '/ServiceProviderConfig')).json()
    expect(spc.patch).toEqual({ supported: true })
    expect(spc.filter.supported).toBe(true)
    expect(spc.authenticationSchemes[0].type).toBe('oauthbearertoken')
    const types = (await scim('GET', '/ResourceTypes')).json()
    expect(types.Resources.map((r: { id: string }) => r.id)).toEqual(['User'])
    const schemas = (await scim('GET', '/Schemas')).json()
    expect(schemas.Resources.map((r: { id: string }) => r.id)).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      ENT,
    ])
  })

  it('Okta: lookup, create, read, replace, deactivate', async () => {
    const none = await scim('GET', `${q('userName eq "ceo@x.com"')}&startIndex=1&count=100`)
    expect(none.json()).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] })
    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'ceo@x.com',
      name: { givenName: 'Cleo', familyName: 'Chief' },
      emails: [{ primary: true, value: 'ceo@x.com', type: 'work' }],
      displayName: 'Cleo Chief',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    })
    expect(created.statusCode).toBe(201)
    const ceo = created.json()
    expect(ceo.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(ceo.password).toBeUndefined()
    expect(ceo.meta).toMatchObject({
      resourceType: 'User',
      location: `http://localhost:80/scim/v2/Users/${ceo.id}`,
    })
    expect(created.headers.location).toBe(ceo.meta.location)
    // userName is unique, case-insensitively
    const dup = await scim('POST', '/Users', { userName: 'CEO@x.com' })
    expect(dup.statusCode).toBe(409)
    expect(dup.json()).toMatchObject({ status: '409', scimType: 'uniqueness' })

    const found = (await scim('GET', q('userName eq "CEO@X.COM"'))).json()
    expect(found.totalResults).toBe(1)
    expect(found.Resources[0].id).toBe(ceo.id)
    expect((await scim('GET', `/Users/${ceo.id}`)).json().displayName).toBe('Cleo Chief')

    const put = await scim('PUT', `/Users/${ceo.id}`, { ...ceo, title: 'CEO', meta: undefined })
    expect(put.statusCode).toBe(200)
    expect(put.json()).toMatchObject({ title: 'CEO', userName: 'ceo@x.com', active: true })

    const temp = (await scim('POST', '/Users', { userName: 'temp@x.com', displayName: 'Temp' })).json()
    const off = await scim('PATCH', `/Users/${temp.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    expect(off.json().active).toBe(false)
  })

  it('Entra ID: lookup by externalId, capitalised ops, the manager by path, "False"', async () => {
    const ceo = (await scim('GET', q('userName eq "ceo@x.com"'))).json().Resources[0]
    const post = (user: string, external: string) =>
      scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
        externalId: external,
        userName: `${user}@x.com`,
        active: true,
        emails: [{ primary: true, type: 'work', value: `${user}@x.com` }],
        meta: { resourceType: 'User' },
        name: { formatted: `${user} Person`, familyName: 'Person', givenName: user },
        roles: [],
        [ENT]: { department: 'Engineering' },
      })
    const em = (await post('em', '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef')).json()
    const dev = (await post('dev', '1b32a1a3-9e3b-4f9f-c0a9-8474d5bfe5f0')).json()
    const byExternal = (await scim('GET', q('externalId eq "1b32a1a3-9e3b-4f9f-c0a9-8474d5bfe5f0"'))).json()
    expect(byExternal.Resources.map((r: { id: string }) => r.id)).toEqual([dev.id])

    // RFC 7644 §3.4.2.4 paging: ceo, temp, em, dev so far
    const page = (await scim('GET', '/Users?startIndex=2&count=1')).json()
    expect([page.totalResults, page.startIndex, page.itemsPerPage, page.Resources.length]).toEqual([
      4, 2, 1, 1,
    ])
    const patch = (id: string, Operations: unknown[]) =>
      scim('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations })
    expect((await patch(em.id, [{ op: 'Add', path: `${ENT}:manager`, value: ceo.id }])).statusCode).toBe(200)
    const updated = (
      await patch(dev.id, [
        { op: 'Add', path: `${ENT}:manager`, value: em.id },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'dev.new@x.com' },
        { op: 'Replace', path: 'name.familyName', value: 'Renamed' },
        { op: 'Replace', path: 'title', value: 'Engineer' },
      ])
    ).json()
    expect(updated[ENT]).toEqual({ department: 'Engineering', manager: { value: em.id } })
    expect(updated.emails).toEqual([{ primary: true, type: 'work', value: 'dev.new@x.com' }])
    expect(updated.name.familyName).toBe('Renamed')
    // the manager also as {value}, as RFC 7643 writes it
    const again = (
      await patch(dev.id, [{ op: 'replace', path: `${ENT}:manager`, value: { value: em.id } }])
    ).json()
    expect(again[ENT].manager).toEqual({ value: em.id })

    const bad = await patch(dev.id, [{ op: 'Move', path: 'title', value: 'x' }])
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ status: '400', scimType: 'invalidSyntax' })
    const badFilter = await scim('GET', q('title co "x"'))
    expect(badFilter.json()).toMatchObject({ status: '400', scimType: 'invalidFilter' })

    // the users become the org: dev reports to em, em to the CEO; temp is inactive
    const result = await syncOrg({
      client,
      source: scimSource(client),
      now: () => new Date('2026-05-04T06:00:00Z'),
    })
    expect(result.status).toBe('applied')
    const org = await readSnapshot(client, '2026-05-04')
    expect(org?.people.map((p) => [p.personId, p.managerId, p.name, p.title])).toEqual([
      ['ceo@x.com', null, 'Cleo Chief', 'CEO'],
      ['dev.new@x.com', 'em@x.com', 'dev Person', 'Engineer'],
      ['em@x.com', 'ceo@x.com', 'em Person', ''],
    ])
    expect(org?.units.find((u) => u.managerId === 'em@x.com')?.name).toBe('Engineering')

    // disabling and deleting, as Entra does
    const disabled = (await patch(dev.id, [{ op: 'Replace', path: 'active', value: 'False' }])).json()
    expect(disabled.active).toBe(false)
    expect((await patch(em.id, [{ op: 'Remove', path: `${ENT}:manager` }])).json()[ENT]).toEqual({
      department: 'Engineering',
    })
    expect((await scim('DELETE', `/Users/${dev.id}`)).statusCode).toBe(204)
    const gone = await scim('GET', `/Users/${dev.id}`)
    expect(gone.statusCode).toBe(404)
    expect(gone.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
      detail: `User ${dev.id} not found`,
    })
    expect((await scim('DELETE', `/Users/${dev.id}`)).statusCode).toBe(404)
  })
})

describe('SCIM endpoint without a token configured', () => {
  it('refuses everything and says how to turn it on', async () => {
    const off = await buildApp({ client, bus: new MemoryBus(), config, auth: 'tokens' })
    try {
      const res = await off.inject({
        method: 'GET',
        url: '/scim/v2/Users',
        headers: { authorization: 'Bearer x' },
      })
      expect(res.statusCode).toBe(401)
      expect(res.json().detail).toContain('set ORGPULSE_SCIM_TOKEN')
    } finally {
      await off.close()
    }
  })
})
