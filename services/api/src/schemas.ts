import { DATE_FORMATS, strictDate } from '@orgpulse/contracts'
import { MAX_SERIES_WEEKS, MAX_WINDOW_DAYS, METRIC_IDS } from '@orgpulse/metrics'
import { z } from 'zod'
import { decisionStatusSchema } from './queries/decisions.ts'

/**
 * Request and response shapes of the v1 api. They validate requests, serialise responses and
 * generate the OpenAPI document (fastify-type-provider-zod), so the document cannot drift from
 * what the handlers do.
 */

export const errorSchema = z
  .looseObject({ error: z.string(), message: z.string().optional(), statusCode: z.number().optional() })
  .meta({ id: 'Error' })

/** the one strict date parser's format (@orgpulse/contracts time.ts): a real day, or an instant with its offset */
const isoDate = strictDate.describe(DATE_FORMATS)
const flag = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .describe('true or false')

export const directorParams = z.object({ director: z.email().describe("the director's email") })
export const teamParams = directorParams.extend({
  team: z.string().min(3).describe("the team: its manager's email or its unit id (u:<email>)"),
})

export const directorSchema = z
  .object({
    personId: z.string(),
    email: z.string(),
    name: z.string(),
    title: z.string(),
    level: z.number(),
    unitId: z.string(),
    unitName: z.string(),
    people: z.number().describe('people in their subtree, themselves included'),
  })
  .meta({ id: 'Director' })
export const orgsResponse = z.object({ orgs: z.array(directorSchema) })

export const orgTreeResponse = z
  .object({
    effective: z.string().describe('the org snapshot used (its effective date)'),
    rootUnit: z.string(),
    units: z.array(
      z.object({
        unitId: z.string(),
        name: z.string(),
        kind: z.string(),
        managerId: z.string(),
        managerName: z.string(),
        parentId: z.string().nullable(),
        depth: z.number(),
        people: z.number(),
        totalPeople: z.number(),
      }),
    ),
  })
  .meta({ id: 'OrgTree' })

/** documented on both metrics routes */
export const WINDOW_LIMIT_NOTE = `A window longer than ${MAX_WINDOW_DAYS} days (2 years) answers 400 with a message saying so: ask for shorter windows.`

export const metricsQuery = z.object({
  from: isoDate.describe('window start, inclusive'),
  to: isoDate.describe(`window end, exclusive; at most ${MAX_WINDOW_DAYS} days (2 years) after from`),
  grain: z
    .enum(['week'])
    .optional()
    .describe(`add a weekly series (at most ${MAX_SERIES_WEEKS} weeks, as the window is at most 2 years)`),
})

const metricValues = z
  .record(z.string(), z.number().nullable())
  .describe(`metric id → value (null when withheld or no data); ids: ${METRIC_IDS.join(', ')}`)
const samples = z
  .record(z.string(), z.number().nullable())
  .describe(
    "metric id → the n its value rests on (the catalog's sample: decisions decided, open blockers, people with calendars synced, …); null when the value is withheld for privacy",
  )
const withheld = z
  .record(z.string(), z.string())
  .describe(
    "metric id → why its value is null, starting with the reason: `withheld:` (privacy threshold), `no_data:` (sources not connected or synced for the window, or nothing in it), `partial_coverage:` (too few of the group's own calendars synced: under privacy.minGroupSize people or a share under calendar.minCoverage), `too_few:` (the sample is under the metric's minimum in the catalog, e.g. `too_few: n = 2 decisions decided (minimum 3)`)",
  )
const coverage = z
  .object({
    calendar: z
      .object({
        covered: z
          .number()
          .describe('people in the group whose own calendar is synced over the whole window'),
        people: z.number().describe('people in the group during the window'),
        share: z.number().nullable().describe('covered / people (null for an empty group)'),
      })
      .describe('the per-person meeting figures are means over the covered people only'),
    trackers: z.object({
      synced: z
        .number()
        .describe('Jira projects and Linear teams mapped into the group and synced over the window'),
    }),
  })
  .describe('what the figures rest on (DESIGN "No data is not zero")')
  .meta({ id: 'Coverage' })

