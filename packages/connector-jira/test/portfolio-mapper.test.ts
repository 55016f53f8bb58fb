import {
  type CanonicalEvent,
  canonicalEventSchema,
  configSchema,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { mapJira } from '../src/index.ts'

/**
 * The portfolio view's raw fields on Jira facts (issue 19). Shapes follow Jira Cloud REST v3's
 * issue `fields`: `project: {key}`, and `parent: {id, key, fields: {summary, status, issuetype}}`,
 * which since Atlassian's 2023 "Epic Link / Parent Link deprecation" carries the epic for
 * team-managed (next-gen) and company-managed projects alike; older company-managed sites still
 * link through the Epic Link custom field (`customfield_10014` holding the epic's key) — see
 * https://docs.adaptavist.com/sr4jc/latest/release-notes/breaking-changes/atlassian-epic-and-parent-fields-jira-rest-api-deprecation/
 * A field-level-secured or unrequested parent is simply absent from `fields`.
 */
const base = {
  jira: {
    baseUrl: 'https://acme.atlassian.net',
    projects: ['ENG', 'OPS'],
    teams: [
      { team: 'u:eng@acme.test', projects: ['ENG'] },
      { team: 'u:ops@acme.test', projects: ['OPS'] },
    ],
  },
}
const plain = { config: configSchema.parse(base) }
const withEpicLink = {
  config: configSchema.parse({ ...base, portfolio: { jira: { epicLinkField: 'customfield_10014' } } }),
}

const alice = { accountId: 'acc-alice', emailAddress: 'alice@acme.test' }
const STATUS = {
  needs: { id: '10001', name: 'Needs Decision', statusCategory: { key: 'new' } },
  todo: { id: '10000', name: 'To Do', statusCategory: { key: 'new' } },
}
const epicParent = {
  id: '20001',
  key: 'ENG-1',
  fields: {
    summary: 'Checkout v2',
    status: STATUS.todo,
    issuetype: { id: '10000', name: 'Epic', hierarchyLevel: 1 },
  },
}

function issue(fields: Record<string, unknown>, key = 'ENG-7') {
  return {
    id: '10007',
    key,
    fields: {
      summary: 'Pick a queue',
      issuetype: { id: '1', name: 'Task' },
      project: { id: '1', key: key.split('-')[0] },
      status: STATUS.needs,
      labels: [],
      components: [],
      reporter: alice,
      creator: alice,
      assignee: null,
      created: '2026-07-01T09:00:00.000+0000',
      updated: '2026-07-01T09:00:00.000+0000',
      issuelinks: [],
      ...fields,
    },
    changelog: { startAt: 0, maxResults: 0, total: 0, histories: [] },
  }
}
const envelope = (payload: unknown, entity = 'issue'): RawEnvelope => ({
  source: 'jira',
  entity,
  sourceId: 'ENG-7',
  fetchedAt: '2026-07-02T00:00:00.000Z',
  meta: { statusCategories: { '10000': 'new', '10001': 'new' } },
  payload,
})
const run = (e: RawEnvelope, ctx = plain): CanonicalEvent[] =>
  mapJira(e, ctx).map((x) => canonicalEventSchema.parse(x))
const fieldsOf = (events: CanonicalEvent[]) =>
  events.map((e) => [e.type, 'project' in e ? e.project : '-', 'epic' in e ? e.epic : '-'])

describe('Jira facts carry the project and epic the portfolio maps', () => {
  it('next-gen parent: fields.parent.key is the epic of the workitem and decision events', () => {
    const out = run(envelope(issue({ parent: epicParent })))
    expect(fieldsOf(out)).toEqual([
      ['workitem.status_changed', 'ENG', 'ENG-1'],
      ['decision.raised', 'ENG', 'ENG-1'],
    ])
  })

  it('hidden parent: no parent in the payload gives an empty epic, the project still from fields.project', () => {
    const out = run(envelope(issue({})))
    expect(fieldsOf(out)).toEqual([
      ['workitem.status_changed', 'ENG', ''],
      ['decision.raised', 'ENG', ''],
    ])
  })

  it('hidden parent with the Epic Link field configured: the custom field names the epic', () => {
    const out = run(envelope(issue({ customfield_10014: 'ENG-3' })), withEpicLink)
    expect(fieldsOf(out).map((r) => r[2])).toEqual(['ENG-3', 'ENG-3'])
    // the field wins over parent when both are there; a value that is no issue key falls back to parent
    const both = run(envelope(issue({ customfield_10014: 'ENG-3', parent: epicParent })), withEpicLink)
    expect(both.map((e) => ('epic' in e ? e.epic : '-'))).toEqual(['ENG-3', 'ENG-3'])
    const junk = run(envelope(issue({ customfield_10014: 'not a key', parent: epicParent })), withEpicLink)
    expect(junk.map((e) => ('epic' in e ? e.epic : '-'))).toEqual(['ENG-1', 'ENG-1'])
    // without the setting the custom field is ignored
    expect(
      run(envelope(issue({ customfield_10014: 'ENG-3' }))).map((e) => ('epic' in e ? e.epic : '-')),
    ).toEqual(['', ''])
  })

  it("a blocking link carries the blocked item's project and epic: its own from its side, the key's project from the blocker's", () => {
    const blocks = (dir: 'outwardIssue' | 'inwardIssue', key: string) => ({
      id: '30001',
      type: { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
      [dir]: { id: '1', key, fields: { status: STATUS.todo } },
    })
    // ENG-7 (epic ENG-1) blocks OPS-9: the blocked item is OPS-9, whose epic this payload does not show
    const fromBlocker = run(
      envelope(issue({ parent: epicParent, issuelinks: [blocks('outwardIssue', 'OPS-9')] })),
    )
    const link = fromBlocker.find((e) => e.type === 'dependency.linked')
    expect(link).toMatchObject({ blockedItem: 'jira:OPS-9', project: 'OPS', epic: '' })
    // OPS-9 (epic OPS-2) is blocked by ENG-7: its own side knows its epic
    const fromBlocked = run(
      envelope(
        issue(
          { parent: { ...epicParent, key: 'OPS-2' }, issuelinks: [blocks('inwardIssue', 'ENG-7')] },
          'OPS-9',
        ),
      ),
    )
    expect(fromBlocked.find((e) => e.type === 'dependency.linked')).toMatchObject({
      blockedItem: 'jira:OPS-9',
      project: 'OPS',
      epic: 'OPS-2',
    })
  })

  it('a webhook update carries the parent from its issue', () => {
    const w = {
      timestamp: Date.parse('2026-07-03T10:00:00.000Z'),
      webhookEvent: 'jira:issue_updated',
      user: alice,
      issue: issue({ parent: epicParent, status: STATUS.todo, updated: '2026-07-03T10:00:00.000+0000' }),
      changelog: {
        id: '40001',
        items: [
          {
            field: 'status',
            fieldtype: 'jira',
            fieldId: 'status',
            from: '10001',
            fromString: 'Needs Decision',
            to: '10000',
            toString: 'To Do',
          },
        ],
      },
    }
    const out = run(envelope(w, 'webhook'))
    expect(out.find((e) => e.type === 'workitem.status_changed')).toMatchObject({
      project: 'ENG',
      epic: 'ENG-1',
    })
  })
})
