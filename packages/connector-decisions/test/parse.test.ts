import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rawTopic, TOPICS } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { importDecisions } from '../src/import.ts'
import { readDecisionFile } from '../src/parse.ts'

const dir = () => mkdtempSync(join(tmpdir(), 'orgpulse-decisions-'))

describe('decision files', () => {
  it('reads CSV with snake_case headers, reporting real line numbers', () => {
    const d = dir()
    const f = join(d, 'log.csv')
    writeFileSync(
      f,
      'id,title,raised_by,raised_at,status,decided_by,decided_at,escalated_to\n' +
        'D1,"Pick a queue, finally",ann@x.io,2026-07-01,decided,mia@x.io,2026-07-03,dir@x.io;ceo@x.io\n\n' +
        'D2,Second,bo@x.io,2026-07-02,proposed,,,\n',
    )
    const rows = readDecisionFile(f)
    expect(rows.map((r) => r.line)).toEqual([2, 4])
    expect(rows[0]!.record).toEqual({
      id: 'D1',
      title: 'Pick a queue, finally',
      raisedBy: 'ann@x.io',
      raisedAt: '2026-07-01',
      status: 'decided',
      decidedBy: 'mia@x.io',
      decidedAt: '2026-07-03',
      escalatedTo: 'dir@x.io;ceo@x.io',
    })
  })

  it('imports JSONL, rejecting non-JSON lines and invalid records with line numbers, dead-lettering them', async () => {
    const d = dir()
    const f = join(d, 'log.jsonl')
    writeFileSync(
      f,
      [
        JSON.stringify({
          id: 'A',
          title: 't',
          raisedBy: 'a@x.io',
          raisedAt: '2026-07-01T00:00:00Z',
          status: 'proposed',
        }),
        'this is not json',
        JSON.stringify({
          title: 't',
          raisedBy: 'a@x.io',
          raisedAt: '2026-07-01T00:00:00Z',
          status: 'proposed',
        }),
        JSON.stringify({
          id: 'C',
          title: 't',
          raisedBy: 'a@x.io',
          raisedAt: '2026-07-05T00:00:00Z',
          status: 'decided',
          decidedBy: 'b@x.io',
          decidedAt: '2026-07-01T00:00:00Z',
        }),
      ].join('\n'),
    )
    const bus = new MemoryBus()
    const result = await importDecisions(bus, f, d)
    expect(result.accepted).toBe(1)
    expect(result.rejected.map((r) => [r.line, r.errors])).toEqual([
      [2, [expect.stringMatching(/^not valid JSON/)]],
      [3, ['id: id is required']],
      [4, ['decidedAt: decidedAt 2026-07-01T00:00:00.000Z is before raisedAt 2026-07-05T00:00:00.000Z']],
    ])
    expect(bus.messages(rawTopic('decisions'))).toHaveLength(1)
    const dead = bus.messages(TOPICS.dlq).map((m) => JSON.parse(m.value.toString()))
    expect(dead.map((x) => [x.offset, x.stage])).toEqual([
      ['2', 'ingest-decisions'],
      ['3', 'ingest-decisions'],
      ['4', 'ingest-decisions'],
    ])
    expect(dead[1].reason).toBe('id: id is required')
  })

  it('reads MADR front matter, preferring explicit fields, then git history, and says which was used', () => {
    const d = dir()
    execFileSync('git', ['init', '-q'], { cwd: d })
    mkdirSync(join(d, 'adr'))
    const f = join(d, 'adr', '0007-use-clickhouse.md')
    writeFileSync(
      f,
      '---\nstatus: proposed\ndate: 2026-09-30\ndeciders: [mia@x.io]\n---\n# Use ClickHouse for metrics\n\nContext…\n',
    )
    const git = (args: string[], date: string) =>
      execFileSync('git', args, {
        cwd: d,
        env: {
          ...process.env,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_DATE: date,
          GIT_AUTHOR_EMAIL: 'ann@x.io',
          GIT_AUTHOR_NAME: 'Ann',
          GIT_COMMITTER_EMAIL: 'ann@x.io',
          GIT_COMMITTER_NAME: 'Ann',
        },
      })
    git(['add', '.'], '2026-07-01T10:00:00Z')
    git(['commit', '-qm', 'propose'], '2026-07-01T10:00:00Z')
    writeFileSync(
      f,
      '---\nstatus: accepted\ndate: 2026-09-30\ndeciders: [mia@x.io]\n---\n# Use ClickHouse for metrics\n\nContext…\n',
    )
    git(['commit', '-qam', 'accept'], '2026-07-08T16:00:00Z')
    const [row] = readDecisionFile(f)
    expect(row!.record).toMatchObject({
      id: '0007-use-clickhouse',
      title: 'Use ClickHouse for metrics',
      status: 'decided',
      raisedBy: 'ann@x.io',
      decidedBy: 'mia@x.io',
      // git's strict ISO form; the decision schema normalises it to UTC on validation
      raisedAt: '2026-07-01T10:00:00+00:00',
      decidedAt: '2026-07-08T16:00:00+00:00',
    })
    expect(row!.provenance).toEqual({
      raisedAt: 'git history',
      updatedAt: 'git history',
      decidedAt: 'git history',
      expectedDecider: 'MADR decision-makers (the first one listed)',
    })
  })

  it('falls back to the MADR date only when nothing better exists, and says so', () => {
    const d = dir()
    const f = join(d, 'adr-1.md')
    writeFileSync(
      f,
      '---\nid: ADR-1\nstatus: accepted\nraisedBy: ann@x.io\nraisedAt: 2026-07-01\ndate: 2026-07-09\ndeciders: mia@x.io, bo@x.io\n---\n# One\n',
    )
    const [row] = readDecisionFile(f)
    expect(row!.record).toMatchObject({
      id: 'ADR-1',
      raisedAt: '2026-07-01',
      decidedAt: '2026-07-09',
      decidedBy: 'mia@x.io',
    })
    expect(row!.provenance!.raisedAt).toBe('front matter')
    expect(row!.provenance!.decidedAt).toMatch(/^MADR date/)
  })

  it('a front-matter status or date that is not text is an error on that file, never a crash', () => {
    const d = dir()
    // found by the MADR property test: YAML can give a mapping with no string form
    const status = join(d, 'adr-2.md')
    writeFileSync(status, '---\nstatus: {"toString": null}\n---\nContext…\n')
    expect(readDecisionFile(status)).toEqual([
      { file: status, line: 1, record: null, error: 'front matter status: expected text such as "accepted"' },
    ])
    const date = join(d, 'adr-3.md')
    writeFileSync(
      date,
      '---\nid: ADR-3\nstatus: accepted\nraisedBy: ann@x.io\ndate: {"toString": null}\n---\n# Three\n',
    )
    expect(readDecisionFile(date)).toEqual([
      { file: date, line: 1, record: null, error: 'front matter date: expected a date such as 2026-07-09' },
    ])
  })
})
