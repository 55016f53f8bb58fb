import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryPartition } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/**
 * The integrity failures as a new user met them: separate `orgpulse` commands (real processes,
 * embedded mode) into one data directory, records sent one file at a time and updated later.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-one-dir-'))
const dataDir = join(work, 'data')

const orgpulse = orgpulseIn({ dataDir, cwd: work })

const metrics = async () => {
  const res = await orgpulse(
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
  expect(res.stderr).toBe('')
  return JSON.parse(res.stdout).metrics as Record<string, number | null>
}

describe('several orgpulse commands into one data directory', () => {
  it('four one-record files, four commands: four decisions, then an update retires a step', async () => {
    writeFileSync(
      join(work, 'org.csv'),
      'email,name,manager_email,title\ndir@x.io,Dana,,Director\nm1@x.io,Mia,dir@x.io,EM\na1@x.io,Ann,m1@x.io,Engineer\n',
    )
    expect((await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')).code).toBe(0)
    // ids on one partition, so every command's batch there has the same offsets
    const ids: string[] = []
    for (let i = 0; ids.length < 4; i++) if (memoryPartition(`ADR-${i}`, 6) === 2) ids.push(`ADR-${i}`)
    for (const [n, id] of ids.entries()) {
      const file = `d${n}.json`
      writeFileSync(
        join(work, file),
        JSON.stringify({
          id,
          title: `decision ${n}`,
          raisedBy: 'a1@x.io',
          raisedAt: '2026-07-01T09:00:00Z',
          status: 'decided',
          decidedBy: n === 0 ? 'dir@x.io' : 'm1@x.io',
          decidedAt: `2026-07-0${n + 2}T09:00:00Z`,
          updatedAt: `2026-07-0${n + 2}T09:00:00Z`,
        }),
      )
      const res = await orgpulse('ingest', 'decisions', file)
      expect(res.code).toBe(0)
      expect(res.stdout).toContain('accepted 1 decision records from 1 file(s)')
    }
    // hand-computed: 24, 48, 72, 96 h; the director decided one of four
    expect(await metrics()).toMatchObject({
      decisions_decided: 4,
      decision_latency_p50_hours: 60,
      centralization: 0.25,
      decisions_open: 0,
    })
    expect(JSON.parse((await orgpulse('dlq', 'list', '--format', 'json')).stdout)).toEqual([])

    // the director's call withdrawn a day later: it no longer counts anywhere
    writeFileSync(
      join(work, 'withdrawn.json'),
      JSON.stringify({
        id: ids[0],
        title: 'decision 0',
        raisedBy: 'a1@x.io',
        raisedAt: '2026-07-01T09:00:00Z',
        status: 'withdrawn',
        decidedAt: '2026-07-03T09:00:00Z',
        updatedAt: '2026-07-03T09:00:00Z',
      }),
    )
    expect((await orgpulse('ingest', 'decisions', 'withdrawn.json')).code).toBe(0)
    expect(await metrics()).toMatchObject({
      decisions_decided: 3,
      decision_latency_p50_hours: 72,
      centralization: 0,
      decisions_open: 0,
    })
  }, 180_000)
})
