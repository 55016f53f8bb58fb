import { createHmac } from 'node:crypto'
import type { RawEnvelope } from '@orgpulse/contracts'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { jiraWebhookRoutes, verifyJiraSignature } from '../src/index.ts'

const SECRET = 's3cret'
const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
const updated = JSON.stringify({
  timestamp: 1773133200000,
  webhookEvent: 'jira:issue_updated',
  user: { accountId: 'acc-1' },
  issue: { id: '10000', key: 'ENG-1', fields: {} },
  changelog: { id: '20001', items: [] },
})

let app: FastifyInstance
let published: RawEnvelope[][]

beforeEach(async () => {
  published = []
  app = Fastify()
  await app.register(jiraWebhookRoutes, {
    secret: SECRET,
    instance: 'https://acme.atlassian.net',
    publish: async (envelopes) => {
      published.push(envelopes)
    },
  })
})
afterEach(async () => {
  await app.close()
})

const post = (body: string, headers: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/jira',
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
  })

describe('POST /webhooks/jira', () => {
  it('publishes a signed delivery unchanged, keyed by issue key', async () => {
    const res = await post(updated, {
      'x-hub-signature': sign(updated),
      'x-atlassian-webhook-identifier': 'd-1',
    })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 1, deliveryId: 'd-1' })
    expect(published).toHaveLength(1)
    expect(published[0]![0]).toMatchObject({
      source: 'jira',
      entity: 'webhook',
      sourceId: 'ENG-1',
      meta: { instance: 'https://acme.atlassian.net', deliveryId: 'd-1' },
      payload: JSON.parse(updated),
    })
  })

  it('rejects a wrong or missing signature with 401 and publishes nothing', async () => {
    const wrong = await post(updated, {
      'x-hub-signature': sign(updated, 'other'),
      'x-atlassian-webhook-identifier': 'd-2',
    })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error).toMatch(/invalid or missing X-Hub-Signature/)
    expect((await post(updated, { 'x-atlassian-webhook-identifier': 'd-3' })).statusCode).toBe(401)
    // a signature over different bytes (re-serialised JSON) does not verify
    const reserialised = JSON.stringify(JSON.parse(updated), null, 2)
    expect(
      (
        await post(reserialised, {
          'x-hub-signature': sign(updated),
          'x-atlassian-webhook-identifier': 'd-4',
        })
      ).statusCode,
    ).toBe(401)
    expect(published).toEqual([])
  })

  it('acknowledges a retried delivery id without publishing it again', async () => {
    const headers = { 'x-hub-signature': sign(updated), 'x-atlassian-webhook-identifier': 'd-5' }
    expect((await post(updated, headers)).statusCode).toBe(202)
    const again = await post(updated, headers)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual({ duplicate: true, deliveryId: 'd-5' })
    expect(published).toHaveLength(1)
  })

  it('processes a delivery again when publishing failed the first time (Jira retries it)', async () => {
    const failing = Fastify()
    let calls = 0
    await failing.register(jiraWebhookRoutes, {
      secret: SECRET,
      publish: async () => {
        calls++
        if (calls === 1) throw new Error('bus down')
      },
    })
    const headers = {
      'content-type': 'application/json',
      'x-hub-signature': sign(updated),
      'x-atlassian-webhook-identifier': 'd-6',
    }
    expect(
      (await failing.inject({ method: 'POST', url: '/webhooks/jira', payload: updated, headers })).statusCode,
    ).toBe(500)
    expect(
      (await failing.inject({ method: 'POST', url: '/webhooks/jira', payload: updated, headers })).statusCode,
    ).toBe(202)
    expect(calls).toBe(2)
    await failing.close()
  })

  it('acknowledges events it does not handle, and rejects deliveries without an id', async () => {
    const comment = JSON.stringify({ timestamp: 1, webhookEvent: 'comment_created' })
    const res = await post(comment, {
      'x-hub-signature': sign(comment),
      'x-atlassian-webhook-identifier': 'd-7',
    })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ ignored: true, reason: 'webhookEvent "comment_created" is not handled' })
    expect((await post(updated, { 'x-hub-signature': sign(updated) })).statusCode).toBe(400)
    const notJson = '[1,2]'
    expect(
      (await post(notJson, { 'x-hub-signature': sign(notJson), 'x-atlassian-webhook-identifier': 'd-8' }))
        .statusCode,
    ).toBe(400)
    expect(published).toEqual([])
  })

  it('refuses to start without a secret', async () => {
    const bare = Fastify()
    await expect(
      bare.register(jiraWebhookRoutes, { secret: '', publish: async () => {} }).ready(),
    ).rejects.toThrow(/a webhook secret is required/)
  })

  it('verifies signatures in constant time over the raw bytes', () => {
    const raw = Buffer.from(updated)
    expect(verifyJiraSignature(raw, sign(updated), SECRET)).toBe(true)
    expect(verifyJiraSignature(raw, sign(updated).toUpperCase().replace('SHA256', 'sha256'), SECRET)).toBe(
      true,
    )
    expect(verifyJiraSignature(raw, 'sha1=abc', SECRET)).toBe(false)
    expect(verifyJiraSignature(raw, undefined, SECRET)).toBe(false)
  })
})
