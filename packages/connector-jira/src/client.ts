import { formatIssues, jiraTimeMs } from '@orgpulse/contracts'
import { z } from 'zod'
import { JiraError, JiraNotFoundError } from './errors.ts'
import type { JiraHttp } from './http.ts'

/**
 * The Jira REST calls the connector makes. Cloud (v3): enhanced JQL search with nextPageToken
 * (the old /search answers 410), approximate count, bulk changelogs. Data Center (v2): the
 * classic /search with startAt/total, full changelogs through `expand=changelog`.
 */

/**
 * A history's `created`: a Jira timestamp string ("2026-07-01T09:00:00.000+0000") from
 * `expand=changelog` and `/issue/{key}/changelog`, and an epoch number in ms from the bulk
 * changelog, as its published example shows
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-changelog-bulkfetch-post).
 * Both are accepted; the number is turned into the string form, so completed changelogs keep the
 * `expand=changelog` shape the envelopes promise.
 */
export const historyCreatedSchema = z.union([
  z.string(),
  z
    .number()
    .int()
    .min(-8.64e15)
    .max(8.64e15)
    .transform((ms) => new Date(ms).toISOString()),
])
const historySchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  created: historyCreatedSchema,
})
export type JiraHistory = z.infer<typeof historySchema>

const issueSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  key: z.string(),
  fields: z.looseObject({ updated: z.string().optional() }),
  changelog: z
    .looseObject({ total: z.number().optional(), histories: z.array(historySchema).default([]) })
    .optional(),
})
export type JiraIssue = z.infer<typeof issueSchema>

const enhancedPageSchema = z.looseObject({
  issues: z.array(issueSchema).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
})
const classicPageSchema = z.looseObject({
  issues: z.array(issueSchema).default([]),
  startAt: z.number(),
  total: z.number(),
})
const bulkChangelogSchema = z.looseObject({
  issueChangeLogs: z
    .array(z.looseObject({ issueId: z.string(), changeHistories: z.array(historySchema).default([]) }))
    .default([]),
  nextPageToken: z.string().nullish(),
})
const changelogPageSchema = z.looseObject({
  startAt: z.number(),
  total: z.number(),
  isLast: z.boolean().optional(),
  values: z.array(historySchema),
})
const statusSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  name: z.string(),
  statusCategory: z.looseObject({ key: z.string() }).optional(),
})
const agilePage = <T extends z.ZodType>(value: T) =>
  z.looseObject({
    startAt: z.number().default(0),
    maxResults: z.number().optional(),
    total: z.number().optional(),
    isLast: z.boolean().optional(),
    values: z.array(value).default([]),
  })
const boardSchema = z.looseObject({
  id: z.number(),
  name: z.string().optional(),
  type: z.string().optional(),
})
export type JiraBoard = z.infer<typeof boardSchema>
const sprintSchema = z.looseObject({
  id: z.number(),
  state: z.string(),
  name: z.string().optional(),
  startDate: z.string().optional(),
  endDate: z.string().optional(),
  completeDate: z.string().optional(),
  originBoardId: z.number().optional(),
})
export type JiraSprint = z.infer<typeof sprintSchema>
// the sprint's issues come as a search page (`issues`, `total`, no `isLast`): read as an agile page
const sprintIssuesSchema = z
  .looseObject({
    startAt: z.number().default(0),
    total: z.number().optional(),
    issues: z.array(issueSchema).default([]),
  })
  .transform((page) => ({ startAt: page.startAt, total: page.total, values: page.issues }))
const myselfSchema = z.looseObject({ timeZone: z.string().optional(), displayName: z.string().optional() })
const projectSchema = z.looseObject({ id: z.string(), key: z.string(), name: z.string().optional() })

/** The fields the mapper reads; descriptions and other free text are never requested. */
export const ISSUE_FIELDS = [
  'summary',
  'issuetype',
  'project',
  'status',
  'labels',
  'components',
  'reporter',
  'creator',
  'assignee',
  'created',
  'updated',
  'issuelinks',
  // the epic (team-managed projects, and company-managed ones since the Epic Link deprecation)
  'parent',
  'resolution',
  'resolutiondate',
]

/** the fields a sprint snapshot reads from each of its issues */
export const SPRINT_ISSUE_FIELDS = ['created', 'status', 'project']

/** histories per bulk request and issues per bulk request, per Atlassian's limits */
const BULK_MAX_ISSUES = 1000
const BULK_PAGE = 1000
const CHANGELOG_PAGE = 100
/** the Agile API's page size cap */
const AGILE_PAGE = 50

export interface SearchPage {
  issues: JiraIssue[]
  /** Data Center reports totals; Cloud's enhanced search does not */
  total?: number
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (!r.success) {
    throw new JiraError(`${what}: unexpected response shape: ${formatIssues(r.error).join('; ')}`)
  }
  return r.data
}

export class JiraClient {
  /** ISSUE_FIELDS and the configured ones the mapper also reads (a user-picker expected decider) */
  readonly issueFields: string[]

