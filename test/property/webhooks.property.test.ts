import { createHmac } from 'node:crypto'
// the modules themselves: the package indexes also load the sync clients and ClickHouse
import { verifyJiraSignature } from '@orgpulse/connector-jira'
import { checkLinearWebhook, mapLinear, verifyLinearSignature } from '@orgpulse/connector-linear'
import { configSchema, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/**
 * Properties of the webhook signature checks: arbitrary bodies, headers and secrets never throw,
 * and only the HMAC-SHA256 of the exact body with the exact secret passes.
 */

const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const runs = (n: number): number => Math.ceil(n * SCALE)

/** HMAC zero-pads keys shorter than its block, so secrets that differ only by trailing NULs ("" and "\0") are one key */
const sameHmacKey = (a: string, b: string): boolean => a.replace(/\0+$/, '') === b.replace(/\0+$/, '')
const hmac = (secret: string, body: Buffer): string => createHmac('sha256', secret).update(body).digest('hex')

const body = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
)
const secret = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constant(''),
)
const header = fc.option(
  fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.stringMatching(/^(sha256=)?[0-9a-fA-F]{0,70}$/),
    fc.constantFrom(
      '',
      ' ',
      'sha256=',
      'sha1=abc',
      `SHA256=${'0'.repeat(64)}`,
      '0'.repeat(64),
      'z'.repeat(64),
    ),
  ),
  { nil: undefined },
)

/** Ways to spoil a valid hex signature: every one must be refused. */
const spoil: fc.Arbitrary<Spoil> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), to: fc.constantFrom(...'0123456789abcdef') }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.stringMatching(/^[0-9a-fA-F]{1,3}$/) }),
  fc.record({ kind: fc.constant('truncate' as const), by: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('prefix' as const), extra: fc.stringMatching(/^[0-9a-f]{1,2}$/) }),
)
type Spoil =
  | { kind: 'flip'; at: number; to: string }
  | { kind: 'append' | 'prefix'; extra: string }
  | { kind: 'truncate'; by: number }
/** the spoiled signature, or null when the spoiling changed nothing */
function spoiled(hex: string, s: Spoil): string | null {
  switch (s.kind) {
    case 'flip': {
      const i = s.at % hex.length
      if (hex[i] === s.to) return null // not a change
      return `${hex.slice(0, i)}${s.to}${hex.slice(i + 1)}`
    }
    case 'append':
      return `${hex}${s.extra}`
    case 'prefix':
      return `${s.extra}${hex}`
    default:
      return hex.slice(0, hex.length - s.by)
  }
}

describe('verifyJiraSignature', () => {
  it('arbitrary bodies, headers and secrets: a boolean, never a throw; true only for the exact HMAC', () => {
    fc.assert(
      fc.property(body, header, secret, (b, h, s) => {
        const ok = verifyJiraSignature(b, h, s)
        expect(typeof ok).toBe('boolean')
        if (ok) expect(h?.trim().toLowerCase()).toBe(`sha256=${hmac(s, b)}`)
      }),
      { numRuns: runs(1000) },
    )
  })

  it('the valid signature passes (any hex case, surrounding spaces); another body, secret or a spoiled signature fails', () => {
    fc.assert(
      fc.property(body, body, secret, secret, spoil, fc.boolean(), (b, other, s, otherSecret, sp, upper) => {
        const sig = hmac(s, b)
        expect(verifyJiraSignature(b, ` sha256=${upper ? sig.toUpperCase() : sig} `, s)).toBe(true)
        if (!other.equals(b)) expect(verifyJiraSignature(other, `sha256=${sig}`, s)).toBe(false)
        if (!sameHmacKey(otherSecret, s))
          expect(verifyJiraSignature(b, `sha256=${hmac(otherSecret, b)}`, s)).toBe(false)
        const bad = spoiled(sig, sp)
        if (bad !== null) expect(verifyJiraSignature(b, `sha256=${bad}`, s)).toBe(false)
        // the bare hex (Linear's format) is not Jira's
        expect(verifyJiraSignature(b, sig, s)).toBe(false)
      }),
      { numRuns: runs(500) },
    )
  })
})

