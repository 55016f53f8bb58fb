import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-'))
const dataDir = join(work, 'data')

const orgpulse = orgpulseIn({ dataDir, cwd: work })

const ORG = `email,name,manager_email,title
dir@x.io,Dana,,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
a1@x.io,Ann,m1@x.io,Engineer
b1@x.io,Bea,m2@x.io,Engineer
`

describe('the orgpulse command in embedded mode', () => {
  it('imports an org, rejecting a broken HR file with every reason', async () => {
    writeFileSync(
      join(work, 'bad.csv'),
      'email,name,manager_email,title\nx@x.io,X,ghost@x.io,Eng\nx@x.io,X2,,CEO\nnot-an-email,Y,,CEO\n',
    )
    const bad = await orgpulse('org', 'import', 'bad.csv')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/ghost@x\.io/)
    expect(bad.stderr).toMatch(/duplicate/i)
    expect(bad.stderr).toMatch(/not-an-email/)

    writeFileSync(join(work, 'org.csv'), ORG)
    const ok = await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01', '--format', 'json')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ effective: '2026-01-01', people: 5, directors: 1 })
  })

  it('ingests a decision log, reports rejected lines, and makes the rest queryable before returning', async () => {
    writeFileSync(
      join(work, 'log.jsonl'),
      [
        JSON.stringify({
          id: 'D1',
          title: 'a',
          raisedBy: 'a1@x.io',
          raisedAt: '2026-07-01T00:00:00Z',
          status: 'decided',
          decidedBy: 'dir@x.io',
          decidedAt: '2026-07-03T00:00:00Z',
        }),
        JSON.stringify({
          id: 'D2',
          title: 'b',
          raisedBy: 'b1@x.io',
          raisedAt: '2026-07-02T00:00:00Z',
          status: 'decided',
          decidedBy: 'm2@x.io',
          decidedAt: '2026-07-02T12:00:00Z',
        }),
        '{"id": "D3", broken',
        JSON.stringify({
          id: 'D4',
          title: 'd',
          raisedBy: 'a1@x.io',
          raisedAt: '2026-07-05T00:00:00Z',
          status: 'decided',
        }),
        JSON.stringify({
          id: 'D5',
          title: 'e',
          raisedBy: 'stranger@else.io',
          raisedAt: '2026-07-05T00:00:00Z',
          status: 'proposed',
        }),
      ].join('\n'),
    )
    const res = await orgpulse('ingest', 'decisions', 'log.jsonl')
    expect(res.code).toBe(2)
    expect(res.stdout).toContain('accepted 3 decision records from 1 file(s)')
    expect(res.stdout).toContain('log.jsonl:3: not valid JSON')
    expect(res.stdout).toContain(
      'log.jsonl:4: decidedBy: status decided requires decidedBy; decidedAt: status decided requires decidedAt',
    )

    const metrics = await orgpulse(
      'metrics',
      '--org',
      'dir@x.io',
      '--from',
      '2026-07-01',
      '--to',
      '2026-08-01',
      '--format',
      'json',
    )
    expect(metrics.code).toBe(0)
    const m = JSON.parse(metrics.stdout)
    expect(m.metrics.decisions_decided).toBe(2)
    // D1 48h by the director (escalated, centralised), D2 12h by m2: two decisions are too few
    // for a median or a ratio (minimum 3), so they are shown as such, with their n
    expect(m.samples.decision_latency_p50_hours).toBe(2)
    expect(m.metrics.decision_latency_p50_hours).toBeNull()
    expect(m.withheld.decision_latency_p50_hours).toBe('too_few: n = 2 decisions decided (minimum 3)')
    expect(m.withheld.centralization).toBe(
      'too_few: n = 2 decisions decided that the leader did not raise (minimum 3)',
    )
    expect(m.withheld.escalation_rate).toBe('too_few: n = 2 decisions decided (minimum 3)')
    expect(m.teams.map((t: { id: string }) => t.id).sort()).toEqual(['u:m1@x.io', 'u:m2@x.io'])
    // 5 people in the org: at the threshold, so people-based metrics are shown; each team (2) is below it
    expect(m.people).toBe(5)
    expect(String(m.withheld.meeting_hours_per_person_week)).not.toMatch(/^withheld/)
    expect(m.teams[0].withheld.meeting_hours_per_person_week).toBe(
      'withheld: group of 2 people is below privacy.minGroupSize 5',
    )
  })

  it('lists unresolved identities and dead letters', async () => {
    const ids = await orgpulse('org', 'identities', '--unresolved', '--format', 'json')
    expect(JSON.parse(ids.stdout)).toMatchObject({
      count: 1,
      identities: [{ identity: 'stranger@else.io', source: 'decisions' }],
    })
    const dlq = await orgpulse('dlq', 'list', '--format', 'json')
    const rows = JSON.parse(dlq.stdout) as { stage: string; offset: string; reason: string }[]
    expect(rows.map((r) => [r.stage, r.offset]).sort()).toEqual([
      ['ingest-decisions', '3'],
      ['ingest-decisions', '4'],
    ])
  })

  it('explains a bad metrics request', async () => {
    const res = await orgpulse(
      'metrics',
      '--org',
      'nobody@x.io',
      '--from',
      '2026-07-01',
      '--to',
      '2026-08-01',
    )
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('no org led by nobody@x.io')
    const res2 = await orgpulse('metrics', '--org', 'dir@x.io', '--from', '2026-08-01', '--to', '2026-07-01')
    expect(res2.stderr).toContain('must be after from')
  })
})
