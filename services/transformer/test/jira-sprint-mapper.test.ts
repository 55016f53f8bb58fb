import { mapJira } from '@orgpulse/connector-jira'
import { canonicalEventSchema, configSchema, type RawEnvelope } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { JIRA_STATUS, jiraStatusItem } from './fixtures.ts'

/**
 * Sprint envelopes: the sprint as the Agile API returns it (ISO dates with an offset) and its
 * issues with `created`, `status` and changelog histories whose Sprint items carry
 * comma-separated sprint ids, as Jira Cloud records them.
 */

const config = configSchema.parse({
  jira: {
    baseUrl: 'https://acme.atlassian.net',
    projects: ['ENG'],
    teams: [{ team: 'u:eng-lead@acme.test', projects: ['ENG'] }],
    statusCategories: { Abandoned: 'cancelled' },
  },
})
const ctx = { config }
const S = JIRA_STATUS
const abandoned = { id: '10099', name: 'Abandoned', statusCategory: { key: 'done' } }
const categories = Object.fromEntries(
  [...Object.values(S), abandoned].map((s) => [s.id, s.statusCategory.key]),
)

// sprint 12 runs Mon 2 Mar 09:00 → Fri 13 Mar 17:00 (UTC+1 as the Agile API writes it)
const START = '2026-03-02T10:00:00.000+01:00'
const COMPLETE = '2026-03-13T18:00:00.000+01:00'
const t = (d: number, h = 12) =>
  `2026-03-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000+0000`
const sprintItem = (from: string, to: string) => ({
  field: 'Sprint',
  fieldtype: 'custom',
  fieldId: 'customfield_10020',
  from,
  fromString: from ? `Sprint ${from}` : '',
  to,
  toString: to ? `Sprint ${to}` : '',
})
const issue = (
  key: string,
  created: string,
  status: { id: string; name: string; statusCategory: { key: string } },
  histories: { created: string; items: object[] }[] = [],
) => ({
  id: key.replace(/\D/g, ''),
  key,
  fields: { created, status, project: { key: 'ENG' } },
  changelog: { histories: histories.map((h, n) => ({ id: `${key}-${n}`, ...h })) },
})

function envelope(
  sprint: Record<string, unknown>,
  issues: object[],
  fetchedAt = '2026-03-20T00:00:00Z',
): RawEnvelope {
  return {
    source: 'jira',
    entity: 'sprint',
    sourceId: `sprint:${sprint.id}`,
    fetchedAt,
    meta: { instance: 'https://acme.atlassian.net', project: 'ENG', statusCategories: categories },
    payload: { sprint, issues },
  }
}

const closed = {
  id: 12,
  state: 'closed',
  name: 'ENG Sprint 12',
  startDate: START,
  endDate: COMPLETE,
  completeDate: COMPLETE,
  originBoardId: 7,
}