  constructor(
    readonly http: JiraHttp,
    readonly deployment: 'cloud' | 'datacenter' = 'cloud',
    extraFields: readonly string[] = [],
  ) {
    this.issueFields = [...new Set([...ISSUE_FIELDS, ...extraFields])]
  }

  private get api(): string {
    return this.deployment === 'cloud' ? '/rest/api/3' : '/rest/api/2'
  }

  async myself(): Promise<z.infer<typeof myselfSchema>> {
    const what = 'checking the Jira credentials'
    return parse(myselfSchema, await this.http.request('GET', `${this.api}/myself`, { what }), what)
  }

  async project(key: string): Promise<z.infer<typeof projectSchema>> {
    const what = `reading Jira project ${key}`
    return parse(
      projectSchema,
      await this.http.request('GET', `${this.api}/project/${encodeURIComponent(key)}`, { what }),
      what,
    )
  }

  /** status id → Jira category key (new | indeterminate | done) */
  async statusCategories(): Promise<Map<string, string>> {
    const what = 'reading Jira statuses'
    const list = parse(
      z.array(statusSchema),
      await this.http.request('GET', `${this.api}/status`, { what }),
      what,
    )
    return new Map(list.filter((s) => s.statusCategory).map((s) => [s.id, s.statusCategory!.key]))
  }

  /** Cloud only (the enhanced search has no totals); null on Data Center, whose search reports totals. */
  async approximateCount(jql: string, what: string): Promise<number | null> {
    if (this.deployment !== 'cloud') return null
    const r = await this.http.request<{ count?: unknown }>('POST', '/rest/api/3/search/approximate-count', {
      body: { jql },
      what: `${what} (count)`,
    })
    return typeof r.count === 'number' ? r.count : null
  }

  /** Pages of issues, each with `expand=changelog` (complete it with completeChangelogs). */
  async *searchPages(jql: string, opts: { pageSize: number; what: string }): AsyncGenerator<SearchPage> {
    if (this.deployment === 'cloud') {
      let nextPageToken: string | undefined
      for (;;) {
        const body = {
          jql,
          maxResults: opts.pageSize,
          fields: this.issueFields,
          expand: 'changelog',
          ...(nextPageToken ? { nextPageToken } : {}),
        }
        const page = parse(
          enhancedPageSchema,
          await this.http.request('POST', '/rest/api/3/search/jql', {
            body,
            what: opts.what,
            cost: 1 + opts.pageSize,
          }),
          opts.what,
        )
        yield { issues: page.issues }
        // the last page omits nextPageToken (or sends isLast); either ends the walk
        if (page.isLast === true || !page.nextPageToken) return
        nextPageToken = page.nextPageToken
      }
    }
    let startAt = 0
    for (;;) {
      const body = {
        jql,
        startAt,
        maxResults: opts.pageSize,
        fields: this.issueFields,
        expand: ['changelog'],
      }
      const page = parse(
        classicPageSchema,
        await this.http.request('POST', '/rest/api/2/search', {
          body,
          what: opts.what,
          cost: 1 + opts.pageSize,
        }),
        opts.what,
      )
      yield { issues: page.issues, total: page.total }
      startAt += page.issues.length
      if (page.issues.length === 0 || startAt >= page.total) return
    }
  }

  /**
   * Makes every issue's `changelog.histories` complete and oldest-first. `expand=changelog` stops
   * at 20 histories on Cloud: the rest come from the bulk endpoint (or per issue, when configured).
   * Returns how many issues needed fetching.
   */
  async completeChangelogs(issues: JiraIssue[], mode: 'bulk' | 'per-issue'): Promise<number> {
    const incomplete = issues.filter(
      (i) => !i.changelog || (i.changelog.total ?? 0) > i.changelog.histories.length,
    )
    if (incomplete.length > 0) {
      if (this.deployment === 'datacenter') {
        for (const i of incomplete)
          i.changelog = { total: 0, histories: await this.issueChangelogDataCenter(i.key) }
      } else if (mode === 'bulk') {
        const byId = await this.bulkChangelogs(incomplete.map((i) => i.id))
        for (const i of incomplete) i.changelog = { total: 0, histories: byId.get(i.id) ?? [] }
      } else {
        for (const i of incomplete) i.changelog = { total: 0, histories: await this.issueChangelog(i.key) }
      }
      for (const i of incomplete) i.changelog!.total = i.changelog!.histories.length
    }
    for (const i of issues) {
      i.changelog ??= { total: 0, histories: [] }
      i.changelog.histories.sort(
        (a, b) => jiraTimeMs(a.created) - jiraTimeMs(b.created) || Number(a.id) - Number(b.id),
      )
      // the shape Jira uses for expand=changelog, now complete
      Object.assign(i.changelog, {
        startAt: 0,
        maxResults: i.changelog.histories.length,
        total: i.changelog.histories.length,
      })
    }
    return incomplete.length
  }

