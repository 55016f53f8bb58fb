import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DlqRecord, rawEnvelopeSchema, rawTopic, TOPICS } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { importDecisions, importDecisionText } from '../src/import.ts'
import { withText } from '../src/parse.ts'

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

describe('the original text of each record', () => {
  it('JSON: each array element exactly as written, whatever the spacing, strings and nesting', () => {
    const element = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
    const space = fc.constantFrom('', ' ', '\n', '\n  ', '\t')
    fc.assert(
      fc.property(
        fc.array(fc.tuple(element, space, fc.boolean()), { maxLength: 5 }),
        space,
        (items, outer) => {
          const texts = items.map(
            ([e, sp, pretty]) => (pretty ? JSON.stringify(e, null, 2) : JSON.stringify(e)) + sp,
          )
          const file = `${outer}[${outer}${texts.join(`,${outer}`)}]${outer}`
          const read = withText('x.json', file)
          expect(read).toHaveLength(items.length)
          read.forEach((r, i) => {
            expect(r.text).toBe(texts[i]!.trimEnd())
            expect(JSON.parse(r.text)).toEqual(JSON.parse(JSON.stringify(items[i]![0]))) // -0 is 0 in JSON
          })
        },
      ),
    )
  })

  it('JSONL: the line itself; CSV: the header and the row, which read back as that record', () => {
    const jsonl = '{"id":"a"}\n\n  {"id": "b"}  \r\nnot json\n'
    expect(withText('x.jsonl', jsonl).map((r) => [r.record.line, r.text])).toEqual([
      [1, '{"id":"a"}'],
      [3, '  {"id": "b"}  '],
      [4, 'not json'],
    ])
    const csv = 'id,title\n\nC1,"two\nlines"\nC2,plain\n'
    const read = withText('x.csv', csv)
    expect(read.map((r) => [r.record.line, r.text])).toEqual([
      [3, 'id,title\nC1,"two\nlines"\n'],
      [5, 'id,title\nC2,plain\n'],
    ])
    for (const r of read)
      expect(withText('x.csv', r.text).map((x) => x.record.record)).toEqual([r.record.record])
  })
})
