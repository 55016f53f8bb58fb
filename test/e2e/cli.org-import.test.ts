import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/**
 * `orgpulse org import` for a director bringing their own org (issue 18, "Bringing your own
 * org"): an HR export of their own subtree, and a back-dated import. One data directory, the
 * commands in order, each its own process.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-cli-org-'))
const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work })

const SUBTREE = `email,name,manager_email,title
vp@x.com,Vic VP,ceo@x.com,VP Engineering
em1@x.com,Em One,vp@x.com,Engineering Manager
ic1@x.com,Ian One,em1@x.com,Engineer
ic2@x.com,Ian Two,em1@x.com,Engineer
`
const GROWN = `${SUBTREE}ic3@x.com,Ian Three,em1@x.com,Engineer\n`

describe('orgpulse org import of a subtree, and back-dated', () => {
  it('documents --roots-outside', async () => {
    const help = await orgpulse('org', 'import', '--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--roots-outside')
  })

  it('refuses a subtree export without --roots-outside, naming the flag; accepts it with', async () => {
    writeFileSync(join(work, 'vp.csv'), SUBTREE)
    const refused = await orgpulse('org', 'import', 'vp.csv', '--effective', '2026-10-01')
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('manager_email ceo@x.com of vp@x.com matches nobody in the file')
    expect(refused.stderr).toContain('import it with --roots-outside')

    const ok = await orgpulse('org', 'import', 'vp.csv', '--effective', '2026-10-01', '--roots-outside')
    expect([ok.code, ok.stderr]).toEqual([0, ''])
    expect(ok.stdout).toContain('4 people, 2 teams, 2 managers (1 director)')
    expect(ok.stdout).toContain(
      'top of the file: vp@x.com, whose manager ceo@x.com is outside it (--roots-outside)',
    )
    const directors = await orgpulse('org', 'directors', '--format', 'json')
    expect(JSON.parse(directors.stdout).map((d: { email: string }) => d.email)).toEqual(['vp@x.com'])
  })

  it('a back-dated import says which later snapshot overrides it', async () => {
    writeFileSync(join(work, 'vp-grown.csv'), GROWN)
    const older = await orgpulse(
      'org',
      'import',
      'vp-grown.csv',
      '--effective',
      '2026-09-01',
      '--roots-outside',
    )
    expect(older.code).toBe(0)
    expect(older.stdout).toMatch(
      /effective 2026-09-01; a later snapshot \(effective 2026-10-01, imported \S+\) already exists: this one applies from 2026-09-01 until 2026-10-01; compared with the snapshot before it: there is no earlier snapshot/,
    )
    expect(older.stdout).not.toContain('first snapshot')
    const json = await orgpulse(
      'org',
      'import',
      'vp-grown.csv',
      '--effective',
      '2026-09-01',
      '--roots-outside',
      '--format',
      'json',
    )
    expect(JSON.parse(json.stdout)).toMatchObject({
      effective: '2026-09-01',
      replaced: true,
      previous: null,
      later: { effective: '2026-10-01' },
    })
  })
})
