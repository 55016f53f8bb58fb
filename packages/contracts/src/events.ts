import { z } from 'zod'
import { checkStorable } from './storable.ts'
import { storedInstant } from './time.ts'
import { SOURCES } from './topics.ts'

/**
 * Canonical events: what the transformer emits to `orgpulse.events.v1` and the sink stores.
 *
 * People appear as *identities*: an email (lower-cased) when the source shows one, otherwise
 * `<source>:<id>` (e.g. `jira:5b10a2844c20165700ede21g`). Identities are resolved to people at
 * query time through `identity_map`, so importing the org after the events still attributes them.
 *
 * Teams appear as org unit ids (`u:<manager email>`) when the source scope maps to one, else ''.
 */
export const identity = z.string().min(1)

const base = {
  /** deterministic: eventId(source, entity id, change id) */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  source: z.enum(SOURCES),
  /** the source entity this event came from (decision id, issue key, event id, ...) */
  sourceId: z.string().min(1),
  occurredAt: storedInstant,
  /** newer versions of the same id replace older ones (ms since epoch) */
  version: z.number().int().nonnegative(),
}

const decisionBase = {
  ...base,
  /** namespaced decision id: `<source>:<id>` */
  decisionId: z.string().min(1),
  /** the person who raised it; carried on every lifecycle event so each stands alone */
  raisedBy: identity,
  title: z.string().default(''),
  team: z.string().default(''),
  /**
   * the item's tracker project (Jira project key, Linear project id; '' when none or not a
   * tracker item) and epic (Jira: the parent or the configured epic-link field; '' when none):
   * stored raw, mapped to the portfolio's buckets at query time (config `portfolio:`)
   */
  project: z.string().default(''),
  epic: z.string().default(''),
  /**
   * who is expected to make the call, as of this version ('' for nobody): carried on every step
   * like the title, so the newest version's value is the decision's, and a version without one
   * clears it
   */
  expectedDecider: z.union([identity, z.literal('')]).default(''),
  /**
   * One step of a *complete* version of the decision (a decision-log record, a Jira or Linear
   * item read whole with its history, or a change that ends its being a decision): the newest
   * complete version replaces the decision as a whole, so a step only older versions had stops
   * counting (DESIGN "Decision semantics"). Webhook deltas are not complete: they add to the
   * newest complete version and count only when newer than it.
   */
  complete: z.boolean().default(false),
  /**
   * when this version reached orgpulse (ms; its raw envelope's fetchedAt): of two complete
   * versions with the same `version` (a MADR date has day precision) the later arrival wins
   */
  arrival: z.number().int().nonnegative().default(0),
}

export const decisionRaised = z.object({
  ...decisionBase,
  type: z.literal('decision.raised'),
  tags: z.array(z.string()).default([]),
})
export const decisionEscalated = z.object({
  ...decisionBase,
  type: z.literal('decision.escalated'),
  /** who it was escalated to */
  escalatedTo: z.array(identity).min(1),
  actor: identity.optional(),
})
const decisionCall = { ...decisionBase, actor: identity }
export const decisionDecided = z.object({ ...decisionCall, type: z.literal('decision.decided') })
export const decisionRejected = z.object({ ...decisionCall, type: z.literal('decision.rejected') })
export const decisionWithdrawn = z.object({
  ...decisionBase,
  type: z.literal('decision.withdrawn'),
  actor: identity.optional(),
})
export const decisionReversed = z.object({
  ...decisionBase,
  type: z.literal('decision.reversed'),
  actor: identity.optional(),
})
export const decisionSuperseded = z.object({
  ...decisionBase,
  type: z.literal('decision.superseded'),
  actor: identity.optional(),
  supersededBy: z.string().optional(),
})

/**
 * A complete version in which the item is no longer a decision (its decision label or type was
 * removed): it carries no step, and as the newest complete version it retires every older step.
 */
export const decisionDropped = z.object({ ...decisionBase, type: z.literal('decision.dropped') })

export const workItemStatusChanged = z.object({
  ...base,
  type: z.literal('workitem.status_changed'),
  itemId: z.string().min(1),
  team: z.string().default(''),
  /**
   * the item's tracker project (Jira project key, Linear project id; '' when none or not a
   * tracker item) and epic (Jira: the parent or the configured epic-link field; '' when none):
   * stored raw, mapped to the portfolio's buckets at query time (config `portfolio:`)
   */
  project: z.string().default(''),
  epic: z.string().default(''),
  fromStatus: z.string().default(''),
  toStatus: z.string(),
  /** todo | in_progress | done | cancelled, from the source's status category */
  category: z.enum(['todo', 'in_progress', 'done', 'cancelled']),
  actor: identity.optional(),
})

const dependencyBase = {
  ...base,
  /** `<source>:<link id>`; one blocking relation between two work items */
  linkId: z.string().min(1),
  blockerItem: z.string().min(1),
  blockedItem: z.string().min(1),
  blockerTeam: z.string().default(''),
  blockedTeam: z.string().default(''),
  /** the BLOCKED item's project and epic (the bet whose work waits); '' when that side did not say */
  project: z.string().default(''),
  epic: z.string().default(''),
}
export const dependencyLinked = z.object({ ...dependencyBase, type: z.literal('dependency.linked') })
export const dependencyResolved = z.object({
  ...dependencyBase,
  type: z.literal('dependency.resolved'),
  /** link removed, blocker done, or blocked item closed */
  reason: z.enum(['unlinked', 'blocker_done', 'blocked_closed']),
})

