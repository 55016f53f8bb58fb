import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/**
 * A decision record rejected by `ingest decisions`, also one that could not be read at all, is
 * dead-lettered with its own original bytes, and `dlq replay` reads exactly those bytes again.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-dlq-'))
const dataDir = join(work, 'data')

const orgpulse = orgpulseIn({ dataDir, cwd: work })

const ok = (id: string) =>
  JSON.stringify({ id, title: 't', raisedBy: 'a@x.io', raisedAt: '2026-07-01T00:00:00Z', status: 'proposed' })
const BROKEN_LINE = '{"id": "J2", broken'
const BAD_CSV_ROW = 'C2,Second,a@x.io,2026-07-02,maybe'
const BAD_ELEMENT = '{ "id": "A2",\n    "title": "no raiser", "status": "proposed" }'
const MADR = '---\nstatus: accepted\n---\nno title, no date\n'

const log = join(work, 'log')
mkdirSync(log)
writeFileSync(join(log, 'a.jsonl'), `${ok('J1')}\n${BROKEN_LINE}\n`)
writeFileSync(
  join(log, 'b.csv'),
  `id,title,raised_by,raised_at,status\nC1,First,a@x.io,2026-07-01,proposed\n${BAD_CSV_ROW}\n`,
)
writeFileSync(join(log, 'c.json'), `[\n  ${ok('A1')},\n  ${BAD_ELEMENT}\n]\n`)
writeFileSync(join(log, 'd.md'), MADR)

interface Listed {
  id: string
  topic: string
  offset: string
  original: string
  replayed: number
}
const listed = async (...extra: string[]): Promise<Listed[]> => {
  const r = await orgpulse('dlq', 'list', '--format', 'json', ...extra)
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout) as Listed[]).sort((a, b) => a.topic.localeCompare(b.topic))
}

describe('dead letters of decision imports', () => {
  it('carry the original bytes of each rejected record, and `dlq replay` imports those bytes again', async () => {
    const imported = await orgpulse('ingest', 'decisions', 'log')
    expect(imported.code).toBe(2)

    const dead = await listed()
    expect(dead.map((d) => [d.topic, d.offset, d.original])).toEqual([
      ['file:log/a.jsonl', '2', BROKEN_LINE],
      // a CSV row under its file's header: readable on its own
      ['file:log/b.csv', '3', `id,title,raised_by,raised_at,status\n${BAD_CSV_ROW}\n`],
      ['file:log/c.json', '2', BAD_ELEMENT],
      ['file:log/d.md', '1', MADR],
    ])

    const replay = await orgpulse('dlq', 'replay')
    expect(replay.stderr).toBe('')
    expect(replay.code).toBe(0)
    expect(replay.stdout).toMatch(/replayed 4 record\(s\)/)
    // nothing was fixed, so each is read from its bytes and rejected again: pending once more, under
    // the same id, with the same bytes
    expect(replay.stdout).toMatch(/4 decision record\(s\) were rejected again/)
    expect((await listed()).map((d) => [d.id, d.topic, d.offset, d.original])).toEqual(
      dead.map((d) => [d.id, d.topic, d.offset, d.original]),
    )
  })
})
