import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configSchema, type RawEnvelope, syncedEnvelope } from '@orgpulse/contracts'
import { publishRaw } from '@orgpulse/kafka'
import { computeOrgMetrics, evaluate } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { beforeAll, describe, expect, it } from 'vitest'
import { jiraStatusItem } from '../../services/transformer/test/fixtures.ts'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'

/**
 * Blocking links as DESIGN "A blocking link" defines them, hand-computed, through the Jira
 * mapping of real-shaped issues (REST v3 `GET /rest/api/3/issue/{key}?expand=changelog`:
 * fields.status with statusCategory, fields.issuelinks, changelog.histories whose `Link` items
 * read "This issue blocks K" on the blocker and "This issue is blocked by K" on the blocked issue,
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-links/).
 *
 * Window [2026-07-01, 2026-08-01). ENG (team u:eng@x.io) blocks OPS (team u:ops@x.io):
 * - L1 ENG-1 → OPS-1, recorded only on OPS-1: made 07-02 09:00, removed 07-20 09:00 (18 d).
 * - L2 ENG-2 → OPS-2, recorded on both: made 07-03 09:00; ENG-2 done 07-06 09:00; removed 07-20.
 *   First resolved at done: 3 d (not 17 at the removal).
 * - L3 ENG-3 → OPS-3, on the blocker only: made 07-05 09:00; done 07-08 09:00; reopened 07-15
 *   09:00 while linked: open again, 16.625 d old at 08-01 00:00.
 * - L4 ENG-4 → OPS-4: ENG-4 done 07-09, the link made 07-10: never open.
 * - L5 ENG-5 → OPS-5: made 07-01 12:00, removed 07-04 12:00, made again 07-25 12:00: open,
 *   6.5 d old; the gap was not open.
 * Open at the end: L3 (16.625 d), L5 (6.5 d): p50 11.5625, p90 6.5 + 0.9 × 10.125 = 15.6125.
 * First resolved in the window: L1 18 d, L2 3 d, L3 3 d, L5 3 d: 3 of 4 within 14 days.
 * Blocked item-days (OPS items): 18 + 3 + (3 + 16.625) + (3 + 6.5) = 50.125; none for ENG's own items.
 */
const config = configSchema.parse({
  jira: {
    projects: ['ENG', 'OPS'],
    teams: [
      { team: 'u:eng@x.io', projects: ['ENG'] },
      { team: 'u:ops@x.io', projects: ['OPS'] },
    ],
  },
})
const ORG = `email,name,manager_email,title
dir@x.io,Dana,,Director
eng@x.io,Eve,dir@x.io,EM
ops@x.io,Oli,dir@x.io,EM
e1@x.io,Ed,eng@x.io,Engineer
o1@x.io,Ola,ops@x.io,Engineer
`
const STATUS = {
  todo: { id: '1', name: 'To Do', statusCategory: { key: 'new' } },
  progress: { id: '3', name: 'In Progress', statusCategory: { key: 'indeterminate' } },
  done: { id: '5', name: 'Done', statusCategory: { key: 'done' } },
}
const user = { accountId: 'acc-e1', displayName: 'Ed', emailAddress: 'e1@x.io' }
const t = (day: number, hour = 9) =>
  new Date(Date.UTC(2026, 6, day, hour)).toISOString().replace('Z', '+0000')
