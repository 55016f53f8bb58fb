import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  createClickHouse,
  isPermanentInsertError,
  migrate,
  queryRows,
  refusalReason,
  writeFacts,
} from '@orgpulse/clickhouse'
import {
  type CanonicalEvent,
  type DlqRecord,
  dlqRecordSchema,
  eventId,
  TOPIC_SPECS,
  TOPICS,
} from '@orgpulse/contracts'
import {
  dlqId,
  MemoryBus,
  runStage,
  StageHealth,
  type Subscription,
  waitUntilCaughtUp,
} from '@orgpulse/kafka'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { STAGE_GROUPS, startDlqSink, startSink } from '../src/stages.ts'
import { VALIDATED_HEADER, VALIDATED_VALUE } from '../src/transform.ts'

/**
 * Poison records against the real embedded engine: what ClickHouse refuses never holds the
 * records behind it, and what is merely unavailable for a moment is retried, never dead-lettered.
 */

let dir: string
let client: ClickHouseClient

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-poison-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
})
afterAll(async () => {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
})

let n = 0
/** a decision.raised event with a fresh id; `patch` may break it */
function raised(patch: Record<string, unknown> = {}): Record<string, unknown> {
  n++
  return {
    id: eventId('decisions', `P-${n}`, 'raised'),
    type: 'decision.raised',
    source: 'decisions',
    sourceId: `P-${n}`,
    occurredAt: '2026-07-01T09:00:00.000Z',
    version: 1,
    decisionId: `decisions:P-${n}`,
    raisedBy: 'ann@x.io',
    title: `Decision ${n}`,
    team: '',
    tags: [],
    ...patch,
  }
}

const bytes = (e: unknown): Buffer => Buffer.from(JSON.stringify(e))

function dlqOf(bus: MemoryBus): DlqRecord[] {
  return bus.messages(TOPICS.dlq).map((m) => dlqRecordSchema.parse(JSON.parse(m.value.toString('utf8'))))
}

async function storedIds(ids: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    client,
    'SELECT id FROM decision_events FINAL WHERE id IN {ids:Array(String)} ORDER BY id',
    { ids },
  )
  return rows.map((r) => r.id)
}

/** the client, but its first inserts fail with the given errors */
function failingFirst(real: ClickHouseClient, failures: (() => Error | Promise<never>)[]): ClickHouseClient {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'insert')
        return async (args: Parameters<ClickHouseClient['insert']>[0]) => {
          const fail = failures.shift()
          if (fail) {
            const e = fail()
            if (e instanceof Error) throw e
            return e
          }
          return target.insert(args)
        }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

let bus: MemoryBus
let subs: Subscription[]
beforeEach(async () => {
  bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs = []
  return async () => {
    for (const s of subs) await s.stop()
    await bus.close()
  }
})