  private async bulkChangelogs(issueIds: string[]): Promise<Map<string, JiraHistory[]>> {
    const out = new Map<string, JiraHistory[]>()
    for (let i = 0; i < issueIds.length; i += BULK_MAX_ISSUES) {
      const chunk = issueIds.slice(i, i + BULK_MAX_ISSUES)
      let nextPageToken: string | undefined
      do {
        const what = `fetching changelogs of ${chunk.length} issue(s)`
        const body = {
          issueIdsOrKeys: chunk,
          maxResults: BULK_PAGE,
          ...(nextPageToken ? { nextPageToken } : {}),
        }
        const page = parse(
          bulkChangelogSchema,
          // a page holds the changelogs of at most every issue asked for
          await this.http.request('POST', '/rest/api/3/changelog/bulkfetch', {
            body,
            what,
            cost: 1 + chunk.length,
          }),
          what,
        )
        for (const log of page.issueChangeLogs)
          out.set(log.issueId, [...(out.get(log.issueId) ?? []), ...log.changeHistories])
        nextPageToken = page.nextPageToken ?? undefined
      } while (nextPageToken)
    }
    return out
  }

  /**
   * Pages of the Jira Software Agile API (startAt/maxResults, `isLast`; `total` where given).
   * Same path on Cloud and Data Center.
   */
  private async *agilePages<T>(
    path: string,
    query: Record<string, string | number>,
    schema: z.ZodType<{ startAt: number; total?: number; isLast?: boolean; values: T[] }>,
    what: string,
  ): AsyncGenerator<T[]> {
    for (let startAt = 0; ; ) {
      const page = parse(
        schema,
        await this.http.request('GET', path, {
          query: { ...query, startAt, maxResults: AGILE_PAGE },
          what,
          cost: 1 + AGILE_PAGE,
        }),
        what,
      )
      yield page.values
      startAt = page.startAt + page.values.length
      if (page.isLast === true || page.values.length === 0) return
      if (page.isLast === undefined && page.total !== undefined && startAt >= page.total) return
    }
  }

  /** the scrum boards showing a project (kanban boards have no sprints) */
  async boards(project: string): Promise<JiraBoard[]> {
    const out: JiraBoard[] = []
    try {
      for await (const page of this.agilePages(
        '/rest/agile/1.0/board',
        { projectKeyOrId: project, type: 'scrum' },
        agilePage(boardSchema),
        `listing the scrum boards of Jira project ${project}`,
      ))
        out.push(...page)
    } catch (err) {
      // a site without Jira Software has no Agile API at all
      if (err instanceof JiraNotFoundError)
        throw new JiraNotFoundError(
          `${err.message}. If this Jira site has no Jira Software (no boards), set jira.sync.sprints: false`,
          404,
        )
      throw err
    }
    return out
  }

  /** a board's started sprints: active and closed */
  async sprints(boardId: number): Promise<JiraSprint[]> {
    const out: JiraSprint[] = []
    for await (const page of this.agilePages(
      `/rest/agile/1.0/board/${boardId}/sprint`,
      { state: 'active,closed' },
      agilePage(sprintSchema),
      `listing the sprints of Jira board ${boardId}`,
    ))
      out.push(...page)
    return out
  }

  /** the issues of a sprint with `expand=changelog` (complete them with completeChangelogs) */
  async sprintIssues(sprintId: number): Promise<JiraIssue[]> {
    const out: JiraIssue[] = []
    for await (const page of this.agilePages(
      `/rest/agile/1.0/sprint/${sprintId}/issue`,
      { fields: SPRINT_ISSUE_FIELDS.join(','), expand: 'changelog' },
      sprintIssuesSchema,
      `reading the issues of Jira sprint ${sprintId}`,
    ))
      out.push(...page)
    return out
  }

  async issueChangelog(key: string): Promise<JiraHistory[]> {
    const out: JiraHistory[] = []
    const what = `fetching the changelog of ${key}`
    for (let startAt = 0; ; ) {
      const page = parse(
        changelogPageSchema,
        await this.http.request('GET', `/rest/api/3/issue/${encodeURIComponent(key)}/changelog`, {
          query: { startAt, maxResults: CHANGELOG_PAGE },
          what,
          cost: 1 + CHANGELOG_PAGE,
        }),
        what,
      )
      out.push(...page.values)
      startAt = page.startAt + page.values.length
      if (page.isLast === true || page.values.length === 0 || startAt >= page.total) return out
    }
  }

  private async issueChangelogDataCenter(key: string): Promise<JiraHistory[]> {
    const issue = await this.issue(key, [])
    return issue.changelog?.histories ?? []
  }

  /** One issue with its changelog (complete on Data Center; completed here on Cloud). */
  async issue(idOrKey: string, fields: string[] = this.issueFields): Promise<JiraIssue> {
    const what = `reading Jira issue ${idOrKey}`
    const raw = await this.http.request('GET', `${this.api}/issue/${encodeURIComponent(idOrKey)}`, {
      query: { fields: fields.length > 0 ? fields.join(',') : '-all', expand: 'changelog' },
      what,
    })
    const issue = parse(issueSchema, raw, what)
    if (fields.length > 0) await this.completeChangelogs([issue], 'bulk')
    return issue
  }
}
