import { createHash } from 'node:crypto'
import type { ClickHouseClient, CursorStore } from '@orgpulse/clickhouse'
import { type JiraConfig, jiraTimeMs, syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, type Durable, publishRaw } from '@orgpulse/kafka'
import type { JiraClient } from './client.ts'
import { issueEnvelope } from './envelopes.ts'
import { JiraConfigError } from './errors.ts'
import { buildSyncJql } from './jql.ts'
import { ProgressMeter, type SyncProgress } from './progress.ts'
import { type DeletionCheck, reconcileDeletions } from './reconcile.ts'
import type { WebhookRegistration } from './register.ts'
import { type SprintSyncResult, syncSprints } from './sprints.ts'

export const JIRA_CONNECTOR = 'jira'

export interface SyncOptions {
  client: JiraClient
  bus: Bus
  cursors: CursorStore
  /** the fact tables, where the open decisions and blocking links checked for deletion are read */
  clickhouse?: ClickHouseClient
  /** awaited before each cursor write: until what the cursor covers is durable (Runtime.durable) */
  durable: Durable
  config: JiraConfig
  /** names the Jira instance in cursor scopes and envelope meta (the base URL) */
  instance: string
  /** ignore cursors: re-read every issue */
  full?: boolean
  /** a subset of config.projects */
  projects?: string[]
  onProgress?: (p: SyncProgress) => void
  now?: () => number
}

export interface ProjectSyncResult {
  project: string
  mode: 'full' | 'incremental'
  /** why this mode */
  reason: string
  jql: string
  issues: number
  histories: number
  /** issues whose changelog went beyond the inline 20 and was fetched separately */
  changelogsFetched: number
  pages: number
  /** the committed cursor (max `updated` seen), or null when nothing was seen */
  cursor: string | null
  /** scrum boards and sprints (null when `sync.sprints` is off) */
  sprints: SprintSyncResult | null
  /** the open items asked about for deletion (null when not checked) */
  deletions: DeletionCheck | null
}

export interface SyncResult {
  instance: string
  projects: ProjectSyncResult[]
  requests: number
  /** what the pull did about Jira's webhook (set by the connector) */
  webhook?: WebhookRegistration
}

/**
 * What a cursor depends on: when any of this changes, the cursors are stale and a full resync
 * runs. Credentials and tuning (page size, retries) are deliberately left out.
 */
export function mappingHash(config: JiraConfig): string {
  const relevant = {
    deployment: config.deployment,
    jql: config.jql ?? '',
    decisions: config.decisions,
    blocking: config.blocking,
    teams: config.teams,
    statusCategories: config.statusCategories,
  }
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16)
}

export const cursorScope = (instance: string, project: string): string =>
  `${new URL(instance).host}/${project}`

/**
 * Per project: full or incremental (`updated >= cursor - lag`, ORDER BY updated ASC, key ASC),
 * issues with complete changelogs published page by page, and the cursor committed after each
 * page only once the page is durable: acknowledged by Kafka, or in embedded mode written by the
 * pipeline (the in-process bus dies with the process). Ascending `updated` order makes every
 * committed cursor safe: everything before it is durable, so an interrupted sync resumes where it
 * stopped.
 */
