import type { RawEnvelope } from '@orgpulse/contracts'
import type { JiraIssue } from './client.ts'

/**
 * Raw envelopes. Issues travel as Jira returned them, with `changelog` completed (the shape of
 * `expand=changelog`, all histories); meta carries the categories of the statuses the issue's
 * history mentions, which the changelog itself does not include.
 */
export function issueEnvelope(
  issue: JiraIssue,
  context: { instance: string; project: string; statusCategories: Map<string, string>; fetchedAt?: string },
): RawEnvelope {
  const categories = statusCategoriesOf([issue], context.statusCategories)
  return {
    source: 'jira',
    entity: 'issue',
    sourceId: issue.key,
    fetchedAt: context.fetchedAt ?? new Date().toISOString(),
    meta: { instance: context.instance, project: context.project, statusCategories: categories },
    payload: issue,
  }
}

/** status id → category key for every status the issues are in or their histories mention */
export function statusCategoriesOf(issues: JiraIssue[], known: Map<string, string>): Record<string, string> {
  const ids = new Set<string>()
  for (const issue of issues) {
    const status = (issue.fields as { status?: { id?: unknown } }).status
    if (status && (typeof status.id === 'string' || typeof status.id === 'number')) ids.add(String(status.id))
    for (const h of issue.changelog?.histories ?? []) {
      const items = (h as { items?: unknown }).items
      if (!Array.isArray(items)) continue
      for (const it of items as Record<string, unknown>[]) {
        if (it.fieldId !== 'status' && it.field !== 'status') continue
        for (const k of ['from', 'to'] as const) if (typeof it[k] === 'string') ids.add(it[k] as string)
      }
    }
  }
  const categories: Record<string, string> = {}
  for (const id of ids) {
    const c = known.get(id)
    if (c) categories[id] = c
  }
  return categories
}

/** Webhook bodies travel unchanged; keyed by issue key so they share a partition with the polls. */
export function webhookEnvelope(
  body: Record<string, unknown>,
  context: { instance: string; deliveryId: string; fetchedAt?: string },
): RawEnvelope {
  const issue = body.issue as { key?: unknown } | undefined
  const link = body.issueLink as { id?: unknown } | undefined
  const sourceId =
    typeof issue?.key === 'string'
      ? issue.key
      : link?.id !== undefined
        ? `issuelink:${String(link.id)}`
        : `delivery:${context.deliveryId}`
  return {
    source: 'jira',
    entity: 'webhook',
    sourceId,
    fetchedAt: context.fetchedAt ?? new Date().toISOString(),
    meta: { instance: context.instance, deliveryId: context.deliveryId },
    payload: body,
  }
}