describe('Jira sprint → cycle snapshot', () => {
  it('counts committed, added and completed issues by replaying Sprint and status changes (hand-computed)', () => {
    const issues = [
      // A: in sprint 12 since its creation before the start, done on day 10 → committed, completed
      issue('ENG-1', t(1), S.done, [{ created: t(10), items: [jiraStatusItem(S.todo, S.done)] }]),
      // B: moved in before the start, still in progress → committed
      issue('ENG-2', t(1), S.inProgress, [
        { created: t(1, 15), items: [sprintItem('', '12')] },
        { created: t(4), items: [jiraStatusItem(S.todo, S.inProgress)] },
      ]),
      // C: moved in on day 5 (after the start), done on day 9 → added, completed
      issue('ENG-3', t(1), S.done, [
        { created: t(5), items: [sprintItem('', '12')] },
        { created: t(9), items: [jiraStatusItem(S.todo, S.done)] },
      ]),
      // D: created in the sprint on day 6 → added, not completed
      issue('ENG-4', t(6), S.todo),
      // E: committed; done only on day 16, after the sprint closed → not completed
      issue('ENG-5', t(1), S.done, [
        { created: t(1, 16), items: [sprintItem('', '12')] },
        { created: t(16), items: [jiraStatusItem(S.inProgress, S.done)] },
      ]),
      // G: committed, unfinished, carried to sprint 13 when 12 closed (12 stays in the field)
      issue('ENG-6', t(1), S.inProgress, [{ created: t(13, 17), items: [sprintItem('12', '12, 13')] }]),
      // H: committed, moved in to sprint 12 from sprint 11 before the start, abandoned on day 8:
      // a status the config maps to cancelled does not count as completed
      issue('ENG-7', t(1), abandoned, [
        { created: t(1, 18), items: [sprintItem('11', '12')] },
        { created: t(8), items: [jiraStatusItem(S.todo, abandoned)] },
      ]),
      // I: moved in after the sprint closed → neither committed nor added
      issue('ENG-8', t(1), S.todo, [{ created: t(14), items: [sprintItem('', '12')] }]),
    ]
    const [event, ...rest] = mapJira(envelope(closed, issues), ctx)
    expect(rest).toEqual([])
    expect(canonicalEventSchema.parse(event)).toMatchObject({
      type: 'cycle.snapshot',
      source: 'jira',
      sourceId: 'sprint:12',
      cycleId: 'jira:12',
      team: 'u:eng-lead@acme.test',
      name: 'ENG Sprint 12',
      startsAt: '2026-03-02T09:00:00.000Z',
      endsAt: '2026-03-13T17:00:00.000Z',
      committedScope: 5, // A B E G H
      addedScope: 2, // C D
      completedScope: 2, // A C
      occurredAt: '2026-03-13T17:00:00.000Z',
    })
  })

  it('reads a historical status through the category map when it is not the current one', () => {
    // done on day 5, reopened on day 15 (after the end): completed as of the sprint's end
    const reopened = issue('ENG-9', t(1), S.todo, [
      { created: t(5), items: [jiraStatusItem(S.todo, S.done)] },
      { created: t(15), items: [jiraStatusItem(S.done, S.todo)] },
    ])
    expect(mapJira(envelope(closed, [reopened]), ctx)[0]).toMatchObject({
      committedScope: 1,
      completedScope: 1,
      addedScope: 0,
    })
  })

  it('measures a running sprint as of the fetch, and ignores future sprints', () => {
    const active = {
      id: 13,
      state: 'active',
      name: 'ENG Sprint 13',
      startDate: START,
      endDate: '2026-03-27T17:00:00.000Z',
    }
    const issues = [
      issue('ENG-1', t(1), S.done, [{ created: t(4), items: [jiraStatusItem(S.todo, S.done)] }]),
      // done after the fetch time cannot be known yet; its current status says done, but the
      // history puts the change after the fetch
      issue('ENG-2', t(1), S.done, [{ created: t(12), items: [jiraStatusItem(S.todo, S.done)] }]),
      issue('ENG-3', t(9), S.todo),
    ]
    const [event] = mapJira(envelope(active, issues, '2026-03-10T00:00:00Z'), ctx)
    expect(event).toMatchObject({
      committedScope: 2,
      addedScope: 1,
      completedScope: 1,
      endsAt: '2026-03-27T17:00:00.000Z',
      occurredAt: '2026-03-10T00:00:00.000Z',
    })
    expect(mapJira(envelope({ id: 14, state: 'future', name: 'next' }, []), ctx)).toEqual([])
  })

  it('a malformed sprint payload is rejected with the path of the problem', () => {
    expect(() => mapJira(envelope({ id: 12, state: 'closed', startDate: 'soon' }, []), ctx)).toThrow(
      /unparseable sprint start timestamp "soon"/,
    )
    expect(() =>
      mapJira({ ...envelope(closed, []), payload: { sprint: closed, issues: [{ key: 'X-1' }] } }, ctx),
    ).toThrow(/invalid Jira sprint payload: issues\.0\.fields/)
  })
})