describe('the sink write path on ClickHouse refusals', () => {
  it('a batch with good rows and two refused ones: exactly the good ones stored, exactly the refused ones dead-lettered with ClickHouse’s message', async () => {
    // the sink's write path without the canonical validation in front of it: what it does with
    // a value that validation missed (validation now refuses both of these before the sink)
    const good = Array.from({ length: 7 }, () => raised())
    const surrogate = raised({ title: '\ud800' })
    const year10000 = raised({ occurredAt: '+010000-01-01T00:00:00.000Z' })
    const batch = [good[0], good[1], surrogate, good[2], good[3], good[4], year10000, good[5], good[6]]
    let inserts = 0
    subs.push(
      await runStage<CanonicalEvent>({
        bus,
        stage: 'sink',
        topics: [TOPICS.events],
        decode: (m) => [JSON.parse(m.value.toString('utf8')) as CanonicalEvent],
        write: async (events) => {
          inserts++
          await writeFacts(client, events)
        },
        isPermanent: isPermanentInsertError,
        refusalReason,
      }),
    )
    // one key: one partition, one batch
    await bus.publish(
      TOPICS.events,
      batch.map((e) => ({ key: 'same', value: bytes(e) })),
    )
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 20_000)

    expect(await storedIds(batch.map((e) => e!.id as string))).toEqual(good.map((e) => e.id).sort())
    const dead = dlqOf(bus).sort((a, b) => Number(a.offset) - Number(b.offset))
    expect(dead.map((d) => d.offset)).toEqual(['2', '6'])
    expect(dead[0]!.reason).toMatch(
      /^ClickHouse refused the row: CANNOT_PARSE_ESCAPE_SEQUENCE \(25\): Cannot parse escape sequence: missing second part of surrogate pair/,
    )
    expect(dead[1]!.reason).toMatch(/^ClickHouse refused the row: CANNOT_PARSE_DATETIME \(41\): /)
    for (const [d, e] of [
      [dead[0]!, surrogate],
      [dead[1]!, year10000],
    ] as const) {
      expect(d).toMatchObject({ stage: 'sink', topic: TOPICS.events, key: 'same' })
      expect(Buffer.from(d.value, 'base64').equals(bytes(e))).toBe(true)
    }
    // halving: 0–8 refused; 0–4 and 5–8 refused; 0–2 refused, 3–4 stored; 0–1 stored, 2 refused;
    // 5–6 refused, 7–8 stored; 5 stored, 6 refused. 11 inserts here; row by row would grow with
    // the batch (500 rows: 501), halving with the refused rows times the batch's log2
    expect(inserts).toBe(11)

    // and the partition goes on
    const after = raised()
    await bus.publish(TOPICS.events, [{ key: 'same', value: bytes(after) }])
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 10_000)
    expect(await storedIds([after.id as string])).toEqual([after.id])
  })

  it('startSink: a connection refused and TOO_MANY_PARTS are retried, nothing is dead-lettered, the batch is stored once', async () => {
    // a real closed connection: a ClickHouse server address where nothing listens
    const nobody = createClickHouse({ url: 'http://127.0.0.1:9/' })
    const tooManyParts = () =>
      Object.assign(
        new Error('Too many parts (3001). Merges are processing significantly slower than inserts'),
        {
          code: '252',
          type: 'TOO_MANY_PARTS',
        },
      )
    const flaky = failingFirst(client, [
      () =>
        nobody.insert({ table: 'decision_events', values: [{}], format: 'JSONEachRow' }) as Promise<never>,
      tooManyParts,
      tooManyParts,
    ])
    const health = new StageHealth(60_000)
    const retries: string[] = []
    subs.push(
      await startSink(
        bus,
        flaky,
        {
          debug() {},
          info() {},
          warn: (o) => retries.push((o as { err: string }).err),
          error() {},
        },
        { health },
      ),
    )
    const events = [raised(), raised(), raised()]
    await bus.publish(
      TOPICS.events,
      events.map((e) => ({ key: 'k', value: bytes(e) })),
    )
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 20_000)
    await nobody.close()
    expect(retries).toHaveLength(3)
    expect(retries[0]).toMatch(/ECONNREFUSED/)
    expect(retries.slice(1)).toEqual([
      'Too many parts (3001). Merges are processing significantly slower than inserts',
      'Too many parts (3001). Merges are processing significantly slower than inserts',
    ])
    expect(dlqOf(bus)).toEqual([])
    expect(await storedIds(events.map((e) => e.id as string))).toEqual(events.map((e) => e.id).sort())
    expect(health.check()).toBe('ok')
  })

  it('startSink: each poison class on the canonical topic is dead-lettered with the reason and its bytes; the good events around it are stored', async () => {
    const good = [raised(), raised(), raised()]
    const poison: Record<string, Record<string, unknown>> = {
      'lone surrogate': raised({ title: '\ud800' }),
      'lone low surrogate': raised({ title: 'x\udc00' }),
      'NUL byte': raised({ raisedBy: 'ann\u0000@x.io' }),
      'very long string': raised({ title: 'x'.repeat(5000) }),
      'before 1900': raised({ occurredAt: '1899-12-31T23:59:59.999Z' }),
      'after 2299': raised({ occurredAt: '2300-01-01T00:00:00.000Z' }),
      'version beyond 2^53': raised({ version: 2 ** 64 }),
      'negative version': raised({ version: -1 }),
    }
    const meetingOverflow = {
      id: eventId('calendar', 'm-1', '1'),
      type: 'meeting.held',
      source: 'calendar',
      sourceId: 'm-1',
      occurredAt: '2026-07-01T09:00:00.000Z',
      version: 1,
      meetingId: 'm-1',
      start: '2026-07-01T09:00:00.000Z',
      end: '2026-07-01T10:00:00.000Z',
      class: 'team',
      organizer: 'ann@x.io',
      // UInt32 would store 2^32 as 0
      externalAttendees: 2 ** 32,
    }
    subs.push(await startSink(bus, client))
    const all = [good[0]!, ...Object.values(poison), meetingOverflow, good[1]!, good[2]!]
    await bus.publish(
      TOPICS.events,
      all.map((e) => ({ key: 'k', value: bytes(e) })),
    )
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 20_000)
    expect(await storedIds(all.map((e) => e.id as string))).toEqual(good.map((e) => e.id).sort())
    const dead = dlqOf(bus).sort((a, b) => Number(a.offset) - Number(b.offset))
    expect(dead).toHaveLength(Object.keys(poison).length + 1)
    const reasons = dead.map((d) => d.reason)
    expect(reasons).toEqual([
      'not a canonical event: title: contains a lone UTF-16 surrogate (U+D800 at character 1); send well-formed Unicode',
      'not a canonical event: title: contains a lone UTF-16 surrogate (U+DC00 at character 2); send well-formed Unicode',
      'not a canonical event: raisedBy: contains a NUL character (at character 4)',
      'not a canonical event: title: is 5000 characters long (at most 4096)',
      'not a canonical event: occurredAt: is outside the range orgpulse stores (1900-01-01 to 2299-12-31)',
      'not a canonical event: occurredAt: is outside the range orgpulse stores (1900-01-01 to 2299-12-31)',
      expect.stringMatching(/^not a canonical event: version: /),
      expect.stringMatching(/^not a canonical event: version: /),
      expect.stringMatching(
        /^not a canonical event: externalAttendees: Too big: expected number to be <=4294967295/,
      ),
    ])
    dead.forEach((d, i) => {
      expect(Buffer.from(d.value, 'base64').equals(bytes(all[i + 1]))).toBe(true)
      expect(d).toMatchObject({ stage: 'sink', topic: TOPICS.events, offset: String(i + 1) })
    })
  })

  it('startSink: an event with the transformer’s header is parsed, not validated again; without it, validated in full; with it but not buildable as a row, dead-lettered with the schema’s reason', async () => {
    // complete, as the transformer publishes it (defaults applied)
    const full = (patch: Record<string, unknown> = {}) =>
      raised({ project: '', epic: '', expectedDecider: '', complete: false, arrival: 0, ...patch })
    // the schema refuses an empty raisedBy; ClickHouse stores it: which path ran shows in the table
    const trusted = full({ raisedBy: '' })
    const untrusted = full({ raisedBy: '' })
    const ok = full()
    // a meeting without its attendees: the fact row cannot be built (attendees.map)
    const meeting = {
      id: eventId('calendar', 'm-2', '1'),
      type: 'meeting.held',
      source: 'calendar',
      sourceId: 'm-2',
      occurredAt: '2026-07-01T09:00:00.000Z',
      version: 1,
      meetingId: 'm-2',
      start: 'not a time',
      end: '2026-07-01T10:00:00.000Z',
      class: 'team',
      organizer: 'ann@x.io',
    }
    const unknownType = { ...full(), type: 'decision.pondered' }
    subs.push(await startSink(bus, client))
    const header = { [VALIDATED_HEADER]: VALIDATED_VALUE }
    await bus.publish(TOPICS.events, [
      { key: 'k', value: bytes(trusted), headers: header },
      { key: 'k', value: bytes(untrusted) },
      { key: 'k', value: bytes(meeting), headers: header },
      { key: 'k', value: bytes(unknownType), headers: header },
      { key: 'k', value: bytes(ok), headers: { [VALIDATED_HEADER]: 'something else' } },
    ])
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 20_000)
    expect(await storedIds([trusted, untrusted, ok].map((e) => e.id as string))).toEqual(
      [trusted.id as string, ok.id as string].sort(),
    )
    const dead = dlqOf(bus).sort((a, b) => Number(a.offset) - Number(b.offset))
    expect(dead.map((d) => [d.offset, d.reason])).toEqual([
      ['1', expect.stringMatching(/^not a canonical event: raisedBy: /)],
      ['2', expect.stringMatching(/^not a canonical event: (start|attendees)/)],
      ['3', expect.stringMatching(/^not a canonical event: type: /)],
    ])
    expect(Buffer.from(dead[1]!.value, 'base64').equals(bytes(meeting))).toBe(true)
  })
})

