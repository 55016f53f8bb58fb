import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { METRICS } from '@orgpulse/metrics'
import { beforeAll, describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/*
 * `orgpulse metrics`, `metrics list` and `alerts check` in words. Hand-computed, window
 * [2026-11-02, 2026-11-30), every decision called a day after it was raised (24 h):
 *   dir ─┬─ m1 ── a1, a2
 *        └─ m2 ── b1, b2
 *   D1 a1 → dir, D2 b1 → dir (both implicit escalations), D3 a1 → m1, D4 a2 → m1, D5 b2 → m2;
 *   O1, O2 open.
 * decided 5; latency p50 24 h (ok, warn at 72 h); centralisation 2/5 = 40 % (warn: ≥ 30 %,
 * critical ≥ 50 %); escalation 2/5 = 40 % (critical at 40 %); open decisions 2, their median age
 * too few (n = 2, minimum 3). The centralisation alert (max 30 %) fires; the escalation baseline
 * has no decisions: no data.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-explains-'))
const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work })
const empty = orgpulseIn({ dataDir: join(work, 'empty'), cwd: work })

const ORG = `email,name,manager_email,title
dir@x.io,Dana,,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
a1@x.io,Ann,m1@x.io,Engineer
a2@x.io,Abe,m1@x.io,Engineer
b1@x.io,Bea,m2@x.io,Engineer
b2@x.io,Bo,m2@x.io,Engineer
`
const decided = (id: string, raisedBy: string, day: string, decidedBy: string) => ({
  id,
  title: id,
  raisedBy,
  raisedAt: `${day}T09:00:00Z`,
  status: 'decided',
  decidedBy,
  decidedAt: new Date(Date.parse(`${day}T09:00:00Z`) + 86400000).toISOString(),
})

beforeAll(async () => {
  writeFileSync(join(work, 'org.csv'), ORG)
  const imported = await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')
  expect(imported.code, imported.stderr).toBe(0)
  const records = [
    decided('D1', 'a1@x.io', '2026-11-03', 'dir@x.io'),
    decided('D2', 'b1@x.io', '2026-11-10', 'dir@x.io'),
    decided('D3', 'a1@x.io', '2026-11-10', 'm1@x.io'),
    decided('D4', 'a2@x.io', '2026-11-17', 'm1@x.io'),
    decided('D5', 'b2@x.io', '2026-11-24', 'm2@x.io'),
    { id: 'O1', title: 'O1', raisedBy: 'a1@x.io', raisedAt: '2026-11-20T09:00:00Z', status: 'proposed' },
    { id: 'O2', title: 'O2', raisedBy: 'b1@x.io', raisedAt: '2026-11-25T09:00:00Z', status: 'proposed' },
  ]
  writeFileSync(join(work, 'log.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'))
  const ingested = await orgpulse('ingest', 'decisions', 'log.jsonl')
  expect(ingested.code, ingested.stderr).toBe(0)
}, 120_000)

const row = (stdout: string, title: string): string =>
  stdout.split('\n').find((l) => l.startsWith(`${title} `)) ?? `(no row "${title}")`

describe('orgpulse metrics speaks in words', () => {
  it('titles, units, the window, n and good/bad markers; a null shown as too few or no data', async () => {
    const r = await orgpulse('metrics', '--org', 'dir@x.io', '--from', '2026-11-02', '--to', '2026-11-30')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("dir@x.io's org · 7 people · 2026-11-02 → 2026-11-30, 4 weeks, end exclusive")
    expect(row(r.stdout, 'Decisions decided')).toMatch(/^Decisions decided +5 +5 +decisions decided/)
    expect(row(r.stdout, 'Decision latency p50')).toMatch(/^Decision latency p50 +24\.0 h ok +5 /)
    expect(row(r.stdout, 'Decision centralisation')).toMatch(/^Decision centralisation +40\.0 % warn +5 /)
    expect(row(r.stdout, 'Escalation rate')).toMatch(/^Escalation rate +40\.0 % critical +5 /)
    expect(row(r.stdout, 'Open decision age p50')).toMatch(
      /^Open decision age p50 +too few \(n = 2\) +2 +open decisions/,
    )
    expect(row(r.stdout, 'Decision latency p90')).toMatch(/^Decision latency p90 +24\.0 h ok +5 /)
    // no tracker synced: no data, never a 0
    expect(row(r.stdout, 'Open cross-team blockers')).toMatch(/^Open cross-team blockers +no data /)
    // ids stay in --format json
    for (const m of METRICS) expect(r.stdout, m.id).not.toContain(m.id)
    const json = await orgpulse(
      'metrics',
      '--org',
      'dir@x.io',
      '--from',
      '2026-11-02',
      '--to',
      '2026-11-30',
      '--format',
      'json',
    )
    const m = JSON.parse(json.stdout)
    expect([m.metrics.centralization, m.samples.centralization]).toEqual([0.4, 5])
    expect(m.withheld.decision_open_age_p50_days).toBe('too_few: n = 2 open decisions (minimum 3)')
  })

  it('`metrics list` explains every metric, without --org/--from/--to', async () => {
    const r = await empty('metrics', 'list')
    expect(r.code, r.stderr).toBe(0)
    for (const m of METRICS) expect(r.stdout).toContain(`${m.title} (${m.id})`)
    expect(r.stdout).toContain('minimum sample: 5 decisions decided')
    expect(r.stdout).toContain('unit: h · good: lower · warn ≥ 72.0 h, critical ≥ 168.0 h')
    expect(r.stdout).toContain('minimum sample: none (a count is never too few)')
    const json = await empty('metrics', 'list', '--format', 'json')
    const list = JSON.parse(json.stdout) as {
      id: string
      minSample: number
      good: string
      definition: string
    }[]
    expect(list.map((x) => x.id)).toEqual(METRICS.map((x) => x.id))
    expect(list.find((x) => x.id === 'centralization')).toMatchObject({
      minSample: 3,
      good: 'lower_is_better',
    })
    // `metrics` itself still wants its options
    const bare = await empty('metrics')
    expect(bare.code).toBe(1)
    expect(bare.stderr).toContain('missing required option --org')
  })
})

describe('orgpulse alerts check says what it evaluated', () => {
  it('the summary, per-rule tables with titles and units, the baseline rule in three columns', async () => {
    const r = await orgpulse('alerts', 'check', '--at', '2026-12-02T10:00:00Z')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toMatch(
      /^evaluated \d+ rules over 1 director's org at 2026-12-02T10:00:00\.000Z, windows ending 2026-11-30 \(the last complete week, end exclusive\): 4 weeks 2026-11-02 → 2026-11-30; baseline 12 weeks 2026-08-10 → 2026-11-02; 1 week 2026-11-23 → 2026-11-30; 1 firing, \d+ ok, \d+ values? too few \(n < min\), \d+ no data$/m,
    )
    expect(r.stdout).toContain('1 alert firing')
    expect(r.stdout).toMatch(/^dir@x\.io +firing +40\.0 % +30\.0 % +5$/m)
    // the escalation rule: current, baseline and factor, each labelled; no ratio under a rate's name
    expect(r.stdout).toMatch(
      /org +status +Escalation rate, last 4 weeks +baseline, 12 weeks before +factor \(fires above 1\.5×\) +n +baseline n/,
    )
    expect(r.stdout).toMatch(/^dir@x\.io +no data +40\.0 % +no data +— +5 +0$/m)
    const json = await orgpulse('alerts', 'check', '--at', '2026-12-02T10:00:00Z', '--format', 'json')
    const result = JSON.parse(json.stdout)
    const central = result.rules.find((x: { id: string }) => x.id === 'decisions_centralising').orgs[0]
    expect(central).toMatchObject({
      org: 'dir@x.io',
      status: 'firing',
      value: 0.4,
      sample: 5,
      window: { from: '2026-11-02T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' },
    })
  })

  it('with no org at all it says so, and nothing fires', async () => {
    const r = await empty('alerts', 'check', '--at', '2026-12-02')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("nothing evaluated at 2026-12-02T00:00:00.000Z: no director's org")
    expect(r.stdout).not.toContain('no alert firing')
  })
})

describe('strict dates on every option', () => {
  it.each([
    [
      ['metrics', '--org', 'dir@x.io', '--from', '2026-09-31', '--to', '2026-10-31'],
      '--from: 2026-09-31 is not a date: September has 30 days',
    ],
    [
      ['metrics', '--org', 'dir@x.io', '--from', '09/01/2026', '--to', '2026-10-31'],
      '--from: "09/01/2026" is not a date: use YYYY-MM-DD',
    ],
    [
      ['metrics', '--org', 'dir@x.io', '--from', '2026-09-01', '--to', '2026-9-1'],
      '--to: "2026-9-1" is not a date: use YYYY-MM-DD',
    ],
    [['alerts', 'check', '--at', '1 Oct 2026'], '--at: "1 Oct 2026" is not a date: use YYYY-MM-DD'],
    [['alerts', 'check', '--at', '2026-10-01T10:00:00'], '--at: "2026-10-01T10:00:00" is not a date'],
    [
      ['org', 'import', 'org.csv', '--effective', '2026-02-29'],
      '2026-02-29 is not a date: February has 28 days in 2026',
    ],
    [['demo', '--end', '2026-04-31'], '--end: 2026-04-31 is not a date: April has 30 days'],
    [
      ['ingest', 'calendar', '--ics', 'x.ics', '--owner', 'a1@x.io', '--from', '2026-06-31'],
      '--from: 2026-06-31 is not a date: June has 30 days',
    ],
  ])('%j is refused', async (args, message) => {
    const r = await orgpulse(...args)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(message)
  })
})
