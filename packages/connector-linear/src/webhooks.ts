import { createHmac, timingSafeEqual } from 'node:crypto'
import type { RawEnvelope } from '@orgpulse/contracts'
import type { FastifyInstance } from 'fastify'

/** Linear sends `webhookTimestamp` (ms) in the body; older or future deliveries are replays. */
export const WEBHOOK_TOLERANCE_MS = 60_000

export interface LinearWebhookOptions {
  /** resolves once the records are acknowledged by the bus */
  publish(envelopes: RawEnvelope[]): Promise<void>
  /** the webhook signing secret (from LINEAR_WEBHOOK_SECRET or the configured variable) */
  secret: string
  toleranceMs?: number
  now?: () => number
  /**
   * Linear user id → email for ids an Issue delivery names without an email (`creatorId`,
   * `assigneeId`); the answers travel in the envelope's `meta.users`, so a replay of the raw
   * topic maps the same. Absent (no Linear credential here) or failing, the ids resolve later
   * through the user directory the pull writes.
   */
  lookupUsers?: (ids: string[]) => Promise<Record<string, string>>
}

export type WebhookCheck = { ok: true; body: Record<string, unknown> } | { ok: false; reason: string }

/** hex HMAC-SHA256 of the raw body with the secret, compared in constant time */
export function verifyLinearSignature(raw: Buffer, signature: string | undefined, secret: string): boolean {
  // exactly 64 hex digits: Buffer.from(hex) drops an odd trailing digit, so `valid + "a"` would pass
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature.trim())) return false
  const expected = createHmac('sha256', secret).update(raw).digest()
  const given = Buffer.from(signature.trim(), 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** signature first (nothing is parsed before), then the replay window */
export function checkLinearWebhook(
  raw: Buffer,
  signature: string | undefined,
  secret: string,
  now: number,
  toleranceMs = WEBHOOK_TOLERANCE_MS,
): WebhookCheck {
  if (!verifyLinearSignature(raw, signature, secret)) return { ok: false, reason: 'invalid Linear-Signature' }
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch {
    return { ok: false, reason: 'body is not JSON' }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, reason: 'body is not a JSON object' }
  const ts = (body as { webhookTimestamp?: unknown }).webhookTimestamp
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return { ok: false, reason: 'webhookTimestamp missing' }
  if (Math.abs(now - ts) > toleranceMs)
    return {
      ok: false,
      reason: `webhookTimestamp outside the ${toleranceMs / 1000} s window (possible replay)`,
    }
  return { ok: true, body: body as Record<string, unknown> }
}

/** the user ids an Issue delivery names without an email for them (the actor's is in the body) */
export function idsWithoutEmail(body: Record<string, unknown>): string[] {
  if (body.type !== 'Issue') return []
  const data = (body.data ?? {}) as Record<string, unknown>
  const actor = (body.actor ?? {}) as { id?: unknown; email?: unknown }
  const ids = new Set<string>()
  for (const [idField, objField] of [
    ['creatorId', 'creator'],
    ['assigneeId', 'assignee'],
  ] as const) {
    const id = data[idField]
    if (typeof id !== 'string' || !id) continue
    const embedded = data[objField] as { id?: unknown; email?: unknown } | null | undefined
    if (embedded?.id === id && typeof embedded.email === 'string' && embedded.email) continue
    if (actor.id === id && typeof actor.email === 'string' && actor.email) continue
    ids.add(id)
  }
  return [...ids]
}

/** the raw-topic record for a verified delivery: keyed by the entity it is about */
export function webhookEnvelope(
  body: Record<string, unknown>,
  deliveryId?: string,
  users?: Record<string, string>,
): RawEnvelope {
  const data = (body.data ?? {}) as { id?: unknown }
  const sourceId = typeof data.id === 'string' && data.id ? data.id : String(body.webhookId ?? 'unknown')
  return {
    source: 'linear',
    entity: 'webhook',
    sourceId,
    fetchedAt: new Date().toISOString(),
    meta: {
      ...(deliveryId ? { deliveryId } : {}),
      type: body.type,
      action: body.action,
      ...(users && Object.keys(users).length > 0 ? { users } : {}),
    },
    payload: body,
  }
}

/**
 * POST /webhooks/linear. The signature is computed over the RAW body, so this plugin parses JSON
 * itself (the content-type parser is scoped to the plugin). 401 and nothing published on a bad
 * signature or a stale timestamp; 200 once the bus acknowledged the delivery.
 */
export async function linearWebhookRoutes(
  app: FastifyInstance,
  options: LinearWebhookOptions,
): Promise<void> {
  if (!options.secret)
    throw new Error('linearWebhookRoutes: a webhook secret is required (set LINEAR_WEBHOOK_SECRET)')
  const now = options.now ?? Date.now
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.post('/webhooks/linear', async (request, reply) => {
    const raw = request.body
    if (!Buffer.isBuffer(raw)) return reply.code(400).send({ error: 'expected a JSON body' })
    const header = request.headers['linear-signature']
    const check = checkLinearWebhook(
      raw,
      Array.isArray(header) ? header[0] : header,
      options.secret,
      now(),
      options.toleranceMs,
    )
    if (!check.ok) {
      request.log.warn({ reason: check.reason }, 'Linear webhook rejected')
      return reply.code(401).send({ error: check.reason })
    }
    const delivery = request.headers['linear-delivery']
    let users: Record<string, string> | undefined
    const ids = options.lookupUsers ? idsWithoutEmail(check.body) : []
    if (ids.length > 0) {
      try {
        users = await options.lookupUsers!(ids)
      } catch (err) {
        // the delivery is still published: the pull's user directory resolves the ids later
        request.log.warn({ err, ids }, 'Linear user look-up failed; ids resolve through the directory')
      }
    }
    await options.publish([
      webhookEnvelope(check.body, Array.isArray(delivery) ? delivery[0] : delivery, users),
    ])
    return reply.code(200).send({ ok: true })
  })
}
