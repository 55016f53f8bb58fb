import { configSchema, eventId, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { mapJira } from '../src/index.ts'

/**
 * issuelink_* envelopes as the webhook route publishes them (meta.link from link-sides.ts), the
 * body as Jira documents it (https://developer.atlassian.com/cloud/jira/platform/webhooks/, "Issue
 * link events": ids only).
 */
const config = configSchema.parse({
  jira: {
    baseUrl: 'https://acme.atlassian.net',
    projects: ['APP', 'CORE'],
    teams: [
      { team: 'u:amy@x.io', projects: ['APP'] },
      { team: 'u:cal@x.io', projects: ['CORE'] },
    ],
  },
})
const T = Date.UTC(2026, 6, 2, 9)
const body = (
  event: string,
  type = { name: 'Blocks', inwardName: 'is blocked by', outwardName: 'blocks' },
) => ({
  timestamp: T,
  webhookEvent: event,
  issueLink: {
    id: 30007,
    sourceIssueId: 10001,
    destinationIssueId: 10002,
    issueLinkType: { id: 10000, ...type, isSubTaskLinkType: false, isSystemLinkType: false },
    systemLink: false,
    sequence: 0,
  },
})
const side = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  project: key.replace(/-\d+$/, ''),
  components: [],
  ...extra,
})
const envelope = (payload: unknown, link?: unknown): RawEnvelope => ({
  source: 'jira',
  entity: 'webhook',
  sourceId: 'issuelink:30007',
  fetchedAt: new Date(T + 50).toISOString(),
  meta: { instance: 'https://acme.atlassian.net', deliveryId: 'd-1', ...(link ? { link } : {}) },
  payload,
})
const map = (e: RawEnvelope) => mapJira(e, { config })

describe('issuelink_* deliveries', () => {
  it('a side with a history of the change: the event that history yields on a poll', () => {
    const events = map(
      envelope(body('issuelink_created'), {
        source: side('CORE-1', { history: { id: '20010', created: '2026-07-02T09:00:00.000+0000' } }),
        destination: side('APP-1', { history: { id: '20011', created: '2026-07-02T09:00:00.000+0000' } }),
      }),
    )
    expect(events).toEqual([
      expect.objectContaining({
        id: eventId('jira', 'jira:CORE-1/blocks/APP-1', 'linked:20010'),
        type: 'dependency.linked',
        occurredAt: '2026-07-02T09:00:00.000Z',
        blockerTeam: 'u:cal@x.io',
        blockedTeam: 'u:amy@x.io',
      }),
    ])
  })

  it('no history of the change on either side: keyed by the Jira link id, at the delivery time', () => {
    const events = map(
      envelope(body('issuelink_deleted'), { source: side('CORE-1'), destination: side('APP-1') }),
    )
    expect(events).toEqual([
      expect.objectContaining({
        id: eventId('jira', 'jira:CORE-1/blocks/APP-1', 'resolved:link:30007'),
        type: 'dependency.resolved',
        reason: 'unlinked',
        occurredAt: new Date(T).toISOString(),
      }),
    ])
  })

  it('a link made to a blocker already done is resolved at once', () => {
    const events = map(
      envelope(body('issuelink_created'), {
        source: side('CORE-1', { status: { id: '10005', name: 'Done', categoryKey: 'done' } }),
        destination: side('APP-1'),
      }),
    )
    expect(events.map((e) => e.type)).toEqual(['dependency.linked', 'dependency.resolved'])
  })

  it('a link type that is not blocking maps to nothing', () => {
    const relates = body('issuelink_created', {
      name: 'Relates',
      inwardName: 'relates to',
      outwardName: 'relates to',
    })
    expect(map(envelope(relates))).toEqual([])
  })

  it('without the keys the route adds, the delivery is rejected with the reason', () => {
    expect(() => map(envelope(body('issuelink_created')))).toThrow(RejectedRecord)
    expect(() => map(envelope(body('issuelink_created')))).toThrow(
      /issuelink_created 30007 .*Jira credentials/,
    )
  })
})
