import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { importDecisions } from '@orgpulse/connector-decisions'
import { parseEnv, rawTopic } from '@orgpulse/contracts'
import { MemoryBus, publishRaw } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { openRuntime, type Runtime } from '../../services/cli/src/runtime.ts'

/**
 * The reported failure, as a user meets it: one decision titled "\ud800" used to stall the
 * embedded sink, and every ingest after it hung. Here it is refused at the edge, or
 * dead-lettered with its original bytes when it arrives past the edge, and the ingests that
 * follow, in the same data dir and in a later command on it, go through.
 */

let dataDir: string
let rt: Runtime
let app: Awaited<ReturnType<typeof buildApp>>

/** the api as `orgpulse start` wires it */
async function open(): Promise<void> {
  rt = await openRuntime({ env: parseEnv(process.env), dataDir, logLevel: 'error' })
  app = await buildApp({
    client: rt.client,
    bus: rt.bus,
    config: rt.config,
    flush: () => rt.flush(),
    health: rt.health,
    auth: 'none',
  })
}
async function close(): Promise<void> {
  await app.close()
  await rt.close()
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-poison-e2e-'))
  await open()
})
afterAll(async () => {
  await close()
  rmSync(dataDir, { recursive: true, force: true })
})

const record = (id: string, patch: Record<string, unknown> = {}) => ({
  id,
  title: `Decision ${id}`,
  raisedBy: 'ann@x.io',
  raisedAt: '2026-07-01T09:00:00Z',
  status: 'proposed',
  ...patch,
})

/** a POST as curl sends it: the body's bytes as typed, "\ud800" an escape in them */
const post = (json: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/decisions',
    headers: { 'content-type': 'application/json' },
    payload: json,
  })

async function stored(): Promise<string[]> {
  const rows = await queryRows<{ d: string }>(
    rt.client,
    "SELECT DISTINCT source_id AS d FROM decision_events FINAL WHERE type = 'decision.raised' ORDER BY d",
  )
  return rows.map((r) => r.d)
}

/** a timed ingest: each must finish well inside the 60 s a stall would take to be reported */
async function quickly<T>(what: Promise<T>): Promise<T> {
  const started = Date.now()
  const result = await what
  expect(Date.now() - started).toBeLessThan(10_000)
  return result
}

