import { jiraTimeMs, type RawEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import type { JiraClient, JiraIssue, JiraSprint } from './client.ts'
import { statusCategoriesOf } from './envelopes.ts'

export interface SprintSyncResult {
  boards: number
  /** started sprints seen on the boards */
  sprints: number
  /** sprints whose snapshot was (re)published this run */
  published: number
}

/**
 * The project's scrum boards, their active and closed sprints, and for each sprint still worth a
 * snapshot (all on a full sync; active ones and those closed since `sinceMs` otherwise) one
 * `sprint` envelope with the sprint and its issues' complete changelogs. A sprint shown on several
 * boards is published once.
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
}): Promise<SprintSyncResult> {
  const { client, project } = options
  const boards = await client.boards(project)
  const sprints = new Map<number, JiraSprint>()
  for (const board of boards) for (const s of await client.sprints(board.id)) sprints.set(s.id, s)
  const result: SprintSyncResult = { boards: boards.length, sprints: sprints.size, published: 0 }
  for (const sprint of sprints.values()) {
    if (!sprint.startDate) continue
    const completed = sprint.completeDate ? jiraTimeMs(sprint.completeDate) : Number.NaN
    if (options.sinceMs !== null && sprint.state === 'closed' && !(completed >= options.sinceMs)) continue
    const issues = await client.sprintIssues(sprint.id)
    await client.completeChangelogs(issues, options.changelog)
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
