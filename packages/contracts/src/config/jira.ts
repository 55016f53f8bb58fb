import { z } from 'zod'
import { lazySchema } from '../lazy-schema.ts'

/**
 * `jira:` section of orgpulse.yaml. Owned by the Jira connector (packages/connector-jira).
 *
 * Secrets never live here: only the NAMES of the environment variables that hold them.
 * Names of statuses, labels and issue types are matched case-insensitively.
 */

const names = lazySchema(() => z.array(z.string().min(1)))

/** Which issue types / labels / statuses put a Jira issue into a decision lifecycle stage. */
export const jiraDecisionMappingSchema = lazySchema(() =>
  z.strictObject({
    /** an issue is a decision when created with (or changed to) one of these types or labels, or enters one of these statuses */
    raised: z
      .strictObject({
        issueTypes: names.default(['Decision']),
        labels: names.default(['decision']),
        statuses: names.default(['Needs Decision']),
      })
      .default({ issueTypes: ['Decision'], labels: ['decision'], statuses: ['Needs Decision'] }),
    /** explicit escalation: entering one of these statuses or getting one of these labels */
    escalated: z
      .strictObject({ labels: names.default(['escalated']), statuses: names.default(['Escalated']) })
      .default({ labels: ['escalated'], statuses: ['Escalated'] }),
    /** the call: entering one of these statuses, by the changelog author at the changelog time */
    decided: z
      .strictObject({ statuses: names.default(['Decided', 'Approved', 'Accepted']) })
      .default({ statuses: ['Decided', 'Approved', 'Accepted'] }),
    rejected: z
      .strictObject({ statuses: names.default(['Rejected', 'Declined', "Won't Do"]) })
      .default({ statuses: ['Rejected', 'Declined', "Won't Do"] }),
    withdrawn: z
      .strictObject({ statuses: names.default(['Withdrawn']) })
      .default({ statuses: ['Withdrawn'] }),
    /**
     * who is expected to make the call: the issue's assignee, nobody, or the user in a user-picker
     * custom field (its id, e.g. `customfield_10050`; the first user of a multi-user picker)
     */
    expectedDecider: z
      .union([
        z.enum(['assignee', 'none']),
        z
          .string()
          .regex(
            /^customfield_\d+$/,
            'expected assignee, none or a custom field id such as customfield_10050',
          ),
      ])
      .default('assignee'),
  }),
)
export type JiraDecisionMapping = z.infer<typeof jiraDecisionMappingSchema>

/** A Jira issue link type; `outward` is what the source issue does to the destination ("blocks"). */
export const jiraLinkTypeSchema = lazySchema(() =>
  z.strictObject({
    name: z.string().min(1),
    outward: z.string().min(1),
    inward: z.string().min(1),
  }),
)

const DEFAULT_LINK_TYPES = [{ name: 'Blocks', outward: 'blocks', inward: 'is blocked by' }]

/** Source scope → team. A team is a manager's email, a unit id (`u:<email>`) or a unit name: passed through. */
export const jiraTeamRuleSchema = lazySchema(() =>
  z
    .strictObject({
      team: z.string().min(1),
      /** project keys; empty = any project */
      projects: z.array(z.string().min(1)).default([]),
      /** component names; empty = the whole project. Component rules win over project-wide ones. */
      components: names.default([]),
    })
    .refine((r) => r.projects.length > 0 || r.components.length > 0, {
      message: 'a team rule needs projects, components or both',
    }),
)
export type JiraTeamRule = z.infer<typeof jiraTeamRuleSchema>

/**
 * Webhook delivery and its registration at Jira. Registration runs at the start of every pull
 * (`ingest jira`, `ingest watch`, `start`, the ingest-jira service) and is idempotent.
 */