describe('the DLQ sink', () => {
  it('a dead letter ClickHouse refuses is stored as the DLQ message itself, with ClickHouse’s message, never published back to the DLQ', async () => {
    // chDB refuses nothing a DlqRecord can hold once its text is made storable, so this client
    // refuses rows the way ClickHouse answers (code and name) for one marked reason
    const picky = new Proxy(client, {
      get(target, prop) {
        if (prop === 'insert')
          return async (args: Parameters<ClickHouseClient['insert']>[0]) => {
            const rows = args.values as { reason: string }[]
            if (rows.some((r) => r.reason === 'refuse me'))
              throw Object.assign(new Error("Cannot parse input: expected '\"' before: 'refuse me'"), {
                code: '27',
                type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
              })
            return target.insert(args)
          }
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    subs.push(await startDlqSink(bus, picky))
    const record = (offset: number, reason: string): DlqRecord => ({
      reason,
      stage: 'transformer',
      topic: 'orgpulse.raw.jira.v1',
      partition: 1,
      offset: String(offset),
      key: `J-${offset}`,
      value: Buffer.from(`{"n":${offset}}`).toString('base64'),
      failedAt: '2026-07-01T09:00:00.000Z',
    })
    const records = [record(700, 'fine'), record(701, 'refuse me'), record(702, 'fine too')]
    await bus.publish(
      TOPICS.dlq,
      records.map((d) => ({ key: 'one partition', value: bytes(d) })),
    )
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.dlqSink], 20_000)
    // nothing was published back to the DLQ topic
    expect(bus.messages(TOPICS.dlq)).toHaveLength(3)
    const rows = await queryRows<{
      stage: string
      topic: string
      offset: string
      reason: string
      value: string
    }>(
      client,
      "SELECT stage, topic, offset, reason, value FROM dlq FINAL WHERE topic = 'orgpulse.raw.jira.v1' OR stage = 'dlq-sink' ORDER BY offset",
    )
    const dlqMessage = bus.messages(TOPICS.dlq)[1]!
    expect(rows).toEqual(
      [
        {
          stage: 'transformer',
          topic: 'orgpulse.raw.jira.v1',
          offset: '700',
          reason: 'fine',
          value: records[0]!.value,
        },
        {
          stage: 'transformer',
          topic: 'orgpulse.raw.jira.v1',
          offset: '702',
          reason: 'fine too',
          value: records[2]!.value,
        },
        {
          stage: 'dlq-sink',
          topic: TOPICS.dlq,
          offset: dlqMessage.offset,
          reason: `ClickHouse refused the row: CANNOT_PARSE_INPUT_ASSERTION_FAILED (27): Cannot parse input: expected '"' before: 'refuse me'`,
          // the DLQ message's own bytes: `dlq replay` puts them back on the DLQ topic once fixed
          value: dlqMessage.value.toString('base64'),
        },
      ].sort((a, b) => Number(a.offset) - Number(b.offset)),
    )
  })

  it('stores a dead letter whose reason and key carry a lone surrogate and whose failedAt is garbage, and the ones after it', async () => {
    subs.push(await startDlqSink(bus, client))
    const record = (offset: number, patch: Partial<DlqRecord> = {}): DlqRecord => ({
      reason: 'invalid decision record: raisedAt: unparseable date "\ud800"',
      stage: 'transformer',
      topic: 'orgpulse.raw.decisions.v1',
      partition: 0,
      offset: String(offset),
      key: 'D-\udfff',
      value: Buffer.from('{"title":"\\ud800"}').toString('base64'),
      failedAt: 'not a time',
      ...patch,
    })
    const poison = record(900)
    const after = record(901, { reason: 'fine', key: 'D-2', failedAt: '2026-07-01T09:00:00.000Z' })
    await bus.publish(
      TOPICS.dlq,
      [poison, after].map((d) => ({ key: dlqId(d), value: bytes(d) })),
    )
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.dlqSink], 20_000)
    const rows = await queryRows<{ id: string; reason: string; key: string; value: string }>(
      client,
      'SELECT id, reason, key, value FROM dlq FINAL WHERE id IN {ids:Array(String)} ORDER BY offset',
      { ids: [dlqId(poison), dlqId(after)] },
    )
    expect(rows).toEqual([
      {
        id: dlqId(poison),
        reason: 'invalid decision record: raisedAt: unparseable date "\ufffd"',
        key: 'D-\ufffd',
        // the original bytes, untouched
        value: poison.value,
      },
      { id: dlqId(after), reason: 'fine', key: 'D-2', value: after.value },
    ])
  })
})
