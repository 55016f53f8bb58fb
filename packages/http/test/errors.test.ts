import { ERROR_KINDS, OrgpulseError } from '@orgpulse/contracts'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { errorReply, HTTP_STATUS, registerErrorHandler } from '../src/errors.ts'

describe('kind → HTTP status', () => {
  it('maps every kind, and only the kinds, to an error status', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_KINDS].sort())
    for (const kind of ERROR_KINDS) {
      expect(HTTP_STATUS[kind]).toBeGreaterThanOrEqual(400)
      expect(HTTP_STATUS[kind]).toBeLessThan(600)
    }
  })

  it('answers what the api answered before', () => {
    expect(HTTP_STATUS).toEqual({
      invalid_input: 400,
      forbidden: 403,
      not_found: 404,
      conflict: 409,
      config: 500,
      upstream: 502,
      unavailable: 503,
    })
  })
})

describe('errorReply', () => {
  it('tells a client error in `error` alone', () => {
    expect(errorReply(new OrgpulseError('not_found', 'no org led by x@y.io'))).toEqual({
      status: 404,
      body: { error: 'no org led by x@y.io' },
      log: false,
    })
  })

  it('keeps Fastify’s shape for a 5xx the client is told about, and logs it', () => {
    expect(errorReply(new OrgpulseError('unavailable', 'pipeline stalled'))).toEqual({
      status: 503,
      body: { statusCode: 503, error: 'Service Unavailable', message: 'pipeline stalled' },
      log: true,
    })
  })

  it('hides the message of a config error and of anything unexpected', () => {
    const internal = { status: 500, body: { error: 'internal error (see the server log)' }, log: true }
    expect(errorReply(new OrgpulseError('config', 'CLICKHOUSE_PASSWORD is secret'))).toEqual(internal)
    expect(errorReply(new Error('ECONNRESET'))).toEqual(internal)
    expect(errorReply('thrown string')).toEqual(internal)
    expect(errorReply(Object.assign(new Error('boom'), { statusCode: 502 }))).toEqual(internal)
  })

  it('passes on Fastify’s own 4xx with their status', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 })
    expect(errorReply(tooLarge)).toEqual({
      status: 413,
      body: { error: 'Request body is too large', statusCode: 413 },
      log: false,
    })
  })

  it('names each schema violation with its path', () => {
    const invalid = Object.assign(new Error('x'), {
      statusCode: 400,
      validationContext: 'querystring',
      validation: [
        { instancePath: '/from', message: 'Invalid date' },
        { instancePath: '', message: 'must be object' },
      ],
    })
    expect(errorReply(invalid).body).toEqual({
      error: 'invalid querystring: /from Invalid date; (root) must be object',
    })
  })
})

describe('registerErrorHandler', () => {
  it('answers a route’s thrown errors by kind', async () => {
    const app = Fastify({ logger: false })
    registerErrorHandler(app)
    app.get('/forbidden', async () => {
      throw new OrgpulseError('forbidden', 'admin token required')
    })
    app.get('/bug', async () => {
      throw new TypeError('undefined is not a function')
    })
    app.post('/json', async () => ({ ok: true }))
    const forbidden = await app.inject('/forbidden')
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json()).toEqual({ error: 'admin token required' })
    const bug = await app.inject('/bug')
    expect(bug.statusCode).toBe(500)
    expect(bug.json()).toEqual({ error: 'internal error (see the server log)' })
    const unreadable = await app.inject({
      method: 'POST',
      url: '/json',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    })
    expect(unreadable.statusCode).toBe(400)
    expect(unreadable.json()).toMatchObject({ statusCode: 400, error: expect.any(String) })
    await app.close()
  })
})
