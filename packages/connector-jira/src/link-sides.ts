import { jiraTimeMs } from '@orgpulse/contracts'
import { z } from 'zod'
import type { JiraClient, JiraIssue } from './client.ts'
import { JiraNotFoundError } from './errors.ts'

/**
 * What an `issuelink_created` / `issuelink_deleted` delivery lacks, read back from Jira.
 *
 * The delivery names the two issues by numeric id only (`issueLink.sourceIssueId`,
 * `destinationIssueId`, `issueLinkType.{name, inwardName, outwardName}`, `id`:
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/#issue-link-events), while a link
 * is known downstream by its issues' keys. Each issue is read with its changelog, and the history
 * that records this change on it (a `Link` item, "This issue blocks K" on the source, "This issue
 * is blocked by K" on the destination) is looked up, so the mapper can key the dependency events
 * exactly as a poll or a `jira:issue_updated` of that history keys them: one link, one set of
 * event ids, whichever path reported it (DESIGN "A blocking link"). A site that records no such
 * history (Jira Server/DC documents linking without issue-updated; what Cloud records is not
 * documented) leaves `history` unset, and the mapper keys the change by the Jira link id.
 */

export interface LinkSide {
  key: string
  project: string
  components: string[]
  /** the history recording this change on this issue, when the issue has one */
  history?: { id: string; created: string }
  /** the issue's status right after the change (omitted when it changed status since, or is unread) */
  status?: { id: string; name: string; categoryKey?: string }
}

export interface LinkSides {
  source: LinkSide
  destination: LinkSide
}

/** the fields a link side needs; the changelog comes with them */
export const LINK_SIDE_FIELDS = ['project', 'components', 'status']

const idLike = z.union([z.string(), z.number()]).transform(String)
const linkSchema = z.looseObject({
  id: idLike,
  sourceIssueId: idLike,
  destinationIssueId: idLike,
  issueLinkType: z.looseObject({
    name: z.string(),
    inwardName: z.string().optional(),
    outwardName: z.string().optional(),
  }),
})

const fieldsSchema = z.looseObject({
  project: z.looseObject({ key: z.string() }).nullish(),
  components: z.array(z.looseObject({ name: z.string() })).nullish(),
  status: z
    .looseObject({
      id: idLike,
      name: z.string(),
      statusCategory: z.looseObject({ key: z.string() }).optional(),
    })
    .nullish(),
})

/** how far a side's history may be from the delivery's `timestamp` and still be this change */
const MATCH_WINDOW_MS = 5 * 60_000
const LINK_TEXT = /^This issue (.+) ([A-Z][A-Z0-9_]*-\d+)$/i
const projectOfKey = (key: string): string => key.replace(/-\d+$/, '')

async function read(client: JiraClient, id: string): Promise<JiraIssue | null> {
  try {
    return await client.issue(id, LINK_SIDE_FIELDS)
  } catch (err) {
    // deleted since (Jira fires issuelink_deleted for the links of a deleted issue) or not visible
    if (err instanceof JiraNotFoundError) return null
    throw err
  }
}

interface Change {
  id: string
  created: string
  ms: number
  otherKey: string
}

/** this issue's history recording the link to/from `otherKey` (any key when unknown) near `at` */
function findChange(
  issue: JiraIssue,
  phrase: string | undefined,
  otherKey: string | undefined,
  added: boolean,
  at: number,
): Change | undefined {
  let best: Change | undefined
  for (const h of issue.changelog?.histories ?? []) {
    const ms = jiraTimeMs(h.created)
    if (Number.isNaN(ms) || Math.abs(ms - at) > MATCH_WINDOW_MS) continue
    const items = (h as { items?: unknown }).items
    if (!Array.isArray(items)) continue
    for (const raw of items as Record<string, unknown>[]) {
      const field = String(raw.fieldId ?? raw.field ?? '').toLowerCase()
      if (field !== 'link') continue
      const text = raw[added ? 'toString' : 'fromString']
      const key = raw[added ? 'to' : 'from']
      if (typeof text !== 'string' || !Object.hasOwn(raw, added ? 'toString' : 'fromString')) continue
      const m = LINK_TEXT.exec(text.trim())
      if (!m || (phrase !== undefined && m[1]!.toLowerCase() !== phrase.toLowerCase())) continue
      const other = typeof key === 'string' ? key : m[2]!
      if (otherKey !== undefined && other !== otherKey) continue
      if (!best || Math.abs(ms - at) < Math.abs(best.ms - at))
        best = { id: h.id, created: h.created, ms, otherKey: other }
    }
  }
  return best
}

function sideOf(issue: JiraIssue | null, key: string, change: Change | undefined, at: number): LinkSide {
  if (!issue) return { key, project: projectOfKey(key), components: [] }
  const f = fieldsSchema.safeParse(issue.fields)
  const fields = f.success ? f.data : {}
  const since = change?.ms ?? at
  const statusChangedSince = (issue.changelog?.histories ?? []).some((h) => {
    const items = (h as { items?: unknown }).items
    return (
      jiraTimeMs(h.created) > since &&
      Array.isArray(items) &&
      (items as Record<string, unknown>[]).some((it) => (it.fieldId ?? it.field) === 'status')
    )
  })
  const status = fields.status
  return {
    key: issue.key,
    project: fields.project?.key ?? projectOfKey(issue.key),
    components: (fields.components ?? []).map((c) => c.name),
    ...(change ? { history: { id: change.id, created: change.created } } : {}),
    ...(status && !statusChangedSince
      ? {
          status: {
            id: status.id,
            name: status.name,
            ...(status.statusCategory ? { categoryKey: status.statusCategory.key } : {}),
          },
        }
      : {}),
  }
}

/**
 * Both sides of the link a delivery names, or null when neither issue's key can be learnt (both
 * gone, or the body is not an issue link). One issue gone: its key comes from the other's history.
 */
export async function linkSidesOf(
  client: JiraClient,
  body: Record<string, unknown>,
): Promise<LinkSides | null> {
  const parsed = linkSchema.safeParse(body.issueLink)
  if (!parsed.success) return null
  const link = parsed.data
  const added = body.webhookEvent === 'issuelink_created'
  const at = typeof body.timestamp === 'number' ? body.timestamp : Date.now()
  const [src, dst] = await Promise.all([
    read(client, link.sourceIssueId),
    read(client, link.destinationIssueId),
  ])
  const type = link.issueLinkType
  const srcChange = src ? findChange(src, type.outwardName, dst?.key, added, at) : undefined
  const dstChange = dst ? findChange(dst, type.inwardName, src?.key, added, at) : undefined
  const srcKey = src?.key ?? dstChange?.otherKey
  const dstKey = dst?.key ?? srcChange?.otherKey
  if (!srcKey || !dstKey) return null
  return { source: sideOf(src, srcKey, srcChange, at), destination: sideOf(dst, dstKey, dstChange, at) }
}
