import {
  type CanonicalEvent,
  canonicalEventSchema,
  configSchema,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { mapLinear } from '../src/index.ts'

/**
 * The portfolio view's raw field on Linear facts (issue 19): the issue's project id. The poll
 * reads GraphQL `Issue.project` (a nullable `Project`, selected as `project { id name }`); a
 * webhook's IssueWebhookPayload names it by `projectId` (@linear/sdk: "The ID of the project that
 * the issue belongs to"), with a `project` object (ProjectChildWebhookPayload) only sometimes.
 */
const ctx = { config: configSchema.parse({ linear: { teams: { ENG: 'u:eng@x.io', OPS: 'u:ops@x.io' } } }) }
const state = (name: string, type: string) => ({ id: `s-${name}`, name, type })
const ann = { id: 'u-ann', name: 'Ann', email: 'ann@x.io' }
const envelope = (entity: string, payload: unknown): RawEnvelope => ({
  source: 'linear',
  entity,
  sourceId: 'i-1',
  fetchedAt: '2026-07-05T12:00:01.000Z',
  payload,
})
const run = (e: RawEnvelope): CanonicalEvent[] => mapLinear(e, ctx).map((x) => canonicalEventSchema.parse(x))
const projects = (events: CanonicalEvent[]) =>
  events.map((e) => [e.type, 'project' in e ? e.project : '-', 'epic' in e ? e.epic : '-'])

describe('Linear facts carry the project id the portfolio maps', () => {
  it('poll: Issue.project.id on the status and decision events', () => {
    const issue = {
      id: 'i-1',
      identifier: 'ENG-1',
      title: 'Pick a queue',
      createdAt: '2026-07-01T09:00:00.000Z',
      updatedAt: '2026-07-02T09:00:00.000Z',
      team: { id: 't-eng', key: 'ENG' },
      project: { id: 'p-checkout', name: 'Checkout v2' },
      state: state('Decided', 'completed'),
      creator: ann,
      assignee: null,
      labels: { nodes: [{ id: 'l-d', name: 'decision' }] },
      history: {
        nodes: [
          {
            id: 'h-1',
            createdAt: '2026-07-02T09:00:00.000Z',
            actor: ann,
            fromState: state('Todo', 'unstarted'),
            toState: state('Decided', 'completed'),
          },
        ],
      },
      relations: { nodes: [] },
    }
    expect(projects(run(envelope('issue', issue)))).toEqual([
      ['workitem.status_changed', 'p-checkout', ''],
      ['decision.raised', 'p-checkout', ''],
      ['decision.decided', 'p-checkout', ''],
    ])
    // an issue in no project: '' (unmapped unless its team is mapped)
    const none = run(envelope('issue', { ...issue, project: null }))
    expect(none.map((e) => ('project' in e ? e.project : '-'))).toEqual(['', '', ''])
  })

  it('webhook with projectId only (no project object): the id is the project', () => {
    const body = {
      action: 'update',
      type: 'Issue',
      createdAt: '2026-07-05T12:00:00.000Z',
      actor: { id: 'u-ann', name: 'Ann', email: 'ann@x.io', type: 'user' },
      updatedFrom: { stateId: 's-Todo' },
      data: {
        id: 'i-1',
        identifier: 'ENG-1',
        title: 'Pick a queue',
        createdAt: '2026-07-01T09:00:00.000Z',
        updatedAt: '2026-07-05T12:00:00.000Z',
        stateId: 's-Needs Decision',
        state: { ...state('Needs Decision', 'started'), color: '#888' },
        teamId: 't-eng',
        team: { id: 't-eng', key: 'ENG', name: 'Eng' },
        projectId: 'p-growth',
        creatorId: 'u-ann',
        assigneeId: null,
        labels: [],
        labelIds: [],
      },
    }
    expect(projects(run(envelope('webhook', body)))).toEqual([
      ['workitem.status_changed', 'p-growth', ''],
      ['decision.raised', 'p-growth', ''],
    ])
  })

  it("a blocking relation carries the blocked issue's project (relatedIssue.project)", () => {
    const rel = {
      id: 'r-1',
      type: 'blocks',
      createdAt: '2026-07-03T09:00:00.000Z',
      issue: {
        id: 'i-1',
        team: { key: 'ENG' },
        project: { id: 'p-checkout' },
        state: state('Todo', 'unstarted'),
      },
      relatedIssue: {
        id: 'i-2',
        team: { key: 'OPS' },
        project: { id: 'p-infra' },
        state: state('Todo', 'unstarted'),
      },
    }
    expect(run(envelope('relation', rel))).toEqual([
      expect.objectContaining({
        type: 'dependency.linked',
        blockedItem: 'linear:i-2',
        project: 'p-infra',
        epic: '',
      }),
    ])
  })
})
