import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeBambooEmployee, type FakeBambooHr, startFakeBambooHr } from '@orgpulse/fakes/bamboohr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orgpulseWithEnv } from '../setup/cli.ts'

/**
 * `orgpulse org sync` as a user runs it, against the fake BambooHR: the first sync, `--due`
 * holding off, a suspicious re-org held (in the output and the log) and then confirmed.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-sync-'))
let bamboo: FakeBambooHr
const config = join(work, 'orgpulse.yaml')

//   1 ceo ─┬─ 2 em1 ── 4 ic1, 5 ic2
//          └─ 3 em2 ── 6 ic3
const person = (id: number, name: string, boss: number | null): FakeBambooEmployee => ({
  id,
  firstName: name,
  lastName: 'X',
  workEmail: `${name}@x.com`,
  supervisorEId: boss,
})
const ORG = [
  person(1, 'ceo', null),
  person(2, 'em1', 1),
  person(3, 'em2', 1),
  person(4, 'ic1', 2),
  person(5, 'ic2', 2),
  person(6, 'ic3', 3),
]

const orgpulse = (...args: string[]) =>
  orgpulseWithEnv(['--data-dir', join(work, 'data'), '--config', config, ...args], {
    BAMBOOHR_API_KEY: bamboo.apiKey,
  })

beforeAll(async () => {
  bamboo = await startFakeBambooHr({ employees: ORG })
  writeFileSync(
    config,
    `hr:\n  source: bamboohr\n  every: 60\n  bamboohr: { company: ${bamboo.company}, apiUrl: ${bamboo.apiUrl} }\n`,
  )
})
afterAll(async () => {
  await bamboo?.close()
})

describe('orgpulse org sync', () => {
  it('syncs, then --due waits for hr.every', async () => {
    const first = await orgpulse('org', 'sync')
    expect([first.code, first.stderr]).toEqual([0, ''])
    expect(first.stdout).toMatch(/^Synced org effective \d{4}-\d\d-\d\d from hr:bamboohr/)
    expect(first.stdout).toContain('6 people, 3 teams')
    expect(first.stdout).toContain('first snapshot: no earlier org to compare with')
    const due = await orgpulse('org', 'sync', '--due')
    expect(due.code).toBe(0)
    expect(due.stderr).toMatch(/org sync: not due \(last \S+, every 60 min\)/)
    expect(bamboo.requests.filter((r) => r.path.endsWith('reports/custom'))).toHaveLength(1)
  })

  it('holds a re-org moving 2 of 6 people, says so, and applies it on --confirm', async () => {
    // ic2 and ic3 swap managers: 2 of 6 (33.3 %) > 20 %
    bamboo.setEmployees([...ORG.slice(0, 4), person(5, 'ic2', 3), person(6, 'ic3', 2)])
    const held = await orgpulse('org', 'sync')
    expect(held.code).toBe(0)
    const id = /HELD org sync (sync-\S+) from hr:bamboohr/.exec(held.stdout)?.[1]
    expect(id).toBeDefined()
    expect(held.stdout).toContain(
      '2 of 6 people (33.3 %) changed managers, more than hr.guard.maxManagerChanges 20 %',
    )
    expect(held.stdout).toContain(`orgpulse org sync --confirm ${id}`)
    expect(held.stderr).toContain('org sync held')
    const list = await orgpulse('org', 'sync', '--held')
    expect(list.stdout).toContain('1 held sync\n')
    expect(list.stdout).toContain(`  ${id} from hr:bamboohr, read `)
    const json = await orgpulse('org', 'sync', '--format', 'json')
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'held',
      changes: { moved: [{ personId: 'ic2@x.com' }, { personId: 'ic3@x.com' }] },
    })

    // the newer reading is confirmed; the older hold would undo it
    const newer = JSON.parse(json.stdout).snapshotId as string
    const confirmed = await orgpulse('org', 'sync', '--confirm', newer)
    expect([confirmed.code, confirmed.stderr]).toEqual([0, ''])
    expect(confirmed.stdout).toContain('0 added, 0 removed, 2 moved, 0 title changes')
    expect(confirmed.stdout).toContain('~ ic2@x.com moved: em1@x.com → em2@x.com')
    expect(confirmed.stdout).toContain(`sync ${newer} (confirmed)`)
    const refused = await orgpulse('org', 'sync', '--confirm', id as string)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain(`org sync ${id} is older than ${newer}, which is already in force`)
    // in force now: the next sync finds nothing to hold
    const after = await orgpulse('org', 'sync')
    expect(after.stdout).toContain('no changes since')
  })

  it('ingest watch runs the sync on its rounds, held to hr.every', async () => {
    const watch = () =>
      orgpulseWithEnv(
        ['ingest', 'watch', '--once', '--data-dir', join(work, 'watched'), '--config', config],
        {
          BAMBOOHR_API_KEY: bamboo.apiKey,
        },
      )
    const first = await watch()
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/ingest watch: org-sync…\n[\s\S]*ingest watch: org-sync done/)
    expect(first.stdout).toMatch(/Synced org effective \S+ from hr:bamboohr/)
    const second = await watch()
    expect(second.code).toBe(0)
    expect(second.stderr).toMatch(/org sync: not due/)
    expect(second.stdout).not.toContain('Synced org')
  })
})