export async function syncJira(options: SyncOptions): Promise<SyncResult> {
  const { client, bus, cursors, config, instance } = options
  const now = options.now ?? Date.now
  const projects = options.projects ?? config.projects
  const unknown = projects.filter((p) => !config.projects.includes(p))
  if (unknown.length > 0)
    throw new JiraConfigError(
      `project(s) ${unknown.join(', ')} are not in jira.projects (${config.projects.join(', ')})`,
    )
  const hash = mappingHash(config)
  const before = client.http.requestCount
  // fails fast with a clear 401 before any project is touched; also gives the JQL time zone
  const me = await client.myself()
  const timeZone = me.timeZone ?? 'UTC'
  const statusCategories = await client.statusCategories()
  const lagMs = config.sync.lagMinutes * 60_000
  const results: ProjectSyncResult[] = []

  for (const project of projects) {
    await client.project(project)
    const scope = cursorScope(instance, project)
    const cursor = await cursors.get(JIRA_CONNECTOR, scope)
    const [mode, reason]: [ProjectSyncResult['mode'], string] = options.full
      ? ['full', 'full resync requested']
      : !cursor
        ? ['full', 'no cursor yet']
        : cursor.configHash !== hash
          ? ['full', 'mapping config changed since the last sync']
          : ['incremental', `changes since ${cursor.cursor} minus ${config.sync.lagMinutes} min lag`]
    const sinceMs = mode === 'incremental' && cursor ? jiraTimeMs(cursor.cursor) - lagMs : null
    const jql = buildSyncJql(project, { sinceMs, timeZone, extra: config.jql })
    const what = `searching Jira project ${project}`
    const total = await client.approximateCount(jql, what).catch(() => null)
    const meter = new ProgressMeter(project, total, now)
    const result: ProjectSyncResult = {
      project,
      mode,
      reason,
      jql,
      issues: 0,
      histories: 0,
      changelogsFetched: 0,
      pages: 0,
      cursor: null,
      sprints: null,
      deletions: null,
    }
    const seen = new Set<string>()
    let maxUpdated = mode === 'incremental' && cursor ? jiraTimeMs(cursor.cursor) : Number.NEGATIVE_INFINITY

    for await (const page of client.searchPages(jql, { pageSize: config.sync.pageSize, what })) {
      if (page.total !== undefined) meter.total = page.total
      result.pages++
      if (page.issues.length === 0) continue
      result.changelogsFetched += await client.completeChangelogs(page.issues, config.sync.changelog)
      const fetchedAt = new Date(now()).toISOString()
      const envelopes = page.issues.map((issue) =>
        issueEnvelope(issue, { instance, project, statusCategories, fetchedAt }),
      )
      await publishRaw(bus, envelopes)
      for (const issue of page.issues) {
        seen.add(issue.key)
        const updated = issue.fields.updated ? jiraTimeMs(issue.fields.updated) : Number.NaN
        if (!Number.isNaN(updated)) maxUpdated = Math.max(maxUpdated, updated)
        result.histories += issue.changelog?.histories.length ?? 0
      }
      result.issues += page.issues.length
      // only now, with the page durable, may the cursor move past it
      if (Number.isFinite(maxUpdated)) {
        result.cursor = new Date(maxUpdated).toISOString()
        await options.durable()
        await cursors.set(JIRA_CONNECTOR, scope, result.cursor, hash)
      }
      options.onProgress?.(meter.advance(page.issues.length))
    }
    if (result.cursor === null && cursor && mode === 'incremental') result.cursor = cursor.cursor
    if (config.sync.reconcileDeletions && options.clickhouse) {
      // with this run's reads written (embedded mode) the facts are as fresh as they get; the
      // issues this run read are no candidates anyway (`seen`): they exist
      await options.durable()
      result.deletions = await reconcileDeletions({
        client,
        clickhouse: options.clickhouse,
        bus,
        project,
        instance,
        seen,
        detectedAt: new Date(now()).toISOString(),
      })
    }
    if (config.sync.sprints) {
      // Sprints keep their own cursor (when the last sprint phase began): the issue cursor has
      // already moved past this run's changes, so taking the window from it would let a crash in
      // the sprint phase skip, for good, a sprint that closed before the newest issue change.
      const sprintScope = `${scope}#sprints`
      const sprintCursor = mode === 'incremental' ? await cursors.get(JIRA_CONNECTOR, sprintScope) : null
      const sprintsSinceMs =
        sprintCursor && sprintCursor.configHash === hash ? jiraTimeMs(sprintCursor.cursor) - lagMs : null
      const startedAt = new Date(now()).toISOString()
      result.sprints = await syncSprints({
        client,
        bus,
        project,
        instance,
        statusCategories,
        changelog: config.sync.changelog,
        sinceMs: sprintsSinceMs,
        fetchedAt: startedAt,
        timeZone,
      })
      await options.durable()
      await cursors.set(JIRA_CONNECTOR, sprintScope, startedAt, hash)
    }
    // the project is read up to now: its coverage record goes behind its issues and sprints
    const syncedAt = new Date(now()).toISOString()
    await publishRaw(bus, [
      syncedEnvelope(
        'jira',
        {
          scopeKind: 'project',
          scope: project,
          mode,
          coveredFrom: null,
          coveredTo: syncedAt,
          teams: teamsOfProject(config, project),
        },
        syncedAt,
      ),
    ])
    results.push(result)
  }
  return { instance, projects: results, requests: client.http.requestCount - before }
}

/** The org teams the team rules can attribute a project's issues to (its own rules and any-project component rules). */
export function teamsOfProject(config: JiraConfig, project: string): string[] {
  return [
    ...new Set(
      config.teams.filter((r) => r.projects.length === 0 || r.projects.includes(project)).map((r) => r.team),
    ),
  ]
}