describe('verifyLinearSignature / checkLinearWebhook', () => {
  it('arbitrary bodies, signatures and secrets: never a throw; true only for the exact HMAC', () => {
    fc.assert(
      fc.property(body, header, secret, fc.integer(), (b, sig, s, now) => {
        const ok = verifyLinearSignature(b, sig, s)
        expect(typeof ok).toBe('boolean')
        if (ok) expect(sig?.trim().toLowerCase()).toBe(hmac(s, b))
        const check = checkLinearWebhook(b, sig, s, now)
        if (!check.ok) expect(check.reason.trim().length).toBeGreaterThan(0)
        else expect(ok).toBe(true)
      }),
      { numRuns: runs(1000) },
    )
  })

  it('the valid signature passes; another body, secret or a spoiled signature (also one hex digit longer) fails', () => {
    fc.assert(
      fc.property(body, body, secret, secret, spoil, (b, other, s, otherSecret, sp) => {
        const sig = hmac(s, b)
        expect(verifyLinearSignature(b, sig, s)).toBe(true)
        expect(verifyLinearSignature(b, ` ${sig.toUpperCase()} `, s)).toBe(true)
        if (!other.equals(b)) expect(verifyLinearSignature(other, sig, s)).toBe(false)
        if (!sameHmacKey(otherSecret, s))
          expect(verifyLinearSignature(b, hmac(otherSecret, b), s)).toBe(false)
        const bad = spoiled(sig, sp)
        if (bad !== null) expect(verifyLinearSignature(b, bad, s), `spoiled signature ${bad}`).toBe(false)
      }),
      { numRuns: runs(500) },
    )
  })

  it('a signed JSON object passes checkLinearWebhook only inside the replay window', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 45 }),
          fc.double({ noNaN: true }),
          fc.constant(undefined),
          fc.string({ maxLength: 4 }),
        ),
        fc.integer({ min: -200_000, max: 200_000 }),
        secret,
        (data, ts, skew, s) => {
          const payload = Buffer.from(JSON.stringify({ ...data, webhookTimestamp: ts }))
          const now = (typeof ts === 'number' && Number.isFinite(ts) ? ts : 1_700_000_000_000) + skew
          const check = checkLinearWebhook(payload, hmac(s, payload), s, now)
          const inWindow = typeof ts === 'number' && Number.isFinite(ts) && Math.abs(now - ts) <= 60_000
          expect(check.ok).toBe(inWindow)
          // compared after JSON, which writes -0 as 0
          if (check.ok) expect(check.body.webhookTimestamp).toBe(JSON.parse(JSON.stringify(ts)))
          else expect(check.reason).toMatch(/webhookTimestamp/)
        },
      ),
      { numRuns: runs(500) },
    )
  })
})

/**
 * Linear Issue deliveries name people by id (`data.creatorId`, `data.assigneeId`), with an email
 * only on the `actor` and, when the route looked ids up, in `meta.users`
 * (https://linear.app/developers/webhooks; @linear/sdk `IssueWebhookPayload`). Whatever the mix,
 * a person in the mapped events is the email the delivery gives for that very id, or
 * `linear:<that id>`: never another person's email.
 */
describe('Linear webhook identities', () => {
  const ctx = { config: configSchema.parse({ linear: { teams: { ENG: 'u:eng@x.io' } } }) }
  const id = fc.constantFrom('u-1', 'u-2', 'u-3')
  const email = (who: string) => `${who}@X.io`
  it('every person in the events is the delivery’s email for that id, or linear:<id>', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('create', 'update', 'remove'),
        fc.option(id, { nil: null }),
        fc.option(id, { nil: null }),
        fc.option(fc.record({ id, withEmail: fc.boolean() }), { nil: undefined }),
        fc.subarray(['u-1', 'u-2', 'u-3']),
        fc.boolean(),
        fc.boolean(),
        (action, creatorId, assigneeId, actor, looked, escalate, decided) => {
          const labels = [
            { id: 'l-d', name: 'decision' },
            ...(escalate ? [{ id: 'l-e', name: 'escalated' }] : []),
          ]
          const payload = {
            action,
            type: 'Issue',
            createdAt: '2026-04-03T10:00:00.000Z',
            data: {
              id: 'i-1',
              title: 't',
              createdAt: '2026-04-01T09:00:00.000Z',
              updatedAt: '2026-04-02T10:00:00.000Z',
              stateId: decided ? 's-done' : 's-todo',
              state: decided
                ? { id: 's-done', name: 'Done', type: 'completed' }
                : { id: 's-todo', name: 'Todo', type: 'unstarted' },
              team: { id: 't', key: 'ENG' },
              creatorId,
              assigneeId,
              labels,
              labelIds: labels.map((l) => l.id),
            },
            updatedFrom: { labelIds: [], stateId: 's-other' },
            ...(actor
              ? {
                  actor: {
                    id: actor.id,
                    name: 'n',
                    type: 'user',
                    ...(actor.withEmail ? { email: email(actor.id) } : {}),
                  },
                }
              : {}),
            webhookTimestamp: 1,
          }
          const envelope: RawEnvelope = {
            source: 'linear',
            entity: 'webhook',
            sourceId: 'i-1',
            fetchedAt: '2026-04-03T10:00:01.000Z',
            meta: { users: Object.fromEntries(looked.map((u) => [u, email(u)])) },
            payload,
          }
          let events: ReturnType<typeof mapLinear>
          try {
            events = mapLinear(envelope, ctx)
          } catch (err) {
            expect(err).toBeInstanceOf(RejectedRecord)
            return
          }
          const known = (who: string | null | undefined) =>
            who ? [`linear:${who}`, email(who).toLowerCase()] : []
          for (const e of events) {
            const r = e as { raisedBy?: string; actor?: string; escalatedTo?: string[] }
            if (r.raisedBy !== undefined) {
              const allowed = creatorId
                ? known(creatorId)
                : action === 'create' && actor
                  ? known(actor.id)
                  : []
              expect([...allowed, 'linear:unknown']).toContain(r.raisedBy)
            }
            // a call needs a decider: the actor, else the assignee, else the raiser
            if (r.actor !== undefined)
              expect(
                e.type === 'decision.decided'
                  ? [...known(actor?.id), ...known(assigneeId), r.raisedBy]
                  : known(actor?.id),
              ).toContain(r.actor)
            for (const to of r.escalatedTo ?? []) expect(known(assigneeId)).toContain(to)
          }
        },
      ),
      { numRuns: runs(300) },
    )
  })
})
