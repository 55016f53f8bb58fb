import { createHmac } from 'node:crypto'
import { configSchema, jiraConfigSchema, parseEnv, type RawEnvelope } from '@orgpulse/contracts'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { registerWebhooks } from '../src/webhooks.ts'

const config = configSchema.parse({
  jira: jiraConfigSchema.parse({ baseUrl: 'https://acme.atlassian.net', projects: ['ENG'] }),
})

async function app(vars: Record<string, string>) {
  const env = parseEnv(vars)
  const published: RawEnvelope[] = []
  const a = Fastify()
  const enabled = await registerWebhooks(a, { config, env, publish: async (e) => void published.push(...e) })
  return { a, enabled, published }
}

describe('vendor webhooks in the api', () => {
  it('are enabled by their secrets in the environment, and off without them', async () => {
    expect((await app({})).enabled).toEqual([])
    const { enabled } = await app({ JIRA_WEBHOOK_SECRET: 'j', LINEAR_WEBHOOK_SECRET: 'l' })
    expect(enabled).toEqual(['/webhooks/jira', '/webhooks/linear'])
  })

  it('publish a signed Jira delivery and refuse an unsigned one', async () => {
    const { a, published } = await app({ JIRA_WEBHOOK_SECRET: 'jira-secret' })
    const body = JSON.stringify({
      timestamp: Date.parse('2026-07-01T10:00:00Z'),
      webhookEvent: 'jira:issue_created',
      issue: { id: '10001', key: 'ENG-1', fields: { updated: '2026-07-01T10:00:00.000+0000' } },
    })
    const sig = `sha256=${createHmac('sha256', 'jira-secret').update(body).digest('hex')}`
    const unsigned = await a.inject({
      method: 'POST',
      url: '/webhooks/jira',
      payload: body,
      headers: { 'content-type': 'application/json' },
    })
    expect(unsigned.statusCode).toBe(401)
    const ok = await a.inject({
      method: 'POST',
      url: '/webhooks/jira',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature': sig,
        'x-atlassian-webhook-identifier': 'd-1',
      },
    })
    expect(ok.statusCode).toBe(202)
    // the documented response schemas serialise these answers: no field may be lost on the way
    expect(ok.json()).toEqual({ accepted: 1, deliveryId: 'd-1' })
    expect(unsigned.json().error).toMatch(/X-Hub-Signature/)
    const retry = await a.inject({
      method: 'POST',
      url: '/webhooks/jira',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature': sig,
        'x-atlassian-webhook-identifier': 'd-1',
      },
    })
    expect([retry.statusCode, retry.json()]).toEqual([200, { duplicate: true, deliveryId: 'd-1' }])
    expect(published.map((e) => [e.source, e.sourceId])).toEqual([['jira', 'ENG-1']])
  })

  it('publish a signed Linear delivery and refuse a mis-signed one', async () => {
    const { a, published } = await app({ LINEAR_WEBHOOK_SECRET: 'linear-secret' })
    const body = JSON.stringify({
      type: 'Issue',
      action: 'create',
      webhookTimestamp: Date.now(),
      data: { id: 'i-1' },
    })
    const sig = createHmac('sha256', 'linear-secret').update(body).digest('hex')
    const post = (signature: string) =>
      a.inject({
        method: 'POST',
        url: '/webhooks/linear',
        payload: body,
        headers: { 'content-type': 'application/json', 'linear-signature': signature },
      })
    const bad = await post('0'.repeat(64))
    expect([bad.statusCode, bad.json()]).toEqual([401, { error: 'invalid Linear-Signature' }])
    const ok = await post(sig)
    expect([ok.statusCode, ok.json()]).toEqual([200, { ok: true }])
    expect(published.map((e) => [e.source, e.sourceId])).toEqual([['linear', 'i-1']])
  })
})
