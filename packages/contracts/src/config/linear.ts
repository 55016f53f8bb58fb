import { z } from 'zod'
import { lazySchema } from '../lazy-schema.ts'

const names = (defaults: string[]) => z.array(z.string().min(1)).default(defaults)

/**
 * Which Linear labels and workflow states mean what for decisions. Names are compared
 * case-insensitively. An issue is a decision once it carries a decision label or enters any of
 * the decision states; its lifecycle events are keyed by (issue, slot), so a webhook and a later
 * poll of the same change collapse to one event.
 */
export const linearDecisionMappingSchema = lazySchema(() =>
  z.strictObject({
    /** an issue carrying one of these labels is a decision (raised when the label appears) */
    labels: names(['decision']),
    /** entering one of these states raises a decision */
    raisedStates: names(['Needs Decision']),
    /** adding one of these labels escalates the decision (to the assignee at that time) */
    escalatedLabels: names(['escalated']),
    escalatedStates: names(['Escalated']),
    decidedStates: names(['Decided']),
    rejectedStates: names(['Rejected']),
    /**
     * a decision moved to another state of type `completed` counts as decided, one of type
     * `canceled` as withdrawn (teams that close decisions with their normal Done state)
     */
    completedIsDecided: z.boolean().default(true),
    /** who is expected to make the call: the assignee, or nobody */
    expectedDecider: z.enum(['assignee', 'none']).default('assignee'),
  }),
)
export type LinearDecisionMapping = z.infer<typeof linearDecisionMappingSchema>

/** `linear:` section of orgpulse.yaml. Owned by the Linear connector (packages/connector-linear). */
export const linearConfigSchema = lazySchema(() => {
  const decisionDefaults: LinearDecisionMapping = linearDecisionMappingSchema.parse({})
  return z
    .strictObject({
      /** GraphQL endpoint; the environment variable LINEAR_API_URL overrides it (tests, proxies) */
      apiUrl: z.string().url().default('https://api.linear.app/graphql'),
      /** NAME of the env variable holding a personal API key (sent as `Authorization: <key>`) */
      apiKeyEnv: z.string().min(1).default('LINEAR_API_KEY'),
      /** NAME of the env variable holding an OAuth access token (sent as `Bearer`); used when no API key is set */
      oauthTokenEnv: z.string().min(1).default('LINEAR_OAUTH_TOKEN'),
      /** NAME of the env variable holding the webhook signing secret */
      webhookSecretEnv: z.string().min(1).default('LINEAR_WEBHOOK_SECRET'),
      /**
       * Linear team key → org team reference (manager email, unit id or unit name). Only these
       * teams are synced; when empty, every team the credential can see is synced, unattributed.
       */
      teams: z
        .record(z.string().regex(/^[A-Za-z0-9_]+$/, 'expected a Linear team key like ENG'), z.string().min(1))
        .default({}),
      /** incremental sync asks for `updatedAt >= cursor - overlapMinutes` and tolerates the overlap */
      overlapMinutes: z.number().int().min(0).default(10),
      /** upper bound on any single query's estimated complexity (Linear rejects > 10,000) */
      maxQueryComplexity: z.number().int().min(100).max(10_000).default(8_000),
      decisions: linearDecisionMappingSchema.default(decisionDefaults),
      cycles: z
        .strictObject({
          /**
           * points: estimation points (scopeHistory); issues: issue counts (issueCountHistory);
           * auto: points unless the cycle has no estimates at all, then issue counts
           */
          unit: z.enum(['auto', 'points', 'issues']).default('auto'),
        })
        .default({ unit: 'auto' }),
    })
    .strict()
})
export type LinearConfig = z.infer<typeof linearConfigSchema>
export type LinearConfigInput = z.input<typeof linearConfigSchema>
