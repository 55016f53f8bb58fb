import { z } from 'zod'
import { lazySchema } from '../lazy-schema.ts'

/**
 * `portfolio:` section of orgpulse.yaml (issue 19's portfolio view, "Which bet consumes attention
 * without return?"). Maps tracker scopes to the essay's buckets (`core`, `growth`,
 * `strategic_enablers`, `experimental`) and/or to named initiatives. The facts keep the raw project
 * and epic; this mapping is applied when the review is computed, so changing it needs no re-ingest.
 *
 * Precedence, most specific first: a Jira epic, then a Jira project / a Linear project, then a
 * Linear team (`linear.teams`' key). An item matching nothing is "unmapped".
 */
export const PORTFOLIO_BUCKETS = ['core', 'growth', 'strategic_enablers', 'experimental'] as const
export type PortfolioBucket = (typeof PORTFOLIO_BUCKETS)[number]

/** a target: a bucket, an initiative, or both */
export const portfolioTargetSchema = lazySchema(() =>
  z
    .strictObject({
      bucket: z.enum(PORTFOLIO_BUCKETS).optional(),
      /** a named initiative (free text, e.g. "Self-serve onboarding") */
      initiative: z.string().trim().min(1).max(120).optional(),
    })
    .refine((t) => t.bucket !== undefined || t.initiative !== undefined, {
      message: 'a portfolio target needs a bucket, an initiative or both',
    }),
)
export type PortfolioTarget = z.infer<typeof portfolioTargetSchema>

/** shorthand: a bare bucket name stands for `{ bucket: <name> }` */
const target = lazySchema(() =>
  z.union([
    z.enum(PORTFOLIO_BUCKETS).transform((bucket): PortfolioTarget => ({ bucket })),
    portfolioTargetSchema,
  ]),
)

const jiraKey = lazySchema(() =>
  z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected a Jira project key such as ENG'),
)
const jiraIssueKey = lazySchema(() =>
  z.string().regex(/^[A-Z][A-Z0-9_]*-\d+$/, 'expected a Jira issue key such as ENG-42'),
)

export const portfolioConfigSchema = lazySchema(() =>
  z.strictObject({
    /**
     * how the views group: by `bucket` (the essay's four, the default) or by `initiative`. An item
     * whose target lacks the chosen kind counts as unmapped.
     */
    groupBy: z.enum(['bucket', 'initiative']).default('bucket'),
    jira: z
      .strictObject({
        /** Jira project key → target */
        projects: z.record(jiraKey, target).default({}),
        /** Jira epic (parent issue) key → target; wins over its project's */
        epics: z.record(jiraIssueKey, target).default({}),
        /**
         * company-managed projects on older sites link to their epic through the "Epic Link" custom
         * field (e.g. `customfield_10014`) instead of `parent`: name it here to read it
         */
        epicLinkField: z
          .string()
          .regex(/^customfield_\d+$/, 'expected a custom field id such as customfield_10014')
          .optional(),
      })
      .default({ projects: {}, epics: {} }),
    linear: z
      .strictObject({
        /** Linear project id (the UUID in the API; names change, ids do not) → target */
        projects: z.record(z.string().min(1), target).default({}),
        /** Linear team key (as in `linear.teams`) → target: for items without a mapped project, and cycles */
        teams: z
          .record(z.string().regex(/^[A-Za-z0-9_]+$/, 'expected a Linear team key like ENG'), target)
          .default({}),
      })
      .default({ projects: {}, teams: {} }),
  }),
)
export type PortfolioConfig = z.infer<typeof portfolioConfigSchema>
export type PortfolioConfigInput = z.input<typeof portfolioConfigSchema>
