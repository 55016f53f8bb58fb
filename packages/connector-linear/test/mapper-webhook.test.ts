import { configSchema, eventId, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { mapLinear } from '../src/index.ts'

/**
 * Issue deliveries as Linear sends them (@linear/sdk `EntityWebhookPayload` /
 * `IssueWebhookPayload`; https://linear.app/developers/webhooks): people by id, the actor with an
 * email, `remove` for a deleted issue.
 */
const ctx = { config: configSchema.parse({ linear: { teams: { ENG: 'u:eng@x.io' } } }) }
const state = (name: string, type: string) => ({ id: `s-${name}`, name, type, color: '#888' })
const data = (over: Record<string, unknown> = {}) => ({
  id: 'i-1',
  identifier: 'ENG-1',
  title: 'Pick a queue',
  createdAt: '2026-04-01T09:00:00.000Z',
  updatedAt: '2026-04-02T10:00:00.000Z',
  stateId: 's-Todo',
  state: state('Todo', 'unstarted'),
  teamId: 't',
  team: { id: 't', key: 'ENG', name: 'Eng' },
  creatorId: 'u-creator',
  assigneeId: null,
  labels: [{ id: 'l-d', name: 'decision', color: '#888' }],
  labelIds: ['l-d'],
  ...over,
})
const body = (action: string, d: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  action,
  type: 'Issue',
  createdAt: '2026-04-05T12:00:00.000Z',
  data: d,
  actor: { id: 'u-actor', name: 'Ann', email: 'Ann@X.io', type: 'user', url: 'https://linear.app/x' },
  url: 'https://linear.app/x/issue/ENG-1',
  organizationId: 'o',
  webhookId: 'w',
  webhookTimestamp: 1,
  ...extra,
})
const map = (payload: unknown) =>
  mapLinear(
    {
      source: 'linear',
      entity: 'webhook',
      sourceId: 'i-1',
      fetchedAt: '2026-04-05T12:00:01.000Z',
      payload,
    } as RawEnvelope,
    ctx,
  )

describe('Linear Issue webhooks: people by id', () => {
  it('on create the actor is the creator: the decision is raised by their email', () => {
    const out = map(body('create', data({ creatorId: 'u-actor' })))
    expect(out).toEqual([expect.objectContaining({ type: 'decision.raised', raisedBy: 'ann@x.io' })])
  })

  it('a creator or assignee known only by id is `linear:<id>` (the directory resolves it at query time)', () => {
    const out = map(
      body(
        'update',
        data({
          assigneeId: 'u-dir',
          labels: [...data().labels, { id: 'l-e', name: 'escalated', color: '#888' }],
          labelIds: ['l-d', 'l-e'],
        }),
        { updatedFrom: { labelIds: ['l-d'] } },
      ),
    )
    expect(out).toEqual([
      expect.objectContaining({
        type: 'decision.escalated',
        raisedBy: 'linear:u-creator',
        escalatedTo: ['linear:u-dir'],
        actor: 'ann@x.io',
      }),
    ])
  })

  it('an integration actor without an email is `linear:<id>`', () => {
    const out = map(
      body('create', data({ creatorId: null }), {
        actor: { id: 'app-1', name: 'Zapier', type: 'OauthClient' },
      }),
    )
    expect(out).toEqual([expect.objectContaining({ type: 'decision.raised', raisedBy: 'linear:app-1' })])
  })
})

describe('Linear `remove` (issue deleted), as Jira’s jira:issue_deleted', () => {
  const deletedStatus = expect.objectContaining({
    id: eventId('linear', 'i-1', 'state:deleted'),
    type: 'workitem.status_changed',
    toStatus: 'Deleted',
    category: 'cancelled',
    fromStatus: 'Todo',
    occurredAt: '2026-04-05T12:00:00.000Z',
    actor: 'ann@x.io',
  })

  it('an open decision is withdrawn at the removal, and the item stops being work', () => {
    expect(map(body('remove', data({ trashed: true })))).toEqual([
      deletedStatus,
      expect.objectContaining({
        id: eventId('linear', 'i-1', 'withdrawn'),
        type: 'decision.withdrawn',
        raisedBy: 'linear:u-creator',
        occurredAt: '2026-04-05T12:00:00.000Z',
        actor: 'ann@x.io',
      }),
    ])
  })

  it('an update that moves the issue to the trash is the same change', () => {
    const out = map(body('update', data({ trashed: true }), { updatedFrom: { trashed: null } }))
    expect(out.map((e) => e.type)).toEqual(['workitem.status_changed', 'decision.withdrawn'])
  })

  it('restored from the trash: the deletion is replaced by the state it is back in', () => {
    const out = map(body('update', data({ trashed: false }), { updatedFrom: { trashed: true } }))
    expect(out).toEqual([
      expect.objectContaining({
        id: eventId('linear', 'i-1', 'state:deleted'),
        fromStatus: 'Deleted',
        toStatus: 'Todo',
        category: 'todo',
        occurredAt: '2026-04-02T10:00:00.000Z',
      }),
    ])
  })

  it('a call already made stays; an issue that is no decision only stops being work', () => {
    const decided = map(body('remove', data({ stateId: 's-Done', state: state('Done', 'completed') })))
    expect(decided).toEqual([
      expect.objectContaining({ type: 'workitem.status_changed', fromStatus: 'Done' }),
    ])
    expect(map(body('remove', data({ labels: [], labelIds: [] })))).toEqual([deletedStatus])
  })

  it('a removal without the issue id is dead-lettered with the reason', () => {
    const { id: _id, ...noId } = data()
    expect(() => map(body('remove', noId))).toThrow(RejectedRecord)
    expect(() => map(body('remove', noId))).toThrow(/invalid Linear Issue webhook data: .*id/)
  })
})
