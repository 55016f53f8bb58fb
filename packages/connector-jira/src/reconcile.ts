import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { RawEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import { z } from 'zod'
import type { JiraClient } from './client.ts'
import { JiraError, JiraNotFoundError } from './errors.ts'

/**
 * Deletions seen by polling. The incremental JQL never returns an issue that no longer exists,
 * so an issue deleted while no webhook reached orgpulse would stay an open decision or an open
 * blocker for good. Each pull asks Jira, for the project's issues that still stand behind an open
 * decision or an open blocking link (what orgpulse's own facts say), whether they still exist:
 * - the candidates come from the fact tables, never from Jira: the cost follows the open items,
 *   not the size of the project;
 * - Cloud: `POST /rest/api/3/issue/bulkfetch`, 100 keys a request, which leaves out issues that
 *   do not exist; Data Center: `key in (...)` searches of 100 keys with `validateQuery: warn`
 *   (strict validation would refuse the whole query over one deleted key);
 * - a key missing from a batch is confirmed with `GET /issue/{key}` before anything is published,
 *   since Jira answers a moved issue's old key with the issue under its new key: only a 404 is a
 *   deletion (an issue the credential can no longer see reads as one too).
 * Each deleted issue becomes one `deletion` envelope carrying what the facts knew about it; the
 * mapper turns it into what `jira:issue_deleted` produces (the decision withdrawn, its blocking
 * links resolved as unlinked), so a webhook that arrives after all changes nothing more.
 */

export interface DeletionCheck {
  /** open items' issue keys asked about */
  checked: number
  /** of those, gone from Jira */
  missing: number
  requests: number
}

const BATCH = 100
const TERMINAL = ['decision.decided', 'decision.rejected', 'decision.withdrawn', 'decision.dropped']

// column aliases differ from the columns: ClickHouse would otherwise read the alias (an
// aggregate) where the column is meant, in WHERE and inside the aggregates
interface OpenDecision {
  issue_key: string
  decision: string
  last_raised_by: string
  last_title: string
  last_team: string
  last_expected: string
}
interface OpenLink {
  link: string
  blocker: string
  blocked: string
  blocker_t: string
  blocked_t: string
}

/** the project's issues behind open decisions and open blocking links, as the facts have them */
async function openItems(clickhouse: ClickHouseClient, project: string) {
  const prefix = `${project}-`
  const decisions = await queryRows<OpenDecision>(
    clickhouse,
    `SELECT source_id AS issue_key, decision_id AS decision,
       argMax(raised_by, tuple(occurred_at, version)) AS last_raised_by,
       argMax(title, tuple(occurred_at, version)) AS last_title,
       argMax(team, tuple(occurred_at, version)) AS last_team,
       argMax(expected_decider, tuple(occurred_at, version)) AS last_expected
     FROM decision_events FINAL
     WHERE source = 'jira' AND startsWith(source_id, {prefix:String})
     GROUP BY source_id, decision_id
     HAVING argMax(type, tuple(occurred_at, version)) NOT IN {terminal:Array(String)}`,
    { prefix, terminal: TERMINAL },
  )
  const links = await queryRows<OpenLink>(
    clickhouse,
    `SELECT link_id AS link,
       any(blocker_item) AS blocker, any(blocked_item) AS blocked,
       any(blocker_team) AS blocker_t, any(blocked_team) AS blocked_t
     FROM dependency_events FINAL
     WHERE source = 'jira'
       AND (startsWith(blocker_item, {item:String}) OR startsWith(blocked_item, {item:String}))
     GROUP BY link_id
     HAVING argMax(type, tuple(occurred_at, version)) = 'dependency.linked'`,
    { item: `jira:${prefix}` },
  )
  return { decisions, links }
}

const keyOf = (item: string): string => item.replace(/^jira:/, '')
const keysPage = z.looseObject({ issues: z.array(z.looseObject({ key: z.string() })).default([]) })

/** which of the keys Jira returns (one request per 100 keys) */
async function existing(client: JiraClient, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH)
    const what = `checking whether ${batch.length} open Jira issue(s) still exist`
    const raw =
      client.deployment === 'cloud'
        ? await client.http.request<unknown>('POST', '/rest/api/3/issue/bulkfetch', {
            body: { issueIdsOrKeys: batch, fields: ['project'] },
            what,
            cost: 1 + batch.length,
          })
        : await client.http.request<unknown>('POST', '/rest/api/2/search', {
            body: {
              jql: `key in (${batch.join(', ')})`,
              fields: ['project'],
              maxResults: BATCH,
              validateQuery: 'warn',
            },
            what,
            cost: 1 + batch.length,
          })
    const page = keysPage.safeParse(raw)
    if (!page.success) throw new JiraError(`${what}: unexpected response shape`)
    for (const issue of page.data.issues) found.add(issue.key.toUpperCase())
  }
  return found
}

async function gone(client: JiraClient, key: string): Promise<boolean> {
  try {
    await client.http.request(
      'GET',
      `${client.deployment === 'cloud' ? '/rest/api/3' : '/rest/api/2'}/issue/${encodeURIComponent(key)}`,
      {
        query: { fields: 'project' },
        what: `confirming that Jira issue ${key} was deleted`,
      },
    )
    return false
  } catch (err) {
    if (err instanceof JiraNotFoundError) return true
    throw err
  }
}

export async function reconcileDeletions(options: {
  client: JiraClient
  clickhouse: ClickHouseClient
  bus: Bus
  project: string
  instance: string
  /** keys this run already read from Jira: they exist */
  seen: Set<string>
  detectedAt: string
}): Promise<DeletionCheck> {
  const { client, project } = options
  const before = client.http.requestCount
  const { decisions, links } = await openItems(options.clickhouse, project)
  const inProject = (key: string) => key.startsWith(`${project}-`)
  const keys = new Set<string>(decisions.map((d) => d.issue_key))
  for (const l of links) for (const k of [keyOf(l.blocker), keyOf(l.blocked)]) if (inProject(k)) keys.add(k)
  const candidates = [...keys].filter((k) => !options.seen.has(k)).sort()
  const found = candidates.length > 0 ? await existing(client, candidates) : new Set<string>()
  const deleted: string[] = []
  for (const key of candidates)
    if (!found.has(key.toUpperCase()) && (await gone(client, key))) deleted.push(key)

  const envelopes: RawEnvelope[] = deleted.map((key) => {
    const decision = decisions.find((d) => d.issue_key === key)
    return {
      source: 'jira',
      entity: 'deletion',
      sourceId: key,
      fetchedAt: options.detectedAt,
      meta: { instance: options.instance, project },
      payload: {
        key,
        detectedAt: options.detectedAt,
        decision: decision
          ? {
              decisionId: decision.decision,
              raisedBy: decision.last_raised_by,
              title: decision.last_title,
              team: decision.last_team,
              expectedDecider: decision.last_expected,
            }
          : null,
        links: links
          .filter((l) => keyOf(l.blocker) === key || keyOf(l.blocked) === key)
          .map((l) => ({
            linkId: l.link,
            blockerItem: l.blocker,
            blockedItem: l.blocked,
            blockerTeam: l.blocker_t,
            blockedTeam: l.blocked_t,
          })),
      },
    }
  })
  if (envelopes.length > 0) await publishRaw(options.bus, envelopes)
  return { checked: candidates.length, missing: deleted.length, requests: client.http.requestCount - before }
}
