import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CanonicalEvent, eventId } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToken } from '../src/facts.ts'
import {
  type ClickHouseClient,
  createClickHouse,
  migrate,
  queryRows,
  tableRow,
  writeFactRows,
} from '../src/index.ts'

/**
 * The insert-deduplication token of writeFactRows: over the rows as inserted, or, for rows that
 * carry the bytes they were built from (the sink), over those bytes. Either way a retry of the
 * same insert is dropped and different input is never dropped.
 */
let dir: string
let client: ClickHouseClient
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-tokens-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
})
afterAll(async () => {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
})

const raised = (n: number, title: string): CanonicalEvent => ({
  id: eventId('decisions', `T-${n}`, 'raised'),
  type: 'decision.raised',
  source: 'decisions',
  sourceId: `T-${n}`,
  occurredAt: '2026-07-01T09:00:00.000Z',
  version: 1,
  decisionId: `decisions:T-${n}`,
  raisedBy: 'ann@x.io',
  title,
  team: '',
  project: '',
  epic: '',
  expectedDecider: '',
  complete: true,
  arrival: 0,
  tags: [],
})

// without FINAL: a dropped insert leaves no row, whatever merges do
const titles = async () =>
  (
    await queryRows<{ title: string }>(
      client,
      "SELECT title FROM decision_events WHERE source_id LIKE 'T-%' ORDER BY title",
    )
  ).map((r) => r.title)

describe('writeFactRows tokens', () => {
  it('rows with their bytes: the same bytes again are a retry (dropped); other bytes are stored, also for identical rows', async () => {
    const bytes = Buffer.from('{"the":"message"}')
    await writeFactRows(client, [{ ...tableRow(raised(1, 'first')), from: bytes }])
    // the caller's contract: same bytes, same rows; a row that differs shows the token is the bytes'
    await writeFactRows(client, [{ ...tableRow(raised(1, 'retried')), from: Buffer.from(bytes) }])
    // the bytes of two rows differ only in where one ends: the length prefix tells them apart
    await writeFactRows(client, [
      { ...tableRow(raised(2, 'split a')), from: Buffer.from('ab') },
      { ...tableRow(raised(3, 'split a')), from: Buffer.from('c') },
    ])
    await writeFactRows(client, [
      { ...tableRow(raised(2, 'split b')), from: Buffer.from('a') },
      { ...tableRow(raised(3, 'split b')), from: Buffer.from('bc') },
    ])
    // rows without bytes are hashed as rows: equal to an earlier insert's rows, yet not dropped
    await writeFactRows(client, [tableRow(raised(1, 'first'))])
    expect(await titles()).toEqual(['first', 'first', 'split a', 'split a', 'split b', 'split b'])
  })

  it('the bytes token is sha256 over the table, a newline and each row as 4-byte length + bytes', () => {
    const rows = [Buffer.from('ab'), Buffer.from('c')].map((from) => ({ ...tableRow(raised(9, 'x')), from }))
    // by hand: "decision_events\n" 00 00 00 02 'a' 'b' 00 00 00 01 'c'
    const expected = createHash('sha256')
      .update(Buffer.from('decision_events\n\u0000\u0000\u0000\u0002ab\u0000\u0000\u0000\u0001c', 'latin1'))
      .digest('hex')
    expect(bytesToken('decision_events', rows)).toBe(`decision_events:2:b:${expected}`)
  })
})
