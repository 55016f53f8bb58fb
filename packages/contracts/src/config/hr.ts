import { z } from 'zod'
import { lazySchema } from '../lazy-schema.ts'

const share = lazySchema(() => z.number().min(0).max(1))

/**
 * `hr:` in orgpulse.yaml: the HR source `orgpulse org sync` reads the org chart from, instead of a
 * CSV exported by hand. Secrets are never here: the SCIM bearer token, the Graph app credentials
 * and the BambooHR API key come from the environment (README "Environment").
 */
export const hrConfigSchema = lazySchema(() =>
  z.strictObject({
    /**
     * scim: the users Okta / Entra ID provisioning pushed to the api's `/scim/v2/Users`;
     * graph: Microsoft Graph `/users` with their managers (Entra ID without provisioning);
     * bamboohr: BambooHR's employee directory and a custom report for reports-to
     */
    source: z.enum(['scim', 'graph', 'bamboohr']),
    /** minutes between syncs run by `ingest watch` and `start` (`org sync --due`); 0: only by hand */
    every: z.number().min(0).default(60),
    /**
     * a sync whose diff against the org in force exceeds either share is held (stored as pending,
     * not in force) until `orgpulse org sync --confirm SNAPSHOT_ID`: a half-finished import on the
     * HR side must not re-attribute every event at once
     */
    guard: z
      .strictObject({
        /** share of the people in force whose manager changed (default 0.2) */
        maxManagerChanges: share.default(0.2),
        /** share of the people in force who are gone (default 0.2) */
        maxRemoved: share.default(0.2),
      })
      .default({ maxManagerChanges: 0.2, maxRemoved: 0.2 }),
    graph: z
      .strictObject({
        /** the Graph root (national clouds, tests) */
        graphUrl: z.string().url().default('https://graph.microsoft.com/v1.0/'),
        /** the identity platform's root */
        authorityUrl: z.string().url().default('https://login.microsoftonline.com/'),
        /** an OData `$filter` over users, e.g. "accountEnabled eq true and userType eq 'Member'" */
        filter: z.string().min(1).optional(),
      })
      .default({
        graphUrl: 'https://graph.microsoft.com/v1.0/',
        authorityUrl: 'https://login.microsoftonline.com/',
      }),
    bamboohr: z
      .strictObject({
        /** the company's subdomain: https://{company}.bamboohr.com */
        company: z.string().min(1),
        /** the API root (tests, proxies) */
        apiUrl: z.string().url().default('https://api.bamboohr.com/'),
      })
      .optional(),
  }),
)
export type HrConfig = z.infer<typeof hrConfigSchema>
