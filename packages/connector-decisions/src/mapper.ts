import { arrivalOf, type Mapper } from '@orgpulse/connector'
import {
  type CanonicalEventInput,
  decisionRecordSchema,
  eventId,
  formatIssues,
  normaliseIdentity,
  type RawEnvelope,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'

/**
 * Decision-log records are full snapshots of one decision: each maps to the lifecycle events it
 * implies. Event ids are per (decision, slot), so an update of the record replaces its events, and
 * the version (updatedAt, else arrival time) decides which update wins.
 */
type DecisionEvent = Extract<CanonicalEventInput, { decisionId: string }>
/** one decision event without the fields every event of the record shares */
type DecisionFields = DecisionEvent extends infer E
  ? E extends unknown
    ? Omit<
        E,
        | 'source'
        | 'sourceId'
        | 'decisionId'
        | 'raisedBy'
        | 'title'
        | 'team'
        | 'expectedDecider'
        | 'version'
        | 'complete'
        | 'arrival'
      >
    : never
  : never

export const mapDecisionRecord: Mapper = (envelope: RawEnvelope) => {
  const parsed = decisionRecordSchema.safeParse(envelope.payload)
  if (!parsed.success)
    throw new RejectedRecord(`invalid decision record: ${formatIssues(parsed.error).join('; ')}`)
  const r = parsed.data
  const log = typeof envelope.meta?.log === 'string' ? envelope.meta.log : ''
  const sourceId = log ? `${log}/${r.id}` : r.id
  const decisionId = `decisions:${sourceId}`
  const version = Date.parse(r.updatedAt ?? envelope.fetchedAt)
  const common = {
    source: 'decisions' as const,
    sourceId,
    decisionId,
    raisedBy: normaliseIdentity(r.raisedBy),
    title: r.title,
    team: r.team ?? '',
    // the record is the whole decision: a version without an expected decider has none
    expectedDecider: r.expectedDecider ? normaliseIdentity(r.expectedDecider) : '',
    version: Number.isNaN(version) ? 0 : version,
    // a record is the whole decision: its steps replace every step of older versions
    complete: true,
    arrival: arrivalOf(envelope),
  }
  const id = (slot: string) => eventId('decisions', sourceId, slot)
  // Object.assign, not `{ ...common, id, type, … }`: V8 (Node 20) takes a slow path for
  // properties added after a spread, several µs an event on the transformer's hottest path
  const event = (fields: DecisionFields): CanonicalEventInput => Object.assign(fields, common)
  const events: CanonicalEventInput[] = [
    event({ id: id('raised'), type: 'decision.raised', occurredAt: r.raisedAt, tags: r.tags ?? [] }),
  ]
  if (r.escalatedTo && r.escalatedTo.length > 0) {
    events.push(
      event({
        id: id('escalated'),
        type: 'decision.escalated',
        occurredAt: r.escalatedAt ?? r.raisedAt,
        escalatedTo: r.escalatedTo.map(normaliseIdentity),
      }),
    )
  }
  const lastChange = r.updatedAt ?? r.decidedAt ?? envelope.fetchedAt
  if (r.decidedBy && r.decidedAt && r.status !== 'proposed' && r.status !== 'withdrawn') {
    // reversed/superseded keep the original call (DESIGN: the original call's time counts)
    events.push(
      event({
        id: id('call'),
        type: r.status === 'rejected' ? 'decision.rejected' : 'decision.decided',
        occurredAt: r.decidedAt,
        actor: normaliseIdentity(r.decidedBy),
      }),
    )
  }
  if (r.status === 'withdrawn') {
    events.push(
      event({
        id: id('withdrawn'),
        type: 'decision.withdrawn',
        // without a date for the withdrawal it is dated to the raising: such a decision never
        // counts as open, instead of looking open until the day it happened to be imported
        occurredAt: r.decidedAt ?? r.updatedAt ?? r.raisedAt,
      }),
    )
  }
  if (r.status === 'reversed') {
    events.push(event({ id: id('closed'), type: 'decision.reversed', occurredAt: lastChange }))
  }
  if (r.status === 'superseded') {
    const by = r.links?.find((l) => /supersed/i.test(l))
    events.push(
      event({
        id: id('closed'),
        type: 'decision.superseded',
        occurredAt: lastChange,
        ...(by ? { supersededBy: by } : {}),
      }),
    )
  }
  return events
}