export const MEETING_CLASSES = [
  'one_on_one',
  'team',
  'cross_team',
  'escalation',
  'decision_review',
  'ritual',
  'other',
  /** an absence (Google's outOfOffice events, or a classification rule): busy time, not a meeting */
  'out_of_office',
] as const
export const RESPONSES = ['accepted', 'tentative', 'declined', 'needsAction'] as const

/** One occurrence of a meeting. Titles and descriptions never appear here (privacy at the edge). */
export const meetingHeld = z.object({
  ...base,
  type: z.literal('meeting.held'),
  /** stable per occurrence: iCalUID + original start, the same on every attendee's calendar */
  meetingId: z.string().min(1),
  start: storedInstant,
  end: storedInstant,
  allDay: z.boolean().default(false),
  cancelled: z.boolean().default(false),
  class: z.enum(MEETING_CLASSES),
  /** ritual name when class is ritual */
  ritual: z.string().default(''),
  organizer: identity,
  attendees: z.array(z.object({ person: identity, response: z.enum(RESPONSES) })).default([]),
  /** the column is UInt32, which wraps a larger count silently */
  externalAttendees: z.number().int().nonnegative().max(0xffff_ffff).default(0),
})

/** The state of a cycle/sprint, as of `occurredAt`; the latest snapshot per cycle wins. */
export const cycleSnapshot = z.object({
  ...base,
  type: z.literal('cycle.snapshot'),
  cycleId: z.string().min(1),
  team: z.string().default(''),
  name: z.string().default(''),
  startsAt: storedInstant,
  endsAt: storedInstant,
  /** scope committed at cycle start (points, or issue count when unestimated) */
  committedScope: z.number().nonnegative(),
  /** scope completed by the end (or so far) */
  completedScope: z.number().nonnegative(),
  /** scope added after the cycle started */
  addedScope: z.number().nonnegative(),
})

/**
 * A durable record of what a connector read completely, and over which time range: the
 * coverage that tells "no data" from "zero". It travels the pipeline like any fact, behind the
 * records of the sync it closes, so once it is stored the data it covers is stored too.
 *
 * - a person's calendar (`scopeKind` calendar, `scope` the owner's email): a Google full sync
 *   (`mode` full, `[coveredFrom, coveredTo)` its timeMin/timeMax), each incremental sync (`mode`
 *   incremental, both bounds the sync's time: it carries the preceding full sync's range up to
 *   then), an ICS import (`mode` range, its --from/--to);
 * - a Jira project (`project`, its key) or a Linear team (`team`, its key) at the time of a sync
 *   (`coveredTo`; trackers are read whole, so `coveredFrom` is null); `teams` are the org team
 *   references the configuration maps the project or team to.
 */
export const sourceSynced = z.object({
  ...base,
  type: z.literal('source.synced'),
  scopeKind: z.enum(['calendar', 'project', 'team']),
  scope: z.string().min(1),
  mode: z.enum(['full', 'incremental', 'range']),
  coveredFrom: z.iso.datetime().nullable(),
  coveredTo: z.iso.datetime(),
  teams: z.array(z.string().min(1)).default([]),
})

/** every text value storable too (see storable.ts): a refused event is dead-lettered, not retried */
export const canonicalEventSchema = z
  .discriminatedUnion('type', [
    decisionRaised,
    decisionEscalated,
    decisionDecided,
    decisionRejected,
    decisionWithdrawn,
    decisionReversed,
    decisionSuperseded,
    decisionDropped,
    workItemStatusChanged,
    dependencyLinked,
    dependencyResolved,
    meetingHeld,
    cycleSnapshot,
    sourceSynced,
  ])
  .superRefine((e, ctx) => checkStorable(e, ctx))
export type CanonicalEvent = z.infer<typeof canonicalEventSchema>
export type CanonicalEventInput = z.input<typeof canonicalEventSchema>
export type EventType = CanonicalEvent['type']
export type EventOf<T extends EventType> = Extract<CanonicalEvent, { type: T }>

export const DECISION_EVENT_TYPES = [
  'decision.raised',
  'decision.escalated',
  'decision.decided',
  'decision.rejected',
  'decision.withdrawn',
  'decision.reversed',
  'decision.superseded',
  'decision.dropped',
] as const satisfies readonly EventType[]
export type DecisionEvent = EventOf<(typeof DECISION_EVENT_TYPES)[number]>
export const isDecisionEvent = (e: CanonicalEvent): e is DecisionEvent =>
  (DECISION_EVENT_TYPES as readonly string[]).includes(e.type)

/** Identities are compared lower-cased: emails are case-insensitive in practice. */
export const normaliseIdentity = (raw: string): string => {
  const v = raw.trim()
  // source-namespaced ids (jira:…, linear:…) are opaque and case-sensitive; emails are not
  return /^[a-z]+:/.test(v) && !v.includes('@') ? v : v.toLowerCase()
}
