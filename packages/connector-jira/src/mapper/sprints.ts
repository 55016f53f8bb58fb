import { type CanonicalEventInput, eventId, formatIssues, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { z } from 'zod'
import { parseJiraTime } from './time.ts'

/**
 * Jira sprints → cycle snapshots.
 *
 * The connector sends one `sprint` envelope per started sprint: the sprint as the Agile API
 * returned it (`/rest/agile/1.0/board/{id}/sprint`), and the issues of the sprint
 * (`/rest/agile/1.0/sprint/{id}/issue`) with their complete changelogs. Scope is counted in
 * issues. Membership is replayed from the changelog's `Sprint` items (comma-separated sprint ids
 * in `from`/`to`); an issue with no such item has been in the sprint since it was created:
 * - committed: in the sprint at its start;
 * - added: joined after the start (moved in, or created in it), before the end;
 * - completed: in the sprint at its end (or now, while it runs) with a done status at that time.
 * An issue moved out before the end (the Agile API no longer lists it; the connector finds it by
 * its Sprint change and adds it) counts as DESIGN's planning metrics say: committed scope when it
 * was in at the start (or added scope when it joined later), never completed, since it is not in
 * the sprint at the end. cycle_completion_rate = completed / committed thus shows what the removal
 * cost the plan, instead of the sprint looking as if it had never been promised.
 */

const idLike = z.union([z.string(), z.number()]).transform(String)
const sprintSchema = z.looseObject({
  id: idLike,
  name: z.string().nullish(),
  state: z.string(),
  startDate: z.string().nullish(),
  endDate: z.string().nullish(),
  completeDate: z.string().nullish(),
})
const itemSchema = z.looseObject({
  field: z.string().nullish(),
  fieldId: z.string().nullish(),
  from: z.string().nullish(),
  fromString: z.string().nullish(),
  to: z.string().nullish(),
  toString: z.string().nullish(),
})
const sprintIssueSchema = z.looseObject({
  key: z.string(),
  fields: z.looseObject({
    created: z.string(),
    status: z.looseObject({
      id: idLike,
      name: z.string(),
      statusCategory: z.looseObject({ key: z.string() }).nullish(),
    }),
  }),
  changelog: z
    .looseObject({
      histories: z.array(z.looseObject({ created: z.string(), items: z.array(itemSchema) })),
    })
    .nullish(),
})
const payloadSchema = z.looseObject({
  sprint: sprintSchema,
  issues: z.array(sprintIssueSchema),
})

export interface SprintRules {
  /** the team a sprint of this project belongs to ('' when unmapped) */
  teamOf(project: string): string
  /** whether a status counts as done (config overrides first, then Jira's category key) */
  isDone(statusId: string, statusName: string, categoryKey: string | undefined): boolean
}

const sprintIds = (v: string | null | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const isSprintItem = (i: z.infer<typeof itemSchema>): boolean =>
  i.field?.toLowerCase() === 'sprint' || i.fieldId?.toLowerCase() === 'sprint'
const isStatusItem = (i: z.infer<typeof itemSchema>): boolean =>
  i.fieldId === 'status' || i.field === 'status'

interface Change<T> {
  ms: number
  from: T
  to: T
}

/** the value at `ms`: the last change at or before it, else the first change's `from`, else `current` */
function valueAt<T>(changes: Change<T>[], ms: number, current: T): T {
  let value = changes.length > 0 ? changes[0]!.from : current
  for (const c of changes) if (c.ms <= ms) value = c.to
  return value
}

export function mapSprint(envelope: RawEnvelope, rules: SprintRules): CanonicalEventInput[] {
  const parsed = payloadSchema.safeParse(envelope.payload)
  if (!parsed.success)
    throw new RejectedRecord(`invalid Jira sprint payload: ${formatIssues(parsed.error).join('; ')}`)
  const { sprint, issues } = parsed.data
  // a future sprint has no start: nothing was committed yet
  if (!sprint.startDate || sprint.state === 'future') return []
  const fetchedMs = parseJiraTime(envelope.fetchedAt, 'fetchedAt')
  const startMs = parseJiraTime(sprint.startDate, 'sprint start')
  const endMs = sprint.completeDate
    ? parseJiraTime(sprint.completeDate, 'sprint completion')
    : sprint.endDate
      ? parseJiraTime(sprint.endDate, 'sprint end')
      : fetchedMs
  // a running sprint is measured as of now
  const asOf = sprint.state === 'closed' ? endMs : Math.min(endMs, fetchedMs)
  const project = typeof envelope.meta?.project === 'string' ? envelope.meta.project : ''
  const categories = (envelope.meta?.statusCategories ?? {}) as Record<string, unknown>

  let committed = 0
  let added = 0
  let completed = 0
  for (const issue of issues) {
    const createdMs = parseJiraTime(issue.fields.created, `${issue.key} created`)
    const member: Change<boolean>[] = []
    const status: Change<{ id: string; name: string }>[] = []
    const histories = [...(issue.changelog?.histories ?? [])]
      .map((h) => ({ ms: parseJiraTime(h.created, `${issue.key} history`), items: h.items }))
      .sort((a, b) => a.ms - b.ms)
    for (const h of histories) {
      for (const item of h.items) {
        if (isSprintItem(item))
          member.push({
            ms: h.ms,
            from: sprintIds(item.from).includes(sprint.id),
            to: sprintIds(item.to).includes(sprint.id),
          })
        else if (isStatusItem(item) && item.from && item.to)
          status.push({
            ms: h.ms,
            from: { id: item.from, name: item.fromString ?? '' },
            to: { id: item.to, name: item.toString ?? '' },
          })
      }
    }
    // no Sprint change recorded: the Agile API returned it, so it has been in the sprint all along
    const inAt = (ms: number): boolean => ms >= createdMs && valueAt(member, ms, true)
    const atStart = inAt(startMs)
    // membership from creation until the first recorded change
    const initially = member.length > 0 ? member[0]!.from : true
    const joinedLater =
      !atStart &&
      ((initially && createdMs > startMs && createdMs <= asOf) ||
        member.some((c) => c.to && !c.from && c.ms > startMs && c.ms <= asOf))
    if (atStart) committed++
    else if (joinedLater) added++
    else continue
    if (!inAt(asOf)) continue
    const current = { id: issue.fields.status.id, name: issue.fields.status.name }
    const s = valueAt(status, asOf, current)
    const key =
      s.id === current.id
        ? issue.fields.status.statusCategory?.key
        : typeof categories[s.id] === 'string'
          ? (categories[s.id] as string)
          : undefined
    if (rules.isDone(s.id, s.name, key)) completed++
  }

  const sourceId = `sprint:${sprint.id}`
  return [
    {
      id: eventId('jira', sourceId, 'snapshot'),
      type: 'cycle.snapshot',
      source: 'jira',
      sourceId,
      cycleId: `jira:${sprint.id}`,
      team: rules.teamOf(project),
      name: sprint.name ?? `Sprint ${sprint.id}`,
      startsAt: new Date(startMs).toISOString(),
      endsAt: new Date(endMs).toISOString(),
      committedScope: committed,
      completedScope: completed,
      addedScope: added,
      occurredAt: new Date(Math.min(asOf, fetchedMs)).toISOString(),
      // the newest observation of a sprint wins
      version: fetchedMs,
    },
  ]
}