describe('a lone surrogate and the other poison classes, embedded', () => {
  it('POST /v1/decisions refuses "\\ud800" with the reason (and dead-letters it); the ingests after it go through', async () => {
    const res = await quickly(post(JSON.stringify(record('S-1')).replace('Decision S-1', '\\ud800')))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      error: '1 of 1 records are invalid; nothing was accepted',
      records: [
        {
          index: 0,
          id: 'S-1',
          errors: [
            'title: contains a lone UTF-16 surrogate (U+D800 at character 1); send well-formed Unicode',
          ],
        },
      ],
    })
    for (const id of ['G-1', 'G-2', 'G-3']) {
      const ok = await quickly(post(JSON.stringify(record(id))))
      expect(ok.statusCode).toBe(202)
    }
    expect(await stored()).toEqual(['G-1', 'G-2', 'G-3'])
  })

  it('each poison class is refused at the edge with its reason', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [record('C-1', { title: 'a\u0000b' }), 'title: contains a NUL character (at character 2)'],
      [record('C-2', { title: 'x'.repeat(4097) }), 'title: is 4097 characters long (at most 4096)'],
      [
        record('C-3', { raisedAt: '1899-12-31T23:59:59Z' }),
        'raisedAt: date "1899-12-31T23:59:59Z" is outside the range orgpulse stores (1900-01-01 to 2299-12-31)',
      ],
      [
        record('C-4', { status: 'decided', decidedBy: 'dir@x.io', decidedAt: '2300-01-01' }),
        'decidedAt: date "2300-01-01" is outside the range orgpulse stores (1900-01-01 to 2299-12-31)',
      ],
      [
        record('C-5', { tags: ['ok', '\udfffx'] }),
        'tags.1: contains a lone UTF-16 surrogate (U+DFFF at character 1); send well-formed Unicode',
      ],
      [
        record('C-6', { raisedAt: '+010000-01-01T00:00:00Z' }),
        'raisedAt: unparseable date "+010000-01-01T00:00:00Z" (expected ISO-8601 like 2026-07-01T09:30:00Z or 2026-07-01)',
      ],
    ]
    for (const [body, reason] of cases) {
      const res = await quickly(post(JSON.stringify(body)))
      expect(res.statusCode, reason).toBe(400)
      expect(res.json().records[0].errors).toEqual([reason])
    }
    // the edge's limits are the storage's: the largest and the earliest allowed are stored
    const edge = [
      record('E-1', { title: 'x'.repeat(4096) }),
      record('E-2', { raisedAt: '1900-01-01T00:00:00Z' }),
      record('E-3', { title: 'emoji \ud83d\ude00 pair' }),
    ]
    expect((await quickly(post(JSON.stringify(edge)))).statusCode).toBe(202)
    expect(await stored()).toEqual(['E-1', 'E-2', 'E-3', 'G-1', 'G-2', 'G-3'])
  })

  it('a poison record past the edge (straight onto the raw topic) is dead-lettered with its original bytes; the raw topic keeps them; later ingests and a later command go through', async () => {
    // what a connector or an older ingest service could publish: the edge never saw it
    await publishRaw(rt.bus, [
      {
        source: 'decisions',
        entity: 'decision',
        sourceId: 'R-1',
        fetchedAt: '2026-07-05T00:00:00Z',
        payload: record('R-1', { title: '\ud800' }),
      },
    ])
    await quickly(rt.flush())
    if (!(rt.bus instanceof MemoryBus)) throw new Error('expected embedded mode')
    const raw = rt.bus.messages(rawTopic('decisions')).find((m) => m.key === 'R-1')!
    // never altered: the escape JSON.stringify wrote is what the topic holds
    expect(raw.value.toString('utf8')).toContain('"title":"\\ud800"')
    const dead = await queryRows<{
      stage: string
      topic: string
      offset: string
      reason: string
      value: string
    }>(rt.client, "SELECT stage, topic, offset, reason, value FROM dlq FINAL WHERE key = 'R-1'")
    expect(dead).toEqual([
      {
        stage: 'transformer',
        topic: rawTopic('decisions'),
        offset: raw.offset,
        reason:
          'invalid decision record: title: contains a lone UTF-16 surrogate (U+D800 at character 1); send well-formed Unicode',
        value: raw.value.toString('base64'),
      },
    ])

    // a file import with poison lines: reported, dead-lettered, the good lines stored
    const file = join(dataDir, 'log.jsonl')
    writeFileSync(
      file,
      [
        JSON.stringify(record('F-1')),
        JSON.stringify(record('F-2', { title: '\ud800' })),
        JSON.stringify(record('F-3', { raisedBy: 'nul\u0000@x.io' })),
        JSON.stringify(record('F-4')),
      ].join('\n'),
    )
    const result = await quickly(importDecisions(rt.bus, file, dataDir))
    await quickly(rt.flush())
    expect(result.accepted).toBe(2)
    expect(result.rejected).toEqual([
      {
        file: 'log.jsonl',
        line: 2,
        errors: ['title: contains a lone UTF-16 surrogate (U+D800 at character 1); send well-formed Unicode'],
      },
      { file: 'log.jsonl', line: 3, errors: ['raisedBy: contains a NUL character (at character 4)'] },
    ])
    expect((await quickly(post(JSON.stringify(record('G-4'))))).statusCode).toBe(202)

    // a later command on the same data dir: what was dead-lettered is still listed, and ingests work
    await close()
    await open()
    expect((await quickly(post(JSON.stringify(record('G-5'))))).statusCode).toBe(202)
    expect(await stored()).toEqual(['E-1', 'E-2', 'E-3', 'F-1', 'F-4', 'G-1', 'G-2', 'G-3', 'G-4', 'G-5'])
    const dlq = await queryRows<{ stage: string; topic: string; offset: string; key: string }>(
      rt.client,
      'SELECT stage, topic, offset, key FROM dlq FINAL ORDER BY stage, topic, key, offset',
    )
    expect(dlq.map(({ stage, topic, key }) => ({ stage, topic, key }))).toEqual([
      // every record a POST was refused for (400), with its id
      ...['C-1', 'C-2', 'C-3', 'C-4', 'C-5', 'C-6', 'S-1'].map((key) => ({
        stage: 'ingest-decisions',
        topic: 'api:/v1/decisions',
        key,
      })),
      ...dlq
        .filter((d) => d.topic === 'file:log.jsonl')
        .map(({ key }) => ({ stage: 'ingest-decisions', topic: 'file:log.jsonl', key })),
      { stage: 'transformer', topic: rawTopic('decisions'), key: 'R-1' },
    ])
    expect(
      dlq
        .filter((d) => d.topic === 'file:log.jsonl')
        .map((d) => d.offset)
        .sort(),
    ).toEqual(['2', '3'])
    expect((await app.inject('/readyz')).json().checks.stages).toBe('ok')
  })
})
