import { configSchema, type DlqRecord, dlqRecordSchema, TOPICS } from '@orgpulse/contracts'
import { dlqId, MemoryBus, RejectedRecord, runStage, waitUntilCaughtUp } from '@orgpulse/kafka'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { transformBytes } from '../../services/transformer/src/transform.ts'

/**
 * Property: with the in-process bus, a stage fed an arbitrary mix of good and bad records writes
 * every good record's outputs exactly once, dead-letters every bad record exactly once (with its
 * reason, its original bytes and its topic/partition/offset), and keeps consuming: a bad record
 * or a transient write failure never stops it.
 */

const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const runs = (n: number): number => Math.ceil(n * SCALE)

const INPUT = 'prop.stage.in.v1'
const GROUP = { groupId: 'orgpulse.prop-stage', topics: [INPUT] }

/** What one input record does when decoded. */
type Spec =
  | { kind: 'good'; outputs: number }
  | { kind: 'filtered' }
  | { kind: 'rejected'; message: string }
  | { kind: 'error'; ctor: 'Error' | 'TypeError' | 'RangeError' | 'SyntaxError'; message: string }
  | { kind: 'garbage'; bytes: number[] }
  /** a decoder (or a library under it) that throws something other than an Error */
  | { kind: 'thrown'; value: string | number | boolean | null | undefined | Record<string, string> }

const message = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 10 }),
)
const spec: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('good' as const), outputs: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('filtered' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rejected' as const), message }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('error' as const),
      ctor: fc.constantFrom(
        'Error' as const,
        'TypeError' as const,
        'RangeError' as const,
        'SyntaxError' as const,
      ),
      message,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('thrown' as const),
      value: fc.oneof(
        fc.string({ maxLength: 10 }),
        fc.constant(''),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.constant({ message: 'not an Error' }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
    }),
  },
)

const CTORS = { Error, TypeError, RangeError, SyntaxError }

interface Out {
  index: number
  k: number
}

/** The record's bytes: a JSON spec, or raw garbage that the decoder refuses as not JSON. */
function encode(index: number, s: Spec): Buffer {
  // a byte that never starts JSON, then the index (so every record's bytes are unique), then noise
  if (s.kind === 'garbage')
    return Buffer.concat([Buffer.from([0xff]), Buffer.from(`${index}:`), Buffer.from(s.bytes)])
  return Buffer.from(JSON.stringify({ index, spec: s }))
}

function decode(value: Buffer): Out[] {
  let parsed: { index: number; spec: Spec }
  try {
    parsed = JSON.parse(value.toString('utf8')) as { index: number; spec: Spec }
  } catch (err) {
    throw new RejectedRecord(`not JSON: ${(err as Error).message}`)
  }
  const s = parsed.spec
  switch (s.kind) {
    case 'good':
      return Array.from({ length: s.outputs }, (_, k) => ({ index: parsed.index, k }))
    case 'filtered':
      return []
    case 'rejected':
      throw new RejectedRecord(s.message)
    case 'error':
      throw new CTORS[s.ctor](s.message)
    case 'thrown':
      // JSON drops an undefined property: that is the `undefined` case
      throw 'value' in s ? s.value : undefined
    default:
      throw new Error(`unexpected spec ${JSON.stringify(s)}`)
  }
}

/** the thrown message is the reason, unless it is blank (then the stage names what was thrown) */
const expectedReason = (s: Spec): string | undefined =>
  (s.kind === 'rejected' || s.kind === 'error') && s.message.trim() ? s.message : undefined

function dlqRecords(bus: MemoryBus): { key: string | null; record: DlqRecord }[] {
  return bus.messages(TOPICS.dlq).map((m) => {
    const parsed = dlqRecordSchema.safeParse(JSON.parse(m.value.toString('utf8')))
    if (!parsed.success) throw new Error(`DLQ message is not a DLQ record: ${m.value.toString('utf8')}`)
    return { key: m.key, record: parsed.data }
  })
}