const link = (phrase: 'blocks' | 'is blocked by', key: string, added: boolean) => ({
  field: 'Link',
  fieldtype: 'jira',
  from: added ? null : key,
  fromString: added ? null : `This issue ${phrase} ${key}`,
  to: added ? key : null,
  toString: added ? `This issue ${phrase} ${key}` : null,
})
/** one status change item of a changelog history (the mapper tests' shared builder) */
const status = jiraStatusItem
const BLOCKS = { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' }

let n = 0
function read(
  key: string,
  now: typeof STATUS.todo,
  histories: [string, object[]][],
  links: { outward?: string; inward?: string }[] = [],
): RawEnvelope {
  return {
    source: 'jira',
    entity: 'issue',
    sourceId: key,
    fetchedAt: new Date().toISOString(),
    meta: { statusCategories: { '1': 'new', '3': 'indeterminate', '5': 'done' } },
    payload: {
      id: String(10000 + ++n),
      key,
      fields: {
        summary: key,
        issuetype: { id: '1', name: 'Task' },
        project: { key: key.split('-')[0] },
        status: now,
        labels: [],
        reporter: user,
        creator: user,
        assignee: null,
        created: '2026-06-01T09:00:00.000+0000',
        updated: histories.at(-1)?.[0] ?? '2026-06-01T09:00:00.000+0000',
        issuelinks: links.map((l, i) => ({
          id: String(20000 + n * 10 + i),
          type: BLOCKS,
          ...(l.outward ? { outwardIssue: { key: l.outward, fields: { status: STATUS.todo } } } : {}),
          ...(l.inward ? { inwardIssue: { key: l.inward, fields: { status: STATUS.todo } } } : {}),
        })),
      },
      changelog: {
        startAt: 0,
        maxResults: histories.length,
        total: histories.length,
        histories: histories.map(([created, items], i) => ({
          id: String(30000 + n * 10 + i),
          author: user,
          created,
          items,
        })),
      },
    },
  }
}

const ISSUES: RawEnvelope[] = [
  read('OPS-1', STATUS.todo, [
    [t(2), [link('is blocked by', 'ENG-1', true)]],
    [t(20), [link('is blocked by', 'ENG-1', false)]],
  ]),
  read('ENG-2', STATUS.done, [
    [t(3), [link('blocks', 'OPS-2', true)]],
    [t(6), [status(STATUS.todo, STATUS.done)]],
    [t(20), [link('blocks', 'OPS-2', false)]],
  ]),
  read('OPS-2', STATUS.todo, [
    [t(3), [link('is blocked by', 'ENG-2', true)]],
    [t(20), [link('is blocked by', 'ENG-2', false)]],
  ]),
  read(
    'ENG-3',
    STATUS.progress,
    [
      [t(5), [link('blocks', 'OPS-3', true)]],
      [t(8), [status(STATUS.todo, STATUS.done)]],
      [t(15), [status(STATUS.done, STATUS.progress)]],
    ],
    [{ outward: 'OPS-3' }],
  ),
  read(
    'ENG-4',
    STATUS.done,
    [
      [t(9), [status(STATUS.todo, STATUS.done)]],
      [t(10), [link('blocks', 'OPS-4', true)]],
    ],
    [{ outward: 'OPS-4' }],
  ),
  read(
    'ENG-5',
    STATUS.todo,
    [
      [t(1, 12), [link('blocks', 'OPS-5', true)]],
      [t(4, 12), [link('blocks', 'OPS-5', false)]],
      [t(25, 12), [link('blocks', 'OPS-5', true)]],
    ],
    [{ outward: 'OPS-5' }],
  ),
]

const work = mkdtempSync(join(tmpdir(), 'orgpulse-links-'))
let p: EmbeddedPipeline
beforeAll(async () => {
  p = await startEmbeddedPipeline(config, 'links', { dataDir: join(work, 'data') })
  const org = join(work, 'org.csv')
  writeFileSync(org, ORG)
  await importOrg({ client: p.client, file: org, effective: '2026-01-01' })
  // both projects synced after the window (as `ingest jira` records it): the figures are measured
  const synced = (project: string, team: string) =>
    syncedEnvelope('jira', {
      scopeKind: 'project',
      scope: project,
      mode: 'full',
      coveredFrom: null,
      coveredTo: '2026-08-02T00:00:00.000Z',
      teams: [team],
    })
  await publishRaw(p.bus, [...ISSUES, synced('ENG', 'u:eng@x.io'), synced('OPS', 'u:ops@x.io')])
  await p.flush()
  return () => p.stop()
})

describe('blocking links, one link however it is seen', () => {
  it('the org: open links, their ages, first resolutions and blocked item-days', async () => {
    const m = await computeOrgMetrics(p.client, config, {
      director: 'dir@x.io',
      from: '2026-07-01',
      to: '2026-08-01',
    })
    expect(m.metrics.blockers_open).toBe(2)
    // the SQL's quantiles over the two open links, before the minimum sample applies…
    const window = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-08-01T00:00:00Z') }
    const raw = (await evaluate(p.client, config, ['u:dir@x.io'], [window]))
      .get('u:dir@x.io')!
      .get('2026-07-01 00:00:00.000')!
    expect(raw.blocker_age_p50_days).toBeCloseTo(11.5625, 9)
    expect(raw.blocker_age_p90_days).toBeCloseTo(15.6125, 9)
    // …which two links are too few to show (minimum 3 for a median, 5 for a p90)
    expect(m.metrics.blocker_age_p50_days).toBeNull()
    expect(m.withheld.blocker_age_p50_days).toBe('too_few: n = 2 open blockers (minimum 3)')
    expect(m.withheld.blocker_age_p90_days).toBe('too_few: n = 2 open blockers (minimum 5)')
    expect(m.metrics.blockers_resolved_14d_rate).toBe(0.75)
    expect(m.metrics.blocked_item_days).toBeCloseTo(50.125, 9)
    const teams = Object.fromEntries(m.teams.map((x) => [x.id, x.metrics]))
    // every link touches both teams; blocked item-days count the blocked items' own team only
    expect(teams['u:ops@x.io']).toMatchObject({ blockers_open: 2, blockers_resolved_14d_rate: 0.75 })
    expect(teams['u:ops@x.io']!.blocked_item_days).toBeCloseTo(50.125, 9)
    expect(teams['u:eng@x.io']).toMatchObject({ blockers_open: 2, blocked_item_days: 0 })
  })

  it('the same links read again, in another order and twice, change nothing', async () => {
    await publishRaw(p.bus, [...ISSUES].reverse())
    await publishRaw(p.bus, ISSUES)
    await p.flush()
    const m = await computeOrgMetrics(p.client, config, {
      director: 'dir@x.io',
      from: '2026-07-01',
      to: '2026-08-01',
    })
    expect(m.metrics).toMatchObject({ blockers_open: 2, blockers_resolved_14d_rate: 0.75 })
    expect(m.metrics.blocked_item_days).toBeCloseTo(50.125, 9)
  })
})
