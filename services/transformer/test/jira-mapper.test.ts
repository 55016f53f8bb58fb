import { mapJira } from '@orgpulse/connector-jira'
import {
  type CanonicalEvent,
  canonicalEventSchema,
  configSchema,
  eventId,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { JIRA_STATUS, JIRA_USERS, jiraStatusItem } from './fixtures.ts'

/**
 * Payloads follow Atlassian's documented shapes: issues with fields + changelog.histories
 * (id, author, created, items[{field, fieldtype, fieldId, from, fromString, to, toString}]),
 * issuelinks with type {name, inward, outward} and outwardIssue/inwardIssue, and webhook bodies
 * {timestamp, webhookEvent, user, issue, changelog: {id, items}}.
 */

const config = configSchema.parse({
  jira: {
    baseUrl: 'https://acme.atlassian.net',
    projects: ['ENG', 'OPS'],
    teams: [
      { team: 'u:eng-lead@acme.test', projects: ['ENG'] },
      { team: 'u:ops-lead@acme.test', projects: ['OPS'] },
      { team: 'Platform', projects: ['ENG'], components: ['Platform'] },
    ],
  },
})
const ctx = { config }

const users = JIRA_USERS

const STATUS = JIRA_STATUS
const categories = Object.fromEntries(Object.values(STATUS).map((s) => [s.id, s.statusCategory.key]))

const t = (iso: string) => iso.replace('Z', '+0000')
const statusItem = jiraStatusItem
const linkItem = (phrase: string, key: string, added: boolean) => ({
  field: 'Link',
  fieldtype: 'jira',
  from: added ? null : key,
  fromString: added ? null : `This issue ${phrase} ${key}`,
  to: added ? key : null,
  toString: added ? `This issue ${phrase} ${key}` : null,
})
const blocksLink = (id: string, dir: 'outward' | 'inward', key: string) => ({
  id,
  type: { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
  [dir === 'outward' ? 'outwardIssue' : 'inwardIssue']: { id: '1', key, fields: { status: STATUS.todo } },
})

interface History {
  id: string
  author: (typeof users)[keyof typeof users]
  created: string
  items: Record<string, unknown>[]
}

function issue(opts: {
  id?: string
  key: string
  type?: string
  status: (typeof STATUS)[keyof typeof STATUS]
  labels?: string[]
  components?: string[]
  reporter?: (typeof users)[keyof typeof users]
  assignee?: (typeof users)[keyof typeof users] | null
  created: string
  links?: unknown[]
  histories?: History[]
}) {
  const histories = (opts.histories ?? []).map((h) => ({ ...h, created: t(h.created) }))
  return {
    id: opts.id ?? '10042',
    key: opts.key,
    fields: {
      summary: `Summary of ${opts.key}`,
      issuetype: { id: '1', name: opts.type ?? 'Task' },
      project: { key: opts.key.split('-')[0] },
      status: opts.status,
      labels: opts.labels ?? [],
      components: (opts.components ?? []).map((name) => ({ name })),
      reporter: opts.reporter ?? users.alice,
      creator: opts.reporter ?? users.alice,
      assignee: opts.assignee ?? null,
      created: t(opts.created),
      updated: t(histories.at(-1)?.created ?? opts.created),
      issuelinks: opts.links ?? [],
    },
    changelog: { startAt: 0, maxResults: histories.length, total: histories.length, histories },
  }
}

const issueEnvelope = (payload: unknown): RawEnvelope => ({
  source: 'jira',
  entity: 'issue',
  sourceId: (payload as { key: string }).key,
  fetchedAt: '2026-03-10T00:00:00.000Z',
  meta: { statusCategories: categories },
  payload,
})
const webhookEnvelope = (payload: unknown): RawEnvelope => ({
  source: 'jira',
  entity: 'webhook',
  sourceId: 'x',
  fetchedAt: '2026-03-10T00:00:00.000Z',
  meta: { deliveryId: 'd-1' },
  payload,
})

const run = (e: RawEnvelope): CanonicalEvent[] => mapJira(e, ctx).map((x) => canonicalEventSchema.parse(x))
const summary = (events: CanonicalEvent[]) =>
  events
    .map((e) => {
      switch (e.type) {
        case 'workitem.status_changed':
          return `${e.occurredAt} status ${e.fromStatus || '∅'}→${e.toStatus} [${e.category}] by ${e.actor ?? '-'} team ${e.team}`
        case 'decision.raised':
          return `${e.occurredAt} raised by ${e.raisedBy} team ${e.team}`
        case 'decision.escalated':
          return `${e.occurredAt} escalated to ${e.escalatedTo.join(',')} by ${e.actor ?? '-'}`
        case 'decision.decided':
        case 'decision.rejected':
          return `${e.occurredAt} ${e.type.slice(9)} by ${e.actor}`
        case 'decision.withdrawn':
          return `${e.occurredAt} withdrawn by ${e.actor ?? '-'}`
        case 'dependency.linked':
          return `${e.occurredAt} linked ${e.blockerItem}(${e.blockerTeam}) blocks ${e.blockedItem}(${e.blockedTeam})`
        case 'dependency.resolved':
          return `${e.occurredAt} resolved ${e.blockerItem} blocks ${e.blockedItem}: ${e.reason}`
        default:
          return e.type
      }
    })
    .sort()

// To Do → Needs Decision (bob) → Escalated + assigned to carol (bob) → Decided (carol)
const decisionIssue = issue({
  key: 'ENG-1',
  status: STATUS.decided,
  assignee: users.carol,
  created: '2026-03-02T09:00:00.000Z',
  histories: [
    {
      id: '20001',
      author: users.bob,
      created: '2026-03-02T10:00:00.000Z',
      items: [statusItem(STATUS.todo, STATUS.needs)],
    },
    {
      id: '20002',
      author: users.bob,
      created: '2026-03-03T10:00:00.000Z',
      items: [
        statusItem(STATUS.needs, STATUS.escalated),
        {
          field: 'assignee',
          fieldtype: 'jira',
          fieldId: 'assignee',
          from: null,
          fromString: null,
          to: 'acc-carol',
          toString: 'Carol',
        },
      ],
    },
    {
      id: '20003',
      author: users.carol,
      created: '2026-03-04T12:30:00.000Z',
      items: [statusItem(STATUS.escalated, STATUS.decided)],
    },
  ],
})

describe('mapJira: issues with full changelogs', () => {
  it('turns a status-driven decision into raised → escalated → decided, with status changes', () => {
    expect(summary(run(issueEnvelope(decisionIssue))).join('\n')).toBe(
      [
        '2026-03-02T09:00:00.000Z status ∅→To Do [todo] by alice@acme.test team u:eng-lead@acme.test',
        '2026-03-02T10:00:00.000Z raised by alice@acme.test team u:eng-lead@acme.test',
        '2026-03-02T10:00:00.000Z status To Do→Needs Decision [todo] by bob@acme.test team u:eng-lead@acme.test',
        '2026-03-03T10:00:00.000Z escalated to carol@acme.test by bob@acme.test',
        '2026-03-03T10:00:00.000Z status Needs Decision→Escalated [in_progress] by bob@acme.test team u:eng-lead@acme.test',
        '2026-03-04T12:30:00.000Z decided by carol@acme.test',
        '2026-03-04T12:30:00.000Z status Escalated→Decided [done] by carol@acme.test team u:eng-lead@acme.test',
      ].join('\n'),
    )
  })

  it('keys events by issue id and changelog history id, with the change time as version', () => {
    const events = run(issueEnvelope(decisionIssue))
    const decided = events.find((e) => e.type === 'decision.decided')!
    expect(decided.id).toBe(eventId('jira', 'issue:10042', 'decision.call:20003'))
    expect(decided.version).toBe(Date.parse('2026-03-04T12:30:00.000Z'))
    expect(decided).toMatchObject({ decisionId: 'jira:ENG-1', sourceId: 'ENG-1', title: 'Summary of ENG-1' })
    const status = events.find((e) => e.type === 'workitem.status_changed' && e.toStatus === 'Decided')!
    expect(status.id).toBe(eventId('jira', 'issue:10042', 'status:20003'))
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length)
  })

  it('raises a decision at creation for the decision issue type, and records a rejection by its author', () => {
    const payload = issue({
      key: 'ENG-2',
      type: 'Decision',
      status: STATUS.rejected,
      created: '2026-03-05T08:00:00.000Z',
      histories: [
        {
          id: '20010',
          author: users.bob,
          created: '2026-03-06T08:00:00.000Z',
          items: [statusItem(STATUS.todo, STATUS.rejected)],
        },
      ],
    })
    expect(summary(run(issueEnvelope(payload))).filter((s) => !s.includes('status'))).toEqual([
      '2026-03-05T08:00:00.000Z raised by alice@acme.test team u:eng-lead@acme.test',
      '2026-03-06T08:00:00.000Z rejected by bob@acme.test',
    ])
  })

  it('treats a Done on an ordinary task as work, not as a decision', () => {
    const payload = issue({
      key: 'ENG-3',
      status: STATUS.done,
      created: '2026-03-05T08:00:00.000Z',
      histories: [
        {
          id: '20020',
          author: users.bob,
          created: '2026-03-06T08:00:00.000Z',
          items: [statusItem(STATUS.todo, STATUS.done)],
        },
      ],
    })
    expect(run(issueEnvelope(payload)).map((e) => e.type)).toEqual([
      'workitem.status_changed',
      'workitem.status_changed',
    ])
  })

  it('raises when the decision label is added later, tagging the labels', () => {
    const payload = issue({
      key: 'ENG-4',
      status: STATUS.todo,
      labels: ['decision', 'api'],
      created: '2026-03-05T08:00:00.000Z',
      histories: [
        {
          id: '20030',
          author: users.bob,
          created: '2026-03-05T09:00:00.000Z',
          items: [
            {
              field: 'labels',
              fieldtype: 'jira',
              fieldId: 'labels',
              from: null,
              fromString: 'api',
              to: null,
              toString: 'api decision',
            },
          ],
        },
      ],
    })
    const raised = run(issueEnvelope(payload)).filter((e) => e.type === 'decision.raised')
    expect(raised).toHaveLength(1)
    expect(raised[0]).toMatchObject({ occurredAt: '2026-03-05T09:00:00.000Z', tags: ['api', 'decision'] })
  })

  it('emits dependencies from the blocker: linked, then resolved when the blocker is done', () => {
    const payload = issue({
      key: 'ENG-5',
      status: STATUS.done,
      created: '2026-03-01T08:00:00.000Z',
      links: [blocksLink('30001', 'outward', 'OPS-7')],
      histories: [
        {
          id: '20040',
          author: users.bob,
          created: '2026-03-02T08:00:00.000Z',
          items: [linkItem('blocks', 'OPS-7', true)],
        },
        {
          id: '20041',
          author: users.bob,
          created: '2026-03-09T08:00:00.000Z',
          items: [statusItem(STATUS.todo, STATUS.done)],
        },
      ],
    })
    const deps = run(issueEnvelope(payload)).filter((e) => e.type.startsWith('dependency.'))
    expect(summary(deps)).toEqual([
      '2026-03-02T08:00:00.000Z linked jira:ENG-5(u:eng-lead@acme.test) blocks jira:OPS-7(u:ops-lead@acme.test)',
      '2026-03-09T08:00:00.000Z resolved jira:ENG-5 blocks jira:OPS-7: blocker_done',
    ])
    expect(deps.every((d) => 'linkId' in d && d.linkId === 'jira:ENG-5/blocks/OPS-7')).toBe(true)
  })

  it('resolves a removed link as unlinked, seen from either side as the same link', () => {
    const blocker = issue({
      key: 'ENG-6',
      status: STATUS.inProgress,
      created: '2026-03-01T08:00:00.000Z',
      histories: [
        {
          id: '20050',
          author: users.bob,
          created: '2026-03-02T08:00:00.000Z',
          items: [linkItem('blocks', 'OPS-8', true)],
        },
        {
          id: '20052',
          author: users.bob,
          created: '2026-03-04T08:00:00.000Z',
          items: [linkItem('blocks', 'OPS-8', false)],
        },
      ],
    })
    expect(summary(run(issueEnvelope(blocker)).filter((e) => e.type.startsWith('dependency.')))).toEqual([
      '2026-03-02T08:00:00.000Z linked jira:ENG-6(u:eng-lead@acme.test) blocks jira:OPS-8(u:ops-lead@acme.test)',
      '2026-03-04T08:00:00.000Z resolved jira:ENG-6 blocks jira:OPS-8: unlinked',
    ])
    const blocked = issue({
      key: 'OPS-8',
      id: '10099',
      status: STATUS.todo,
      created: '2026-03-01T08:00:00.000Z',
      histories: [
        {
          id: '20051',
          author: users.bob,
          created: '2026-03-02T08:00:00.000Z',
          items: [linkItem('is blocked by', 'ENG-6', true)],
        },
        {
          id: '20053',
          author: users.bob,
          created: '2026-03-04T08:00:00.000Z',
          items: [linkItem('is blocked by', 'ENG-6', false)],
        },
      ],
    })
    // the blocked issue's own record of the link ("is blocked by") is the same link: same link
    // id, same teams, its creation and its removal (the metrics fold both sides into one interval)
    const fromBlocked = run(issueEnvelope(blocked)).filter((e) => e.type.startsWith('dependency.'))
    expect(summary(fromBlocked)).toEqual([
      '2026-03-02T08:00:00.000Z linked jira:ENG-6(u:eng-lead@acme.test) blocks jira:OPS-8(u:ops-lead@acme.test)',
      '2026-03-04T08:00:00.000Z resolved jira:ENG-6 blocks jira:OPS-8: unlinked',
    ])
    expect(new Set(fromBlocked.map((e) => ('linkId' in e ? e.linkId : '')))).toEqual(
      new Set(['jira:ENG-6/blocks/OPS-8']),
    )
  })

  it('attributes teams by component before project', () => {
    const payload = issue({
      key: 'ENG-9',
      status: STATUS.todo,
      components: ['Platform'],
      created: '2026-03-01T08:00:00.000Z',
    })
    expect(run(issueEnvelope(payload))[0]).toMatchObject({ team: 'Platform' })
  })

  it('keeps an unknown user as jira:<accountId> (no email shown)', () => {
    const payload = issue({
      key: 'ENG-10',
      type: 'Decision',
      reporter: users.ghost,
      status: STATUS.decided,
      created: '2026-03-01T08:00:00.000Z',
      histories: [
        {
          id: '20060',
          author: users.ghost,
          created: '2026-03-02T08:00:00.000Z',
          items: [statusItem(STATUS.todo, STATUS.decided)],
        },
      ],
    })
    const decided = run(issueEnvelope(payload)).find((e) => e.type === 'decision.decided')
    expect(decided).toMatchObject({
      raisedBy: 'jira:5b10ac8d82e05b22cc7d4ef5',
      actor: 'jira:5b10ac8d82e05b22cc7d4ef5',
    })
  })

  it('applies statusCategories overrides from config', () => {
    const overridden = configSchema.parse({
      jira: { projects: ['ENG'], statusCategories: { 'Needs Decision': 'in_progress' } },
    })
    const events = mapJira(issueEnvelope(decisionIssue), { config: overridden })
    expect(
      events.find((e) => e.type === 'workitem.status_changed' && e.toStatus === 'Needs Decision'),
    ).toMatchObject({ category: 'in_progress' })
  })
})

/** an event as a webhook delta carries it: decision steps at their own time, not a complete version */
const asDelta = <E extends { occurredAt: string }>(e: E): E =>
  'decisionId' in e ? { ...e, complete: false, arrival: 0, version: Date.parse(e.occurredAt) } : e

describe('mapJira: webhooks', () => {
  const current = decisionIssue
  const webhookFor = (historyId: string) => {
    const h = current.changelog.histories.find((x) => x.id === historyId)!
    return {
      timestamp: Date.parse(h.created.replace('+0000', 'Z')) + 7,
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: h.author,
      issue: { id: current.id, key: current.key, fields: current.fields },
      changelog: { id: h.id, items: h.items },
    }
  }

  it('produces exactly the poll events for the same change (same ids, same content)', () => {
    const fromPoll = run(issueEnvelope(decisionIssue)).filter(
      (e) => e.occurredAt === '2026-03-04T12:30:00.000Z',
    )
    const fromHook = run(webhookEnvelope(webhookFor('20003')))
    expect(fromHook.map((e) => e.id).sort()).toEqual(fromPoll.map((e) => e.id).sort())
    // the change time comes from fields.updated, which Jira sets to the history's time; a read
    // with the full changelog is a complete version of the decision (all its steps at the read's
    // version), the webhook's single change a delta at the change's time
    expect(fromHook.map(asDelta)).toEqual(expect.arrayContaining(fromPoll.map(asDelta)))
    const updated = Date.parse(decisionIssue.fields.updated!.replace('+0000', 'Z'))
    for (const e of fromPoll.filter((x) => 'decisionId' in x))
      expect(e).toMatchObject({ complete: true, version: updated })
    for (const e of fromHook.filter((x) => 'decisionId' in x))
      expect(e).toMatchObject({ complete: false, version: Date.parse(e.occurredAt) })
  })

  it('maps a creation webhook like the creation part of a poll', () => {
    const created = issue({
      key: 'ENG-2',
      type: 'Decision',
      status: STATUS.todo,
      created: '2026-03-05T08:00:00.000Z',
    })
    const hook = {
      timestamp: Date.parse('2026-03-05T08:00:00.000Z'),
      webhookEvent: 'jira:issue_created',
      user: users.alice,
      issue: { id: created.id, key: created.key, fields: created.fields },
    }
    expect(run(webhookEnvelope(hook))).toEqual(run(issueEnvelope(created)).map(asDelta))
  })

  it('maps a deletion: cancelled work, withdrawn open decision, resolved links both ways', () => {
    const deleted = issue({
      key: 'ENG-11',
      type: 'Decision',
      status: STATUS.needs,
      created: '2026-03-05T08:00:00.000Z',
      links: [blocksLink('30010', 'outward', 'OPS-1'), blocksLink('30011', 'inward', 'OPS-2')],
    })
    const hook = {
      timestamp: Date.parse('2026-03-08T08:00:00.000Z'),
      webhookEvent: 'jira:issue_deleted',
      user: users.bob,
      issue: { id: deleted.id, key: deleted.key, fields: deleted.fields },
    }
    expect(summary(run(webhookEnvelope(hook)))).toEqual([
      '2026-03-08T08:00:00.000Z resolved jira:ENG-11 blocks jira:OPS-1: unlinked',
      // deleting an issue deletes its links, including those blocking it
      '2026-03-08T08:00:00.000Z resolved jira:OPS-2 blocks jira:ENG-11: unlinked',
      '2026-03-08T08:00:00.000Z status Needs Decision→Deleted [cancelled] by bob@acme.test team u:eng-lead@acme.test',
      '2026-03-08T08:00:00.000Z withdrawn by bob@acme.test',
    ])
  })

  it('ignores updates without a changelog; an issuelink delivery without its link type is refused with the reason', () => {
    expect(
      run(
        webhookEnvelope({
          timestamp: 1,
          webhookEvent: 'jira:issue_updated',
          user: users.bob,
          issue: { id: current.id, key: current.key, fields: current.fields },
        }),
      ),
    ).toEqual([])
    // the route reads both issues back and maps the link itself (issue 16): a delivery that does not
    // even name its link type can never map, and goes to the dead-letter topic saying so
    expect(() =>
      run(
        webhookEnvelope({
          timestamp: 1,
          webhookEvent: 'issuelink_created',
          issueLink: { id: 1, sourceIssueId: 2, destinationIssueId: 3 },
        }),
      ),
    ).toThrow(/invalid Jira issuelink_created: issueLinkType/)
  })
})

describe('mapJira: bad input', () => {
  it('rejects what can never map, saying why', () => {
    expect(() => mapJira({ ...issueEnvelope({ key: 'ENG-1' }) }, ctx)).toThrow(RejectedRecord)
    expect(() => mapJira({ ...issueEnvelope({ key: 'ENG-1' }) }, ctx)).toThrow(/invalid Jira issue: .*fields/)
    expect(() => mapJira({ ...issueEnvelope(decisionIssue), entity: 'board' }, ctx)).toThrow(
      /unknown Jira entity "board" \(expected issue, webhook, deletion or sprint\)/,
    )
    const { changelog: _omit, ...noChangelog } = decisionIssue
    expect(() => mapJira(issueEnvelope(noChangelog), ctx)).toThrow(/no changelog/)
    const badTime = issue({ key: 'ENG-1', status: STATUS.todo, created: 'yesterday' })
    expect(() => mapJira(issueEnvelope(badTime), ctx)).toThrow(
      /unparseable issue created timestamp "yesterday"/,
    )
  })
})

describe('mapJira: an issue that stops being a decision', () => {
  // labelled a decision at creation, escalated, the label removed a week later
  const labelItem = (from: string, to: string) => ({
    field: 'labels',
    fieldtype: 'jira',
    fieldId: 'labels',
    from: null,
    fromString: from,
    to: null,
    toString: to,
  })
  const unlabelled = issue({
    key: 'ENG-21',
    status: STATUS.inProgress,
    labels: ['backend'],
    created: '2026-03-02T09:00:00.000Z',
    histories: [
      {
        id: '21001',
        author: users.bob,
        created: '2026-03-03T10:00:00.000Z',
        items: [labelItem('decision backend', 'decision backend escalated')],
      },
      {
        id: '21002',
        author: users.bob,
        created: '2026-03-09T10:00:00.000Z',
        items: [labelItem('decision backend escalated', 'backend')],
      },
    ],
  })
  // created with the label (the creation snapshot's labels: the first history's from side)
  unlabelled.fields.labels = ['backend']

  it('a full read drops every decision step for one decision.dropped at the read version', () => {
    const decisionSteps = run(issueEnvelope(unlabelled)).filter((e) => 'decisionId' in e)
    expect(decisionSteps).toEqual([
      expect.objectContaining({
        type: 'decision.dropped',
        decisionId: 'jira:ENG-21',
        complete: true,
        version: Date.parse('2026-03-09T10:00:00.000Z'),
      }),
    ])
  })

  it('the read before the removal was a decision: the removal read retires its steps', () => {
    const before = structuredClone(unlabelled)
    before.changelog.histories = before.changelog.histories.slice(0, 1)
    before.fields.labels = ['decision', 'backend', 'escalated']
    before.fields.updated = '2026-03-03T10:00:00.000+0000'
    const steps = run(issueEnvelope(before)).filter((e) => 'decisionId' in e)
    expect(steps.map((e) => e.type).sort()).toEqual(['decision.escalated', 'decision.raised'])
    // both complete at the read's version, which the later read's version exceeds
    for (const e of steps)
      expect(e).toMatchObject({ complete: true, version: Date.parse('2026-03-03T10:00:00.000Z') })
  })

  it('a webhook removing the label is a complete version with no step', () => {
    const h = unlabelled.changelog.histories[1]!
    const events = run(
      webhookEnvelope({
        timestamp: Date.parse('2026-03-09T10:00:00.000Z') + 5,
        webhookEvent: 'jira:issue_updated',
        user: h.author,
        issue: { id: unlabelled.id, key: unlabelled.key, fields: unlabelled.fields },
        changelog: { id: h.id, items: h.items },
      }),
    )
    expect(events.filter((e) => 'decisionId' in e)).toEqual([
      expect.objectContaining({
        type: 'decision.dropped',
        complete: true,
        version: Date.parse('2026-03-09T10:00:00.000Z'),
      }),
    ])
  })

  it('a decision by workflow status stays one after it moves on', () => {
    const steps = run(issueEnvelope(decisionIssue)).filter((e) => 'decisionId' in e)
    expect(steps.map((e) => e.type)).not.toContain('decision.dropped')
    expect(steps.map((e) => e.type)).toContain('decision.decided')
  })
})

describe('mapJira: a blocker reopened, seen by webhook', () => {
  // ENG-9 blocks OPS-9; Done 03-05, reopened (In Progress) 03-08 while still linked
  const reopened = issue({
    id: '10090',
    key: 'ENG-9',
    status: STATUS.inProgress,
    created: '2026-03-01T09:00:00Z',
    links: [blocksLink('30090', 'outward', 'OPS-9')],
    histories: [
      {
        id: '20090',
        author: users.bob,
        created: '2026-03-02T09:00:00Z',
        items: [linkItem('blocks', 'OPS-9', true)],
      },
      {
        id: '20091',
        author: users.bob,
        created: '2026-03-05T09:00:00Z',
        items: [statusItem(STATUS.todo, STATUS.done)],
      },
      {
        id: '20092',
        author: users.bob,
        created: '2026-03-08T09:00:00Z',
        items: [statusItem(STATUS.done, STATUS.inProgress)],
      },
    ],
  })

  it('links again at the reopening, though the webhook does not say the previous status was done', () => {
    const h = reopened.changelog.histories.at(-1)!
    // a webhook envelope has no status categories: the previous status is named by id only
    const hook = run(
      webhookEnvelope({
        timestamp: Date.parse('2026-03-08T09:00:00Z') + 5,
        webhookEvent: 'jira:issue_updated',
        user: h.author,
        issue: { id: reopened.id, key: reopened.key, fields: reopened.fields },
        changelog: { id: h.id, items: h.items },
      }),
    ).filter((e) => e.type.startsWith('dependency.'))
    expect(summary(hook)).toEqual([
      '2026-03-08T09:00:00.000Z linked jira:ENG-9(u:eng-lead@acme.test) blocks jira:OPS-9(u:ops-lead@acme.test)',
    ])
    // the poll of the same change (categories known) gives the same event
    const poll = run(issueEnvelope(reopened)).filter((e) => e.occurredAt === '2026-03-08T09:00:00.000Z')
    expect(hook.map((e) => e.id)).toEqual(poll.filter((e) => e.type === 'dependency.linked').map((e) => e.id))
  })
})

describe('mapJira: the expected decider', () => {
  // Needs Decision, assigned to a user whose email Jira hides (User.emailAddress omitted)
  const pending = issue({
    key: 'ENG-7',
    status: STATUS.escalated,
    assignee: users.ghost,
    created: '2026-03-02T09:00:00.000Z',
    histories: [
      {
        id: '30001',
        author: users.bob,
        created: '2026-03-02T10:00:00.000Z',
        items: [statusItem(STATUS.todo, STATUS.needs)],
      },
      {
        id: '30002',
        author: users.bob,
        created: '2026-03-03T10:00:00.000Z',
        items: [statusItem(STATUS.needs, STATUS.escalated)],
      },
    ],
  })
  const decisionSteps = (events: CanonicalEvent[]) => events.filter((e) => 'decisionId' in e)
  const expected = (events: CanonicalEvent[]) => [
    ...new Set(decisionSteps(events).map((e) => ('expectedDecider' in e ? e.expectedDecider : '?'))),
  ]

  it('is the assignee as it is now, on every step, as jira:<accountId> when the email is hidden', () => {
    const events = run(issueEnvelope(pending))
    expect(
      decisionSteps(events)
        .map((e) => e.type)
        .sort(),
    ).toEqual(['decision.escalated', 'decision.raised'])
    expect(expected(events)).toEqual([`jira:${users.ghost.accountId}`])
  })

  it('a webhook delta carries it from the delivered issue', () => {
    const h = pending.changelog.histories[1]!
    const hook = {
      timestamp: Date.parse(h.created.replace('+0000', 'Z')) + 7,
      webhookEvent: 'jira:issue_updated',
      user: h.author,
      issue: { id: pending.id, key: pending.key, fields: pending.fields },
      changelog: { id: h.id, items: h.items },
    }
    expect(expected(run(webhookEnvelope(hook)))).toEqual([`jira:${users.ghost.accountId}`])
  })

  it('is nobody with `none`, and the first user of a configured user-picker field', () => {
    const withConfig = (expectedDecider: string) =>
      configSchema.parse({ jira: { ...config.jira, decisions: { expectedDecider } } })
    const runWith = (c: ReturnType<typeof withConfig>, payload: unknown) =>
      mapJira(issueEnvelope(payload), { config: c }).map((x) => canonicalEventSchema.parse(x))
    expect(expected(runWith(withConfig('none'), pending))).toEqual([''])
    const picked = { ...pending, fields: { ...pending.fields, customfield_10050: [users.bob, users.carol] } }
    expect(expected(runWith(withConfig('customfield_10050'), picked))).toEqual(['bob@acme.test'])
    // an unset field names nobody
    expect(expected(runWith(withConfig('customfield_10050'), pending))).toEqual([''])
    expect(() => withConfig('approver')).toThrow(/assignee, none or a custom field id/)
  })
})
