import { mapLinear } from '@orgpulse/connector-linear'
import { configSchema, eventId, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'

const config = configSchema.parse({ linear: { teams: { ENG: 'u:eng@x.io', PLAT: 'u:plat@x.io' } } })
const ctx = { config }
/**
 * Linear's Issue deliveries name people by id only (`creatorId`, `assigneeId`; the actor has an
 * email): the webhook route looks the ids up and records the emails in `meta.users`, as here.
 */
const LOOKED_UP = { 'u-2': 'bo@x.io', 'u-3': 'dir@x.io' }
const env = (entity: string, payload: unknown, fetchedAt = '2026-05-01T00:00:00.000Z'): RawEnvelope => ({
  source: 'linear',
  entity,
  sourceId: 'x',
  fetchedAt,
  ...(entity === 'webhook' ? { meta: { users: LOOKED_UP } } : {}),
  payload,
})

const state = (name: string, type: string) => ({ id: `s-${name}`, name, type })
const webhook = (
  data: Record<string, unknown>,
  updatedFrom: Record<string, unknown>,
  actor = { id: 'u-1', email: 'Ann@X.io', type: 'user' },
) => ({
  action: 'update',
  type: 'Issue',
  createdAt: data.updatedAt,
  data,
  updatedFrom,
  actor,
  webhookTimestamp: 1,
})
const issueData = (over: Record<string, unknown> = {}) => ({
  id: 'i-1',
  identifier: 'ENG-1',
  title: 'Pick a queue',
  createdAt: '2026-04-01T09:00:00.000Z',
  updatedAt: '2026-04-02T10:00:00.000Z',
  stateId: 's-In Progress',
  state: state('In Progress', 'started'),
  team: { id: 't', key: 'ENG' },
  creatorId: 'u-2',
  labels: [],
  labelIds: [],
  ...over,
})

describe('mapLinear', () => {
  it('maps every Linear state type to a work-item category', () => {
    const types = {
      triage: 'todo',
      backlog: 'todo',
      unstarted: 'todo',
      started: 'in_progress',
      completed: 'done',
      canceled: 'cancelled',
    }
    for (const [type, category] of Object.entries(types)) {
      const out = mapLinear(
        env('webhook', webhook(issueData({ stateId: 's-X', state: state('X', type) }), { stateId: 's-Y' })),
        ctx,
      )
      expect(out).toEqual([
        expect.objectContaining({
          type: 'workitem.status_changed',
          id: eventId('linear', 'i-1', 'state:s-X'),
          category,
          team: 'u:eng@x.io',
          actor: 'ann@x.io',
          itemId: 'linear:i-1',
        }),
      ])
    }
  })

  it('a decision label added by webhook raises; an escalation label escalates to the assignee', () => {
    const labels = [{ id: 'l-d', name: 'decision' }]
    const raised = mapLinear(
      env('webhook', webhook(issueData({ labels, labelIds: ['l-d'] }), { labelIds: [] })),
      ctx,
    )
    expect(raised).toEqual([
      expect.objectContaining({
        type: 'decision.raised',
        decisionId: 'linear:i-1',
        raisedBy: 'bo@x.io',
        occurredAt: '2026-04-02T10:00:00.000Z',
        tags: ['decision'],
      }),
    ])
    const withEsc = [...labels, { id: 'l-e', name: 'Escalated' }]
    const esc = mapLinear(
      env(
        'webhook',
        webhook(
          issueData({
            labels: withEsc,
            labelIds: ['l-d', 'l-e'],
            assigneeId: 'u-3',
          }),
          { labelIds: ['l-d'] },
        ),
      ),
      ctx,
    )
    expect(esc).toEqual([
      expect.objectContaining({ type: 'decision.escalated', escalatedTo: ['dir@x.io'], actor: 'ann@x.io' }),
    ])
    // nobody assigned: no explicit target, so no explicit escalation event
    expect(
      mapLinear(
        env(
          'webhook',
          webhook(issueData({ labels: withEsc, labelIds: ['l-d', 'l-e'] }), { labelIds: ['l-d'] }),
        ),
        ctx,
      ),
    ).toEqual([])
  })

  it('webhook steps are deltas at their own time; the latest call wins (versions)', () => {
    const labels = [{ id: 'l-d', name: 'decision' }]
    const early = mapLinear(
      env(
        'webhook',
        webhook(issueData({ labels, labelIds: ['l-d'], updatedAt: '2026-04-02T10:00:00.000Z' }), {
          labelIds: [],
        }),
      ),
      ctx,
    )[0]!
    const late = mapLinear(
      env(
        'webhook',
        webhook(issueData({ labels, labelIds: ['l-d'], updatedAt: '2026-04-09T10:00:00.000Z' }), {
          labelIds: [],
        }),
      ),
      ctx,
    )[0]!
    // the label added twice means it was removed in between: the decision was dropped and raised
    // again, so the later raise is the live one (before whole-version semantics the earliest won)
    expect(early.id).toBe(late.id)
    expect(late.version).toBeGreaterThan(early.version)
    expect([early, late]).toMatchObject([{ complete: false }, { complete: false }])
    const decided = mapLinear(
      env(
        'webhook',
        webhook(
          issueData({
            labels,
            labelIds: ['l-d'],
            stateId: 's-Decided',
            state: state('Decided', 'completed'),
          }),
          { stateId: 's-In Progress' },
        ),
      ),
      ctx,
    )
    expect(decided.map((e) => e.type)).toEqual([
      'workitem.status_changed',
      'decision.raised',
      'decision.decided',
    ])
    expect(decided[2]).toMatchObject({
      id: eventId('linear', 'i-1', 'call'),
      actor: 'ann@x.io',
      version: Date.parse('2026-04-02T10:00:00.000Z'),
    })
  })

  it('a relation removed between pulls resolves as unlinked at the observation time, after a blocker done before it', () => {
    const rel = {
      id: 'r-1',
      type: 'blocks',
      createdAt: '2026-04-01T00:00:00.000Z',
      issue: { id: 'a', team: { key: 'PLAT' }, state: { type: 'started' } },
      relatedIssue: { id: 'b', team: { key: 'ENG' }, state: { type: 'started' } },
    }
    expect(mapLinear(env('relation.removed', rel, '2026-04-05T12:00:00.000Z'), ctx)).toEqual([
      expect.objectContaining({
        type: 'dependency.resolved',
        reason: 'unlinked',
        occurredAt: '2026-04-05T12:00:00.000Z',
        blockerTeam: 'u:plat@x.io',
        blockedTeam: 'u:eng@x.io',
        id: eventId('linear', 'r-1', 'resolved:unlinked'),
      }),
    ])
    const done = {
      ...rel,
      issue: { ...rel.issue, state: { type: 'completed' }, completedAt: '2026-04-03T00:00:00.000Z' },
    }
    // both changes of the link: the blocker done first (the resolution that counts), then removed
    expect(mapLinear(env('relation.removed', done, '2026-04-05T12:00:00.000Z'), ctx)).toEqual([
      expect.objectContaining({ reason: 'blocker_done', occurredAt: '2026-04-03T00:00:00.000Z' }),
      expect.objectContaining({ reason: 'unlinked', occurredAt: '2026-04-05T12:00:00.000Z' }),
    ])
    expect(mapLinear(env('relation', { ...rel, type: 'related' }), ctx)).toEqual([])
  })

  it('cycles: committed = first scope, completed = last completed, added = net growth; the unit is configurable', () => {
    const c = {
      id: 'c-1',
      number: 7,
      name: null,
      startsAt: '2026-04-01T00:00:00.000Z',
      endsAt: '2026-04-15T00:00:00.000Z',
      completedAt: null,
      scopeHistory: [10, 12, 11],
      completedScopeHistory: [0, 4, 6],
      issueCountHistory: [5, 7, 6],
      completedIssueCountHistory: [0, 2, 3],
      team: { key: 'ENG' },
    }
    expect(mapLinear(env('cycle', c), ctx)).toEqual([
      expect.objectContaining({
        type: 'cycle.snapshot',
        cycleId: 'linear:c-1',
        name: 'Cycle 7',
        committedScope: 10,
        completedScope: 6,
        addedScope: 1,
        team: 'u:eng@x.io',
        occurredAt: '2026-05-01T00:00:00.000Z',
      }),
    ])
    const byIssues = { config: configSchema.parse({ linear: { cycles: { unit: 'issues' } } }) }
    expect(mapLinear(env('cycle', c), byIssues)).toEqual([
      expect.objectContaining({ committedScope: 5, completedScope: 3, addedScope: 1, team: '' }),
    ])
    // not started at the time of the fetch: nothing committed yet
    expect(
      mapLinear(env('cycle', { ...c, startsAt: '2026-06-01T00:00:00.000Z', scopeHistory: [] }), ctx),
    ).toEqual([])
  })

  it('rejects what can never map, with the reason', () => {
    expect(() => mapLinear(env('comment', {}), ctx)).toThrow(RejectedRecord)
    expect(() => mapLinear(env('comment', {}), ctx)).toThrow('unknown Linear entity "comment"')
    expect(() => mapLinear(env('issue', { id: 'i' }), ctx)).toThrow(/invalid Linear issue: identifier/)
    expect(mapLinear(env('team', { id: 't', key: 'ENG' }), ctx)).toEqual([])
    expect(mapLinear(env('webhook', { ...webhook(issueData(), {}), type: 'Comment' }), ctx)).toEqual([])
  })
})

describe('mapLinear: the blocker of a relation done and reopened', () => {
  const rel = (issueState: Record<string, unknown>, createdAt = '2026-04-01T00:00:00.000Z') => ({
    id: 'r-9',
    type: 'blocks',
    createdAt,
    issue: { id: 'a', team: { key: 'PLAT' }, ...issueState },
    relatedIssue: { id: 'b', team: { key: 'ENG' }, state: { type: 'started' } },
  })
  const deps = (events: ReturnType<typeof mapLinear>) =>
    events
      .filter((e) => e.type.startsWith('dependency.'))
      .map((e) => `${e.occurredAt} ${e.type}${'reason' in e ? ` ${e.reason}` : ''}`)
      .sort()

  it('a relation made while its blocker is done resolves at its creation (it opens no interval)', () => {
    const done = rel({ state: { type: 'completed' }, completedAt: '2026-03-20T00:00:00.000Z' })
    expect(deps(mapLinear(env('relation', done), ctx))).toEqual([
      '2026-04-01T00:00:00.000Z dependency.linked',
      '2026-04-01T00:00:00.000Z dependency.resolved blocker_done',
    ])
  })

  it("the blocker's history: done, then reopened while linked, opens the relation again", () => {
    const hist = (id: string, at: string, from: [string, string], to: [string, string]) => ({
      id,
      createdAt: at,
      fromState: state(...from),
      toState: state(...to),
    })
    const blocker = {
      ...issueData({ id: 'a', identifier: 'PLAT-1', team: { id: 't-p', key: 'PLAT' } }),
      labels: { nodes: [] },
      history: {
        nodes: [
          // before the relation existed: not its story
          hist('h-0', '2026-03-25T00:00:00.000Z', ['Todo', 'unstarted'], ['Done', 'completed']),
          hist('h-1', '2026-03-28T00:00:00.000Z', ['Done', 'completed'], ['Todo', 'unstarted']),
          hist('h-2', '2026-04-03T00:00:00.000Z', ['Todo', 'unstarted'], ['Done', 'completed']),
          hist('h-3', '2026-04-06T00:00:00.000Z', ['Done', 'completed'], ['In Progress', 'started']),
        ],
      },
      relations: { nodes: [rel({ state: { type: 'started' } })] },
    }
    expect(deps(mapLinear(env('issue', blocker), ctx))).toEqual([
      '2026-04-01T00:00:00.000Z dependency.linked',
      '2026-04-03T00:00:00.000Z dependency.resolved blocker_done',
      '2026-04-06T00:00:00.000Z dependency.linked',
    ])
    // never reopened since the relation was made: the relation pull's blocker-done is the story
    const once = { ...blocker, history: { nodes: blocker.history.nodes.slice(0, 3) } }
    expect(deps(mapLinear(env('issue', once), ctx))).toEqual(['2026-04-01T00:00:00.000Z dependency.linked'])
  })
})