describe('runStage with the in-process bus: every record is written or dead-lettered, exactly once', () => {
  it('arbitrary mixes of good and bad records, published in chunks, with transient write failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ spec, key: fc.option(fc.string({ maxLength: 6 }), { nil: null }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 4 }),
        // per write call: does it fail (a sink that is down for a moment)?
        fc.array(fc.boolean(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        async (records, chunks, failures, partitions) => {
          const bus = new MemoryBus(partitions)
          const written: Out[] = []
          let writeCalls = 0
          let retries = 0
          const dead: DlqRecord[] = []
          const sub = await runStage<Out>({
            bus,
            stage: 'prop-stage',
            topics: [INPUT],
            backoff: { baseMs: 1, maxMs: 2 },
            decode: (m) => decode(m.value),
            write: async (items) => {
              const fail = failures[writeCalls++ % Math.max(failures.length, 1)] ?? false
              // fail each batch at most a few times in a row so the run stays short
              if (fail && retries < 3) {
                retries++
                throw new Error('sink unavailable')
              }
              retries = 0
              written.push(...items)
            },
            onDead: (d) => dead.push(d),
          })
          try {
            // publish in chunks while the stage runs, then one last good record: it must get through
            const all = [...records, { spec: { kind: 'good', outputs: 1 } as Spec, key: 'sentinel' }]
            const encoded = all.map((r, index) => ({ key: r.key, value: encode(index, r.spec) }))
            let at = 0
            for (let c = 0; at < encoded.length; c++) {
              const n = chunks[c % chunks.length]!
              await bus.publish(INPUT, encoded.slice(at, at + n))
              at += n
            }
            await waitUntilCaughtUp(bus, [GROUP], 5_000)

            // where each input record sits in the log (every record's bytes are unique)
            const log = bus.messages(INPUT)
            expect(log).toHaveLength(all.length)
            const indexAt = new Map(
              log.map((m) => [
                `${m.partition}:${m.offset}`,
                encoded.findIndex((e) => e.value.equals(m.value)),
              ]),
            )
            expect([...indexAt.values()].sort((a, b) => a - b)).toEqual(all.map((_, i) => i))

            const dlq = dlqRecords(bus)
            // the DLQ topic is partitioned by record id: compare without order
            const byPos = (a: DlqRecord, b: DlqRecord) =>
              a.partition - b.partition || Number(a.offset) - Number(b.offset)
            expect(dlq.map((d) => d.record).sort(byPos)).toEqual([...dead].sort(byPos))
            const deadTimes = new Map<number, number>()
            for (const { key, record } of dlq) {
              const index = indexAt.get(`${record.partition}:${record.offset}`)
              if (index === undefined)
                throw new Error(`DLQ record points at no input record: ${JSON.stringify(record)}`)
              deadTimes.set(index, (deadTimes.get(index) ?? 0) + 1)
              expect(record.topic).toBe(INPUT)
              expect(record.stage).toBe('prop-stage')
              expect(key).toBe(dlqId(record))
              expect(record.key).toBe(encoded[index]!.key)
              expect(Buffer.from(record.value, 'base64').equals(encoded[index]!.value)).toBe(true)
              expect(record.reason.trim().length).toBeGreaterThan(0)
              expect(Number.isNaN(Date.parse(record.failedAt))).toBe(false)
              const s = all[index]!.spec
              const reason = expectedReason(s)
              if (reason) expect(record.reason).toBe(reason)
              if (s.kind === 'garbage') expect(record.reason).toMatch(/^not JSON: /)
            }

            const writtenTimes = new Map<string, number>()
            for (const o of written)
              writtenTimes.set(`${o.index}:${o.k}`, (writtenTimes.get(`${o.index}:${o.k}`) ?? 0) + 1)
            all.forEach((r, index) => {
              const outs = [...writtenTimes.entries()].filter(([k]) => k.startsWith(`${index}:`))
              const timesDead = deadTimes.get(index) ?? 0
              if (r.spec.kind === 'good') {
                expect(timesDead, `record ${index} is good`).toBe(0)
                expect(outs.map(([k]) => k).sort()).toEqual(
                  Array.from({ length: r.spec.outputs }, (_, k) => `${index}:${k}`).sort(),
                )
                for (const [, n] of outs) expect(n, `record ${index} written exactly once`).toBe(1)
              } else if (r.spec.kind === 'filtered') {
                expect(timesDead).toBe(0)
                expect(outs).toEqual([])
              } else {
                expect(outs, `record ${index} is bad: nothing written`).toEqual([])
                expect(timesDead, `record ${index} is dead-lettered exactly once`).toBe(1)
              }
            })
            expect(written).toHaveLength(
              all.reduce((n, r) => n + (r.spec.kind === 'good' ? r.spec.outputs : 0), 0),
            )
          } finally {
            await sub.stop()
            await bus.close()
          }
        },
      ),
      { numRuns: runs(60) },
    )
  })

  it('writes refused for their data are halved until exactly the refused records are dead-lettered; the rest is written once, transient failures only retried', async () => {
    class Refused extends Error {}
    await fc.assert(
      fc.asyncProperty(
        // per record: its outputs, or refused by the sink (like a row ClickHouse cannot parse)
        fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant('refused' as const)), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.array(fc.boolean(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (records, transient, partitions) => {
          const bus = new MemoryBus(partitions)
          const written: Out[] = []
          let calls = 0
          let inARow = 0
          const sub = await runStage<Out & { refused: boolean }>({
            bus,
            stage: 'prop-stage',
            topics: [INPUT],
            backoff: { baseMs: 1, maxMs: 2 },
            decode: (m) => {
              const { index, refused, outputs } = JSON.parse(m.value.toString('utf8'))
              return Array.from({ length: refused ? 1 : outputs }, (_, k) => ({ index, k, refused }))
            },
            write: async (items) => {
              if ((transient[calls++ % Math.max(transient.length, 1)] ?? false) && inARow < 2) {
                inARow++
                throw new Error('connection reset')
              }
              inARow = 0
              // all or nothing, as one ClickHouse insert block
              const bad = items.find((i) => i.refused)
              if (bad) throw new Refused(`row ${bad.index} refused`)
              written.push(...items.map(({ index, k }) => ({ index, k })))
            },
            isPermanent: (err) => err instanceof Refused,
            refusalReason: (err) => `refused: ${(err as Error).message}`,
          })
          try {
            await bus.publish(
              INPUT,
              records.map((r, index) => ({
                key: `k${index % 4}`,
                value: Buffer.from(
                  JSON.stringify({ index, refused: r === 'refused', outputs: r === 'refused' ? 0 : r }),
                ),
              })),
            )
            await waitUntilCaughtUp(bus, [GROUP], 10_000)
            const byOffset = new Map(
              bus
                .messages(INPUT)
                .map((m) => [`${m.partition}:${m.offset}`, JSON.parse(m.value.toString('utf8'))]),
            )
            const dead = dlqRecords(bus).map((d) => d.record)
            expect(
              dead.map((d) => byOffset.get(`${d.partition}:${d.offset}`).index).sort((a, b) => a - b),
            ).toEqual(records.flatMap((r, i) => (r === 'refused' ? [i] : [])))
            for (const d of dead) {
              const index = byOffset.get(`${d.partition}:${d.offset}`).index
              expect(d.reason).toBe(`refused: row ${index} refused`)
            }
            const expected = records.flatMap((r, index) =>
              r === 'refused' ? [] : Array.from({ length: r }, (_, k) => `${index}:${k}`),
            )
            expect(written.map((o) => `${o.index}:${o.k}`).sort()).toEqual(expected.sort())
          } finally {
            await sub.stop()
            await bus.close()
          }
        },
      ),
      { numRuns: runs(40) },
    )
  })

  it('the transformer stage: real and broken envelopes end up as events or in the DLQ, never both, never lost', async () => {
    const config = configSchema.parse({})
    const goodRecord = fc.record({
      id: fc.stringMatching(/^[A-Z]{1,3}-\d{1,3}$/),
      title: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim().length > 0),
      raisedBy: fc.constantFrom('ann@x.io', 'Mia@X.io', 'jira:acc-1'),
      raisedAt: fc.constantFrom('2026-07-01', '2026-07-01T09:30:00Z', '2026-07-01T09:30:00+02:00'),
      status: fc.constantFrom('proposed', 'decided', 'rejected', 'withdrawn', 'reversed', 'superseded'),
      decidedBy: fc.option(fc.constantFrom('dir@x.io', 'ceo@x.io'), { nil: undefined }),
      decidedAt: fc.option(fc.constantFrom('2026-07-02', '2026-06-01', 'yesterday'), { nil: undefined }),
    })
    const value = fc.oneof(
      {
        weight: 3,
        arbitrary: goodRecord.map((payload) => ({
          source: 'decisions',
          entity: 'decision',
          sourceId: payload.id,
          fetchedAt: '2026-07-05T00:00:00Z',
          payload,
        })),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      {
        weight: 1,
        arbitrary: fc.record({
          source: fc.constantFrom('jira', 'linear', 'calendar', 'decisions', 'slack'),
          entity: fc.constantFrom('issue', 'webhook', 'event', 'cycle', ''),
          sourceId: fc.string({ maxLength: 5 }),
          fetchedAt: fc.constant('2026-07-05T00:00:00Z'),
          payload: fc.jsonValue({ maxDepth: 3 }),
        }),
      },
    )
    const message = fc.oneof(
      { weight: 5, arbitrary: value.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)) },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 30 }), async (values) => {
        const bus = new MemoryBus()
        const written: { partition: number; offset: string; id: string }[] = []
        const sub = await runStage<{ partition: number; offset: string; id: string }>({
          bus,
          stage: 'transformer',
          topics: [INPUT],
          decode: (m) =>
            transformBytes(m.value, { config }).map((e) => ({
              partition: m.partition,
              offset: m.offset,
              id: e.id,
            })),
          write: async (items) => {
            written.push(...items)
          },
        })
        try {
          await bus.publish(
            INPUT,
            values.map((v, i) => ({ key: `k${i % 5}`, value: v })),
          )
          await waitUntilCaughtUp(bus, [{ groupId: 'orgpulse.transformer', topics: [INPUT] }], 5_000)
          const dlq = dlqRecords(bus).map((d) => d.record)
          for (const m of bus.messages(INPUT)) {
            // the oracle: the same pure function, called directly
            let expected: { ids: string[] } | { reason: string }
            try {
              expected = { ids: transformBytes(m.value, { config }).map((e) => e.id) }
            } catch (err) {
              expect(err).toBeInstanceOf(RejectedRecord)
              expected = { reason: (err as Error).message }
            }
            const here = (x: { partition: number; offset: string }) =>
              x.partition === m.partition && x.offset === m.offset
            const dead = dlq.filter(here)
            const out = written.filter(here).map((w) => w.id)
            if ('reason' in expected) {
              expect(dead).toHaveLength(1)
              expect(dead[0]!.reason).toBe(expected.reason)
              expect(out).toEqual([])
            } else {
              expect(dead).toEqual([])
              expect(out).toEqual(expected.ids)
            }
          }
        } finally {
          await sub.stop()
          await bus.close()
        }
      }),
      { numRuns: runs(40) },
    )
  })
})
