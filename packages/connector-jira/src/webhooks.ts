import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { DeliveryStore } from '@orgpulse/connector'
import type { RawEnvelope } from '@orgpulse/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JiraClient } from './client.ts'
import { webhookEnvelope } from './envelopes.ts'
import { linkSidesOf } from './link-sides.ts'

export const JIRA_WEBHOOK_EVENTS = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'issuelink_created',
  'issuelink_deleted',
] as const

export interface JiraWebhookOptions {
  /** resolves once the bus acknowledged the envelopes */
  publish(envelopes: RawEnvelope[]): Promise<void>
  /** the shared secret Jira signs deliveries with (HMAC-SHA256 of the raw body) */
  secret: string
  /** the Jira base URL, recorded in envelope meta */
  instance?: string
  /**
   * issuelink_* deliveries name issues by numeric id only: with a client, both issues are read
   * (key, project, components, status, changelog) and what the mapper needs rides in the envelope's
   * meta (see link-sides.ts). Without one, those deliveries are published bare and the mapper
   * dead-letters them with the reason.
   */
  client?: JiraClient
  /** delivery ids and body hashes remembered for retry and replay dedupe, without `deliveries` */
  dedupeCapacity?: number
  /**
   * where published deliveries are remembered (the api passes a ClickHouse table, so a replay is
   * recognised after a restart); default: the last `dedupeCapacity` in memory
   */
  deliveries?: DeliveryStore
  /**
   * refuse (400) a delivery whose payload `timestamp` is older than this; off by default, since
   * Jira retries a failed delivery with its original body for hours
   */
  maxAgeMs?: number
  now?: () => number
  /** route path; default /webhooks/jira */
  path?: string
}

/** `sha256=<hex>` of HMAC-SHA256(secret, raw body), compared in constant time. */
export function verifyJiraSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim())
  if (!m) return false
  const expected = createHmac('sha256', secret).update(rawBody).digest()
  const given = Buffer.from(m[1]!, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Remembers the last N keys (insertion order = age). */
class RecentIds implements DeliveryStore {
  private readonly ids = new Set<string>()
  constructor(private readonly capacity: number) {}
  async seen(keys: string[]): Promise<boolean> {
    return keys.some((k) => this.ids.has(k))
  }
  async remember(keys: string[]): Promise<void> {
    for (const id of keys) {
      this.ids.add(id)
      if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string)
    }
  }
}

/**
 * The keys a delivery is known by. The delivery id is not signed: someone who captured one signed
 * body can re-send it under any id, so the body's hash is a key too. Jira's own retries reuse the
 * id and the body, and two real changes never share a body (it carries the change's timestamp
 * and changelog id).
 */
const deliveryKeys = (deliveryId: string, raw: Buffer): string[] => [
  `id:${deliveryId}`,
  `body:${createHash('sha256').update(raw).digest('hex')}`,
]

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * POST /webhooks/jira. Rejects unsigned or mis-signed deliveries with 401 (nothing published);
 * a retried delivery (same X-Atlassian-Webhook-Identifier) or a replayed one (same signed body
 * under another id) is acknowledged 200 without publishing again; everything else is published unchanged and answered 202 once the bus acknowledged it.
 * A webhook and a later poll of the same change map to the same event ids downstream.
 */
export async function jiraWebhookRoutes(app: FastifyInstance, options: JiraWebhookOptions): Promise<void> {
  if (!options.secret)
    throw new Error(
      'jiraWebhookRoutes: a webhook secret is required (set the variable named by jira.webhook.secretEnv)',
    )
  const seen = options.deliveries ?? new RecentIds(options.dedupeCapacity ?? 10_000)
  const inFlight = new Set<string>()
  const now = options.now ?? Date.now
  const instance = options.instance ?? ''

  // the signature covers the exact bytes: keep them (this parser is scoped to this plugin)
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.post(
    options.path ?? '/webhooks/jira',
    { bodyLimit: 10 * 1024 * 1024 },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const raw = req.body
      if (!Buffer.isBuffer(raw))
        return reply.code(415).send({ error: 'expected a JSON body (content-type: application/json)' })
      if (!verifyJiraSignature(raw, header(req, 'x-hub-signature'), options.secret)) {
        return reply.code(401).send({
          error: 'invalid or missing X-Hub-Signature (expected sha256=<hex HMAC-SHA256 of the body>)',
        })
      }
      let body: Record<string, unknown>
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'))
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new Error('not a JSON object')
        body = parsed as Record<string, unknown>
      } catch (err) {
        return reply.code(400).send({ error: `body is not a JSON object: ${(err as Error).message}` })
      }
      const event = typeof body.webhookEvent === 'string' ? body.webhookEvent : ''
      if (!(JIRA_WEBHOOK_EVENTS as readonly string[]).includes(event)) {
        // acknowledged so Jira stops retrying, but not ours to publish
        return reply.code(202).send({ ignored: true, reason: `webhookEvent "${event}" is not handled` })
      }
      const deliveryId = header(req, 'x-atlassian-webhook-identifier')
      if (!deliveryId) return reply.code(400).send({ error: 'missing X-Atlassian-Webhook-Identifier header' })
      if (options.maxAgeMs !== undefined) {
        const ts = typeof body.timestamp === 'number' ? body.timestamp : Number.NaN
        if (!Number.isFinite(ts))
          return reply
            .code(400)
            .send({ error: 'payload has no numeric timestamp (an age limit is configured)' })
        if (now() - ts > options.maxAgeMs)
          return reply.code(400).send({
            error: `payload timestamp ${new Date(ts).toISOString()} is older than the configured limit of ${Math.round(options.maxAgeMs / 1000)} s`,
          })
      }
      const keys = deliveryKeys(deliveryId, raw)
      if (keys.some((k) => inFlight.has(k)) || (await seen.seen(keys))) {
        req.log.info(
          { deliveryId },
          'Jira delivery already published (retry or replay): acknowledged, not published',
        )
        return reply.code(200).send({ duplicate: true, deliveryId })
      }

      for (const k of keys) inFlight.add(k)
      try {
        const envelope = webhookEnvelope(body, { instance, deliveryId })
        if (options.client && event.startsWith('issuelink_')) {
          // a failed read (other than a missing issue) answers 5xx: Jira retries the delivery
          const sides = await linkSidesOf(options.client, body)
          if (sides) {
            envelope.meta = { ...envelope.meta, link: sides }
            // the blocker's key, as its polls and issue_updated deliveries are keyed: one partition
            envelope.sourceId = sides.source.key
          }
        }
        const envelopes: RawEnvelope[] = [envelope]
        await options.publish(envelopes)
        // remembered only once published: a delivery that failed here is processed when Jira retries it
        await seen.remember(keys)
        return reply.code(202).send({ accepted: envelopes.length, deliveryId })
      } finally {
        for (const k of keys) inFlight.delete(k)
      }
    },
  )
}
