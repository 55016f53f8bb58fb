import { type CanonicalEventInput, eventId, formatIssues, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { z } from 'zod'
import { parseJiraTime } from './time.ts'

/**
 * A deletion found by polling (connector reconcile.ts): the issue is gone from Jira, so the
 * envelope carries what orgpulse's facts knew about it. It maps to what a `jira:issue_deleted`
 * webhook maps to: the item cancelled, its open decision withdrawn, its blocking links resolved
 * as unlinked. Link events keep the webhook path's ids, so the two ways of seeing one deletion are
 * one resolution. The time is when the pull noticed: Jira keeps no record of when it happened.
 */

const payloadSchema = z.looseObject({
  key: z.string().min(1),
  detectedAt: z.string(),
  decision: z
    .looseObject({
      decisionId: z.string().min(1),
      raisedBy: z.string(),
      title: z.string(),
      team: z.string(),
      // absent in deletions published before expected deciders were recorded
      expectedDecider: z.string().default(''),
    })
    .nullable(),
  links: z.array(
    z.looseObject({
      linkId: z.string().min(1),
      blockerItem: z.string().min(1),
      blockedItem: z.string().min(1),
      blockerTeam: z.string(),
      blockedTeam: z.string(),
    }),
  ),
})

export function mapDeletion(envelope: RawEnvelope): CanonicalEventInput[] {
  const parsed = payloadSchema.safeParse(envelope.payload)
  if (!parsed.success)
    throw new RejectedRecord(`invalid Jira deletion payload: ${formatIssues(parsed.error).join('; ')}`)
  const { key, decision, links } = parsed.data
  const ms = parseJiraTime(parsed.data.detectedAt, 'deletion detectedAt')
  const occurredAt = new Date(ms).toISOString()
  const item = `jira:${key}`
  const entity = `deleted:${key}`
  const team =
    decision?.team ??
    links.find((l) => l.blockerItem === item)?.blockerTeam ??
    links.find((l) => l.blockedItem === item)?.blockedTeam ??
    ''
  const events: CanonicalEventInput[] = [
    {
      id: eventId('jira', entity, 'status:deleted'),
      type: 'workitem.status_changed',
      source: 'jira',
      sourceId: key,
      occurredAt,
      version: ms,
      itemId: item,
      team,
      fromStatus: '',
      toStatus: 'Deleted',
      category: 'cancelled',
    },
  ]
  if (decision)
    events.push({
      id: eventId('jira', entity, 'decision.withdrawn:deleted'),
      type: 'decision.withdrawn',
      source: 'jira',
      sourceId: key,
      occurredAt,
      version: ms,
      complete: false,
      arrival: ms,
      decisionId: decision.decisionId,
      raisedBy: decision.raisedBy,
      title: decision.title,
      team: decision.team,
      expectedDecider: decision.expectedDecider,
    })
  for (const l of links)
    events.push({
      // the slots of mapper/issue.ts's deletionEvents: `deleted` from the blocker, `in:deleted` from the blocked item
      id: eventId('jira', l.linkId, l.blockerItem === item ? 'resolved:deleted' : 'resolved:in:deleted'),
      type: 'dependency.resolved',
      source: 'jira',
      sourceId: key,
      occurredAt,
      version: ms,
      linkId: l.linkId,
      blockerItem: l.blockerItem,
      blockedItem: l.blockedItem,
      blockerTeam: l.blockerTeam,
      blockedTeam: l.blockedTeam,
      reason: 'unlinked',
    })
  return events
}
