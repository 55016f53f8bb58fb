import { jiraTimeMs, type RawEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import type { JiraClient, JiraIssue, JiraSprint } from './client.ts'
import { statusCategoriesOf } from './envelopes.ts'
import { buildSyncJql } from './jql.ts'

export interface SprintSyncResult {
  boards: number
  /** started sprints seen on the boards */
  sprints: number
  /** sprints whose snapshot was (re)published this run */
  published: number
  /** issues moved out of a snapshotted sprint, found by the project search (absent when none) */
  removed?: number
}

/**
 * The project's scrum boards, their active and closed sprints, and for each sprint still worth a
 * snapshot (all on a full sync; active ones and those closed since `sinceMs` otherwise) one
 * `sprint` envelope with the sprint and its issues' complete changelogs. A sprint shown on several
 * boards is published once.
 *
 * The Agile API lists only the issues a sprint holds now: one moved out before the end (to the
 * backlog or another sprint) is gone from it, yet it was committed (or added) scope. So the
 * project is searched once per run for issues updated since the earliest start among the sprints
 * being snapshotted (a removal updates the issue, so every issue removed after a start is in that
 * window), and an issue whose changelog has a Sprint item taking a sprint away joins that sprint's
 * issues. The cost: one search of the issues updated in that window (on an incremental run, since
 * the running sprint began; on a full one, since the oldest sprint began, about what the issue
 * sync itself reads) plus their long changelogs.
 */
export async function syncSprints(options: {
  client: JiraClient
  bus: Bus
  project: string
  instance: string
  statusCategories: Map<string, string>
  changelog: 'bulk' | 'per-issue'
  /** null: full sync */
  sinceMs: number | null
  fetchedAt: string
  /** the searching user's time zone (JQL dates); default UTC */
  timeZone?: string
}): Promise<SprintSyncResult> {
  const { client, project } = options
  const boards = await client.boards(project)
  const sprints = new Map<number, JiraSprint>()
  for (const board of boards) for (const s of await client.sprints(board.id)) sprints.set(s.id, s)
  const result: SprintSyncResult = { boards: boards.length, sprints: sprints.size, published: 0 }
  const due = [...sprints.values()].filter((sprint) => {
    if (!sprint.startDate) return false
    const completed = sprint.completeDate ? jiraTimeMs(sprint.completeDate) : Number.NaN
    return !(options.sinceMs !== null && sprint.state === 'closed' && !(completed >= options.sinceMs))
  })
  const leavers =
    due.length > 0 ? await sprintLeavers(options, Math.min(...due.map((s) => jiraTimeMs(s.startDate!)))) : []
  for (const sprint of due) {
    const current = await client.sprintIssues(sprint.id)
    await client.completeChangelogs(current, options.changelog)
    const keys = new Set(current.map((i) => i.key))
    const removed = leavers.filter((i) => !keys.has(i.key) && leftSprint(i, sprint.id))
    if (removed.length > 0) result.removed = (result.removed ?? 0) + removed.length
    const issues = [...current, ...removed]
    const categories = statusCategoriesOf(issues, options.statusCategories)
    const envelope: RawEnvelope = {
      source: 'jira',
      entity: 'sprint',
      sourceId: `sprint:${sprint.id}`,
      fetchedAt: options.fetchedAt,
      meta: { instance: options.instance, project, statusCategories: categories },
      payload: { sprint, issues: issues.map(sprintView) },
    }
    await publishRaw(options.bus, [envelope])
    result.published++
  }
  return result
}

const sprintIdsOf = (v: unknown): string[] =>
  String(v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const isSprintItem = (it: Record<string, unknown>): boolean =>
  String(it.field ?? '').toLowerCase() === 'sprint' || String(it.fieldId ?? '').toLowerCase() === 'sprint'
const itemsOf = (h: unknown): Record<string, unknown>[] =>
  ((h as { items?: unknown }).items as Record<string, unknown>[] | undefined) ?? []

/** whether a Sprint change ever took this sprint away from the issue */
function leftSprint(issue: JiraIssue, sprintId: number): boolean {
  const id = String(sprintId)
  return (issue.changelog?.histories ?? []).some((h) =>
    itemsOf(h).some(
      (it) => isSprintItem(it) && sprintIdsOf(it.from).includes(id) && !sprintIdsOf(it.to).includes(id),
    ),
  )
}

/** the project's issues updated since `sinceMs` that some Sprint change took out of a sprint */
async function sprintLeavers(
  options: { client: JiraClient; project: string; changelog: 'bulk' | 'per-issue'; timeZone?: string },
  sinceMs: number,
): Promise<JiraIssue[]> {
  const { client, project } = options
  const jql = buildSyncJql(project, { sinceMs, timeZone: options.timeZone ?? 'UTC' })
  const what = `searching Jira project ${project} for issues moved out of sprints`
  const out: JiraIssue[] = []
  for await (const page of client.searchPages(jql, { pageSize: 100, what })) {
    await client.completeChangelogs(page.issues, options.changelog)
    for (const issue of page.issues)
      if ((issue.changelog?.histories ?? []).some((h) => itemsOf(h).some(isSprintItem))) out.push(issue)
  }
  return out
}

/**
 * An issue cut down to what a sprint snapshot reads: its creation, status and the Sprint and
 * status items of its histories, so a large sprint stays well under Kafka's message size limit.
 */
function sprintView(issue: JiraIssue): JiraIssue {
  const relevant = (it: Record<string, unknown>) =>
    it.fieldId === 'status' || it.field === 'status' || String(it.field ?? '').toLowerCase() === 'sprint'
  const histories = (issue.changelog?.histories ?? []).flatMap((h) => {
    const items = ((h as { items?: unknown }).items as Record<string, unknown>[] | undefined) ?? []
    const kept = items.filter(relevant)
    return kept.length > 0 ? [{ id: h.id, created: h.created, items: kept }] : []
  })
  return {
    id: issue.id,
    key: issue.key,
    fields: issue.fields,
    changelog: { total: histories.length, histories },
  }
}
