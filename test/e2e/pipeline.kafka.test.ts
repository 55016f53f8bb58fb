import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { configSchema, rawTopic, TOPIC_SPECS, TOPICS } from '@orgpulse/contracts'
import { type Bus, namespacedBus, publishRaw, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestBus, uniqueTopicPrefix } from '../setup/kafka.ts'

/** Decisions through a real Kafka broker, the transformer and the sink into ClickHouse. */
let bus: Bus
let client: ClickHouseClient
const subs: Subscription[] = []

beforeAll(async () => {
  bus = namespacedBus(createTestBus(), uniqueTopicPrefix('pipeline'))
  await bus.ensureTopics(TOPIC_SPECS)
  client = createClickHouse({ dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-e2e-')) })
  await migrate(client)
  const config = configSchema.parse({})
  subs.push(
    await startTransformer(bus, config),
    await startSink(bus, client),
    await startDlqSink(bus, client),
  )
})

afterAll(async () => {
  for (const s of subs) await s.stop()
  await bus?.close()
  await client?.close()
})

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Decision ${id}`,
  raisedBy: 'Ann@X.io',
  raisedAt: '2026-07-01T09:00:00Z',
  status: 'proposed',
  ...extra,
})

describe('decision pipeline through Kafka', () => {
  it('stores exact rows, replaces updated decisions, and dead-letters bad records with their reason', async () => {
    await publishRaw(bus, [
      decisionEnvelope(record('K1')),
      decisionEnvelope(
        record('K2', {
          status: 'decided',
          decidedBy: 'mia@x.io',
          decidedAt: '2026-07-02T09:00:00Z',
          escalatedTo: ['dir@x.io'],
          escalatedAt: '2026-07-01T12:00:00Z',
        }),
      ),
      // an update of K1: decided later; newest updatedAt wins
      decisionEnvelope(
        record('K1', {
          status: 'decided',
          decidedBy: 'mia@x.io',
          decidedAt: '2026-07-03T09:00:00Z',
          updatedAt: '2026-07-03T09:00:00Z',
        }),
      ),
      decisionEnvelope(
        record('K1', {
          status: 'decided',
          decidedBy: 'bo@x.io',
          decidedAt: '2026-07-03T10:00:00Z',
          updatedAt: '2026-07-03T10:00:00Z',
        }),
      ),
      // invalid: missing id, decidedAt before raisedAt, decided without decidedBy, unparseable date
      decisionEnvelope(record('', { id: undefined })),
      decisionEnvelope(
        record('BAD2', { status: 'decided', decidedBy: 'x@x.io', decidedAt: '2026-06-01T00:00:00Z' }),
      ),
      decisionEnvelope(record('BAD3', { status: 'decided', decidedAt: '2026-07-02T00:00:00Z' })),
      decisionEnvelope(record('BAD4', { raisedAt: 'yesterday' })),
    ])
    await bus.publish(rawTopic('decisions'), [{ key: 'junk', value: Buffer.from('{not json') }])
    await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), 60_000)

    const rows = await queryRows<Record<string, unknown>>(
      client,
      `SELECT decision_id, type, raised_by, actor, targets, toString(occurred_at) AS at
       FROM decision_events FINAL ORDER BY decision_id, type`,
    )
    expect(rows).toEqual([
      {
        decision_id: 'decisions:K1',
        type: 'decision.decided',
        raised_by: 'ann@x.io',
        actor: 'bo@x.io',
        targets: [],
        at: '2026-07-03 10:00:00.000',
      },
      {
        decision_id: 'decisions:K1',
        type: 'decision.raised',
        raised_by: 'ann@x.io',
        actor: '',
        targets: [],
        at: '2026-07-01 09:00:00.000',
      },
      {
        decision_id: 'decisions:K2',
        type: 'decision.decided',
        raised_by: 'ann@x.io',
        actor: 'mia@x.io',
        targets: [],
        at: '2026-07-02 09:00:00.000',
      },
      {
        decision_id: 'decisions:K2',
        type: 'decision.escalated',
        raised_by: 'ann@x.io',
        actor: '',
        targets: ['dir@x.io'],
        at: '2026-07-01 12:00:00.000',
      },
      {
        decision_id: 'decisions:K2',
        type: 'decision.raised',
        raised_by: 'ann@x.io',
        actor: '',
        targets: [],
        at: '2026-07-01 09:00:00.000',
      },
    ])

    const dlq = await queryRows<{ key: string; reason: string; topic: string; stage: string; value: string }>(
      client,
      'SELECT key, reason, topic, stage, value FROM dlq FINAL',
    )
    expect(dlq.map((d) => [d.stage, d.topic])).toEqual(Array(5).fill(['transformer', TOPICS.raw.decisions]))
    const byKey = Object.fromEntries(dlq.map((d) => [d.key, d]))
    expect(Object.keys(byKey).sort()).toEqual(['BAD2', 'BAD3', 'BAD4', 'junk', 'unknown'])
    expect(byKey.unknown!.reason).toBe('invalid decision record: id: id is required')
    expect(byKey.BAD2!.reason).toBe(
      'invalid decision record: decidedAt: decidedAt 2026-06-01T00:00:00.000Z is before raisedAt 2026-07-01T09:00:00.000Z',
    )
    expect(byKey.BAD3!.reason).toBe('invalid decision record: decidedBy: status decided requires decidedBy')
    expect(byKey.BAD4!.reason).toMatch(/^invalid decision record: raisedAt: unparseable date "yesterday"/)
    expect(byKey.junk!.reason).toMatch(/^not JSON: /)
    // the original bytes are kept, so the record can be fixed and replayed
    expect(Buffer.from(byKey.junk!.value, 'base64').toString()).toBe('{not json')
  })
})
