import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DlqRecord, rawEnvelopeSchema, rawTopic, TOPICS } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { importDecisions, importDecisionText } from '../src/import.ts'

/**
 * What `dlq replay` does with a decision import's dead letter: the bytes it kept, read again as a
 * record of its file. Once the cause is gone, the record arrives at the raw topic like any import.
 */
const dir = mkdtempSync(join(tmpdir(), 'orgpulse-replay-'))
const deadLetters = (bus: MemoryBus) =>
  bus.messages(TOPICS.dlq).map((m) => JSON.parse(m.value.toString('utf8')) as DlqRecord)

describe('replaying a decision dead letter', () => {
  it('reads the kept bytes with the parser of the file type and publishes the record', async () => {
    const bus = new MemoryBus()
    // a JSON element the validator rejects (no raisedBy, raisedAt): its own bytes are kept
    const element = '{"id": "A2", "title": "t", "status": "proposed"}'
    writeFileSync(join(dir, 'log.json'), `[${element}]`)
    await importDecisions(bus, join(dir, 'log.json'), dir)
    const [dead] = deadLetters(bus)
    expect(Buffer.from(dead!.value, 'base64').toString('utf8')).toBe(element)

    // the cause fixed (here: the bytes as the source now has them), the replay path publishes it
    const fixed =
      '{"id": "A2", "title": "t", "raisedBy": "a@x.io", "raisedAt": "2026-07-01", "status": "proposed"}'
    const result = await importDecisionText(bus, { where: 'log.json', line: 1, text: fixed })
    expect(result).toMatchObject({ accepted: 1, rejected: [] })
    const [raw] = bus.messages(rawTopic('decisions'))
    const envelope = rawEnvelopeSchema.parse(JSON.parse(raw!.value.toString('utf8')))
    expect(envelope).toMatchObject({ sourceId: 'A2', meta: { file: 'log.json', line: 1 } })
    expect(envelope.payload).toEqual(JSON.parse(fixed))
  })

  it('a CSV row under its header keeps its line number; rejected again, it keeps its bytes', async () => {
    const bus = new MemoryBus()
    const text = 'id,title,raised_by,raised_at,status\nC2,Second,a@x.io,2026-07-02,maybe\n'
    const result = await importDecisionText(bus, { where: 'log/b.csv', line: 7, text })
    expect(result.rejected).toEqual([
      { file: 'log/b.csv', line: 7, errors: [expect.stringMatching(/status/)] },
    ])
    const [dead] = deadLetters(bus)
    expect(dead).toMatchObject({ topic: 'file:log/b.csv', offset: '7' })
    expect(Buffer.from(dead!.value, 'base64').toString('utf8')).toBe(text)
  })
})
