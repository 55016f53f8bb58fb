import { rmSync } from 'node:fs'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importOrg, listDirectors, OrgValidationError, parseOrg, readSnapshot } from '../src/index.ts'
import { ORG_Q1, ORG_Q2, tempDir, writeTemp } from './fixtures.ts'

// chDB allows one data directory per process; vitest runs each test file in its own fork.
const dir = tempDir('org-subtree')
let client: ClickHouseClient

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
})
afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * The VP's own subtree, exported from HR: vp's manager (the CEO) is not in the file.
 *   vp ─┬─ em1 ── ic1, ic2
 *       └─ em2 ── ic3
 */
const SUBTREE = [
  'email,name,manager_email,title',
  'vp@x.com,Vic VP,ceo@x.com,VP Engineering',
  'em1@x.com,Em One,vp@x.com,Engineering Manager',
  'em2@x.com,Em Two,vp@x.com,Engineering Manager',
  'ic1@x.com,Ian One,em1@x.com,Engineer',
  'ic2@x.com,Ian Two,em1@x.com,Engineer',
  'ic3@x.com,Ian Three,em2@x.com,Engineer',
].join('\n')

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn()
  } catch (err) {
    if (err instanceof OrgValidationError)
      return err.issues.map((i) => `${i.code}@${i.line ?? '-'}: ${i.message}`)
    throw err
  }
  return []
}

describe('a subtree export (--roots-outside)', () => {
  it('is refused without the flag, and the refusal names the flag', () => {
    expect(issuesOf(() => parseOrg(SUBTREE, 'csv'))).toEqual([
      'unknown-manager@2: manager_email ceo@x.com of vp@x.com matches nobody in the file (if the file is an export of a subtree whose top person reports to someone outside it, import it with --roots-outside)',
    ])
  })

  it('is accepted with it: the person whose manager is outside the file is the top', async () => {
    const file = writeTemp(dir, 'vp-subtree.csv', SUBTREE)
    const summary = await importOrg({ client, file, effective: '2026-01-01', rootsOutside: true })
    expect(summary).toMatchObject({
      people: 6,
      directors: 1,
      maxDepth: 2,
      outsideRoot: { personId: 'vp@x.com', managerEmail: 'ceo@x.com' },
    })
    expect(summary.format()).toContain(
      'top of the file: vp@x.com, whose manager ceo@x.com is outside it (--roots-outside)',
    )
    const stored = await readSnapshot(client, '2026-01-01')
    expect(stored!.people.find((p) => p.personId === 'vp@x.com')).toMatchObject({ managerId: null, level: 2 })
    expect(stored!.units.find((u) => u.unitId === 'u:vp@x.com')).toMatchObject({ parentId: null })
    expect((await listDirectors(client)).map((d) => d.email)).toEqual(['vp@x.com'])
  })

  it('loosens nothing else: an unknown manager deeper in the file still fails, and so does a second top', () => {
    const typo = SUBTREE.replace('ic3@x.com,Ian Three,em2@x.com', 'ic3@x.com,Ian Three,em3@x.com')
    expect(issuesOf(() => parseOrg(typo, 'csv', 'hr', { rootsOutside: true }))).toEqual([
      'unknown-manager@7: manager_email em3@x.com of ic3@x.com matches nobody in the file; --roots-outside accepts a manager outside the file only for the top person (vp@x.com, line 2)',
    ])
    // a file that has its top (no manager_email) gains nothing from the flag
    expect(
      issuesOf(() =>
        parseOrg(
          ORG_Q1.replace('ic4@x.com,Ian Four,em2@x.com', 'ic4@x.com,Ian Four,em9@x.com'),
          'csv',
          'hr',
          { rootsOutside: true },
        ),
      ),
    ).toEqual([
      "unknown-manager@10: manager_email em9@x.com of ic4@x.com matches nobody in the file; --roots-outside accepts a manager outside the file only for the top person, and this file's top has no manager_email",
    ])
    // and without the flag such a typo is reported as always, with no hint about subtrees
    expect(
      issuesOf(() =>
        parseOrg(ORG_Q1.replace('ic4@x.com,Ian Four,em2@x.com', 'ic4@x.com,Ian Four,em9@x.com'), 'csv'),
      ),
    ).toEqual(['unknown-manager@10: manager_email em9@x.com of ic4@x.com matches nobody in the file'])
    // the other rules stand: a cycle is a cycle
    const cycle = `${SUBTREE}\nx@x.com,X,y@x.com,Eng\ny@x.com,Y,x@x.com,Eng`
    expect(issuesOf(() => parseOrg(cycle, 'csv', 'hr', { rootsOutside: true }))).toEqual([
      'cycle@8: manager cycle x@x.com → y@x.com → x@x.com (→ means "reports to"; lines 8, 9)',
    ])
  })
})

describe('a back-dated import', () => {
  it('says which later snapshot overrides it, from when, and compares with the snapshot before it', async () => {
    const q1 = writeTemp(dir, 'q1.csv', ORG_Q1)
    const q2 = writeTemp(dir, 'q2.csv', ORG_Q2)
    await importOrg({
      client,
      file: q2,
      effective: '2026-10-01',
      now: () => new Date('2026-10-02T08:00:00Z'),
    })
    // between the subtree (01-01) and Q2 (10-01): Q1's org, from 09-01 until 10-01
    const summary = await importOrg({ client, file: q1, effective: '2026-09-01' })
    expect(summary).toMatchObject({
      previous: '2026-01-01',
      later: { effective: '2026-10-01', importedAt: '2026-10-02T08:00:00.000Z' },
    })
    const text = summary.format()
    expect(text).toContain(
      'effective 2026-09-01; a later snapshot (effective 2026-10-01, imported 2026-10-02T08:00:00.000Z) already exists: this one applies from 2026-09-01 until 2026-10-01; compared with the snapshot before it: since 2026-01-01: 3 added, 0 removed, 1 moved, 0 title changes',
    )
    expect(text).toContain('+ ceo@x.com Cleo CEO, CEO → reports to (no manager)')
    expect(text).not.toContain('first snapshot')
  })

  it('before every stored snapshot: never "first snapshot", which would hide the later one', async () => {
    const summary = await importOrg({
      client,
      file: writeTemp(dir, 'q0.csv', ORG_Q1),
      effective: '2025-06-01',
    })
    expect(summary.previous).toBeNull()
    expect(summary.later?.effective).toBe('2026-01-01')
    const text = summary.format()
    expect(text).toMatch(
      /effective 2025-06-01; a later snapshot \(effective 2026-01-01, imported [0-9T:.-]+Z\) already exists: this one applies from 2025-06-01 until 2026-01-01; compared with the snapshot before it: there is no earlier snapshot/,
    )
    expect(text).not.toContain('first snapshot')
  })

  it('the newest import says nothing about later snapshots', async () => {
    const summary = await importOrg({
      client,
      file: writeTemp(dir, 'q3.csv', ORG_Q2),
      effective: '2026-12-01',
    })
    expect(summary.later).toBeNull()
    expect(summary.format()).toContain('no changes since 2026-10-01')
  })
})