export const jiraWebhookConfigSchema = lazySchema(() =>
  z.strictObject({
    /** the shared secret deliveries are signed with (HMAC-SHA256, `X-Hub-Signature`) */
    secretEnv: z.string().min(1).default('JIRA_WEBHOOK_SECRET'),
    /**
     * admin: an admin webhook through `/rest/webhooks/1.0/webhook` (needs a site-admin credential;
     * signed with the secret, never expires). dynamic: `/rest/api/3/webhook` (30-day expiry, JWT
     * signed) is only open to OAuth 2.0 / Connect apps, which this connector does not authenticate
     * as: it reports itself off with that reason. off: register nothing (a webhook made by hand).
     */
    registration: z.enum(['admin', 'dynamic', 'off']).default('admin'),
    /** the public URL of orgpulse (the api, or ingest-jira in full mode) as Jira reaches it; Jira is given `<url>/webhooks/jira`. Unset → urlEnv */
    url: z.url().optional(),
    urlEnv: z.string().min(1).default('ORGPULSE_API_PUBLIC_URL'),
    /** the admin webhook's name in Jira (it is found again by its URL, not its name) */
    name: z.string().min(1).default('orgpulse'),
    /**
     * refuse deliveries whose payload `timestamp` is older than this many seconds. Unset (the
     * default): Jira retries a failed delivery with its original body for hours, and replays are
     * caught by the body's hash anyway; set it to bound what a captured body can still do.
     */
    maxAgeSeconds: z.number().int().positive().optional(),
  }),
)
export type JiraWebhookConfig = z.infer<typeof jiraWebhookConfigSchema>

const WORK_CATEGORIES = ['todo', 'in_progress', 'done', 'cancelled'] as const

export const jiraConfigSchema = lazySchema(() =>
  z.strictObject({
    /** e.g. https://acme.atlassian.net; unset → the variable named by baseUrlEnv */
    baseUrl: z.url().optional(),
    baseUrlEnv: z.string().min(1).default('JIRA_BASE_URL'),
    /** cloud: REST v3, email + API token (basic auth); datacenter: REST v2, personal access token (bearer) */
    deployment: z.enum(['cloud', 'datacenter']).default('cloud'),
    auth: z
      .strictObject({
        emailEnv: z.string().min(1).default('JIRA_EMAIL'),
        tokenEnv: z.string().min(1).default('JIRA_API_TOKEN'),
        patEnv: z.string().min(1).default('JIRA_PAT'),
      })
      .default({ emailEnv: 'JIRA_EMAIL', tokenEnv: 'JIRA_API_TOKEN', patEnv: 'JIRA_PAT' }),
    /** project keys to sync, each with its own cursor */
    projects: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected a Jira project key such as ENG'))
      .min(1),
    /** extra JQL ANDed to every query, e.g. `issuetype != Sub-task` */
    jql: z.string().optional(),
    sync: z
      .strictObject({
        /** incremental queries ask for `updated >= cursor - lag` (clock skew, slow indexing) */
        lagMinutes: z.number().int().min(0).default(15),
        pageSize: z.number().int().min(1).max(100).default(100),
        maxRetries: z.number().int().min(0).max(20).default(6),
        /** how to complete changelogs beyond the 20 inline histories */
        changelog: z.enum(['bulk', 'per-issue']).default('bulk'),
        /**
         * sprints of the projects' scrum boards become cycle snapshots (Jira Software's Agile API);
         * off for Jira Work Management sites, which have no boards
         */
        sprints: z.boolean().default(true),
        /**
         * each pull asks Jira whether the issues behind still-open decisions and blocking links exist
         * (100 keys a request): the incremental JQL never returns a deleted issue
         */
        reconcileDeletions: z.boolean().default(true),
      })
      .default({
        lagMinutes: 15,
        pageSize: 100,
        maxRetries: 6,
        changelog: 'bulk',
        sprints: true,
        reconcileDeletions: true,
      }),
    webhook: jiraWebhookConfigSchema.default(jiraWebhookConfigSchema.parse({})),
    decisions: jiraDecisionMappingSchema.default(jiraDecisionMappingSchema.parse({})),
    /** link types meaning "A blocks B" */
    blocking: z
      .strictObject({ linkTypes: z.array(jiraLinkTypeSchema).min(1).default(DEFAULT_LINK_TYPES) })
      .default({ linkTypes: DEFAULT_LINK_TYPES }),
    teams: z.array(jiraTeamRuleSchema).default([]),
    /** status name → category, for statuses whose Jira category is misleading or unknown */
    statusCategories: z.record(z.string(), z.enum(WORK_CATEGORIES)).default({}),
  }),
)
export type JiraConfig = z.infer<typeof jiraConfigSchema>
export type JiraConfigInput = z.input<typeof jiraConfigSchema>