export const metricsResponse = z
  .object({
    org: z.string(),
    from: z.string(),
    to: z.string(),
    metrics: metricValues,
    samples,
    withheld,
    people: z.number(),
    coverage,
    teams: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        manager: z.string(),
        people: z.number(),
        metrics: metricValues,
        samples,
        withheld,
        coverage,
      }),
    ),
    series: z
      .array(
        z.object({ from: z.string(), to: z.string(), metrics: metricValues, samples, withheld, coverage }),
      )
      .optional(),
  })
  .meta({ id: 'OrgMetrics' })

export const decisionsQuery = z.object({
  status: decisionStatusSchema.optional(),
  team: z
    .string()
    .optional()
    .describe("only decisions raised in this team's subtree (manager email or unit id)"),
  escalated: flag.optional(),
  decider: z.email().optional(),
  waitingOn: z
    .email()
    .optional()
    .describe('only decisions still open at `to` (default: now) whose expected decider is this person'),
  from: isoDate
    .optional()
    .describe(
      'decisions active in [from, to): raised before `to`, not decided/rejected/withdrawn before `from`',
    ),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional().describe('opaque: `nextCursor` of the previous page'),
})

export const decisionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    status: z.string(),
    raisedBy: z.string(),
    raisedAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    expectedDecider: z
      .string()
      .nullable()
      .describe(
        'the person expected to make the call (their email); null when none is named or it resolves to nobody',
      ),
    escalated: z.boolean(),
    deciderLevel: z.number().nullable(),
    latencyHours: z.number().nullable(),
    team: z.string().describe("the raiser's home unit when the decision was raised"),
  })
  .meta({ id: 'Decision' })
export const decisionsResponse = z.object({
  decisions: z.array(decisionSchema),
  nextCursor: z.string().nullable().describe('null on the last page'),
})

export const dependenciesQuery = z.object({
  from: isoDate.optional().describe('links open at some time in [from, to); default: since ever'),
  to: isoDate.optional().describe('default: now'),
  open: flag.optional().describe('only links still open at `to`'),
})
export const dependencySchema = z
  .object({
    linkId: z.string(),
    blockerItem: z.string(),
    blockedItem: z.string(),
    blockerTeam: z.string(),
    blockedTeam: z.string(),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
    open: z.boolean(),
    ageDays: z.number(),
  })
  .meta({ id: 'Dependency' })
export const dependenciesResponse = z.object({
  links: z.array(dependencySchema),
  pairs: z
    .array(
      z.object({
        blockerTeam: z.string(),
        blockedTeam: z.string(),
        links: z.number(),
        open: z.number().describe('links between the pair open at `to`'),
        oldestOpenAgeDays: z
          .number()
          .nullable()
          .describe('age in days at `to` of the oldest open link (null with none open)'),
        openAgeDaysTotal: z.number().describe('sum of the open links’ ages in days at `to`'),
      }),
    )
    .describe('team pairs, worst first: most open links, then the oldest open link'),
})

export const unresolvedResponse = z.object({
  identities: z.array(
    z.object({
      identity: z.string(),
      source: z.string(),
      occurrences: z.number(),
      fields: z.array(z.string()),
    }),
  ),
})

export const quarterSchema = z.string().regex(/^\d{4}-Q[1-4]$/, 'expected YYYY-Qn, e.g. 2026-Q3')
export const exportQuery = z.object({
  quarter: quarterSchema,
  format: z.enum(['csv', 'json', 'parquet', 'review-zip', 'xlsx']).default('csv'),
})
export const reviewQuery = z.object({
  quarter: quarterSchema,
  format: z.enum(['json', 'html']).default('json'),
})
