import { z } from 'zod'
import { MEETING_CLASSES } from '../events.ts'
import { lazySchema } from '../lazy-schema.ts'

/**
 * `calendar:` section of orgpulse.yaml. Owned by the calendar connector (packages/connector-calendar).
 *
 * Meetings are classified in the ingest service (titles never leave it, DESIGN "Privacy"), so the
 * classification rules live here: rituals first, then `rules` in order (first match wins), then
 * the default rules (unless `defaultRules: false`), then
 * `other`. Secrets are never in this file: only the NAME of the environment variable holding the
 * Google service-account key.
 */

export const CADENCES = ['weekly', 'biweekly', 'monthly', 'quarterly'] as const
export type Cadence = (typeof CADENCES)[number]

/** Who attends, relative to the org chart: what a rule can require beyond keywords and counts. */
export const RELATIONSHIPS = ['any', 'manager_report', 'same_team', 'cross_team'] as const

const keywords = lazySchema(() => z.array(z.string().trim().min(1)).default([]))

export const meetingRuleSchema = lazySchema(() =>
  z
    .strictObject({
      class: z.enum(MEETING_CLASSES).exclude(['ritual']),
      /** case-insensitive substrings of the title; any one matches (empty: the title is not consulted) */
      titleKeywords: keywords,
      /** bounds on human participants (organizer + attendees, rooms and resources excluded) */
      minAttendees: z.number().int().min(1).optional(),
      maxAttendees: z.number().int().min(1).optional(),
      relationship: z.enum(RELATIONSHIPS).default('any'),
    })
    .refine(
      (r) => r.minAttendees === undefined || r.maxAttendees === undefined || r.minAttendees <= r.maxAttendees,
      {
        message: 'minAttendees must not exceed maxAttendees',
      },
    ),
)
export type MeetingRule = z.infer<typeof meetingRuleSchema>

export const ritualSchema = lazySchema(() =>
  z.strictObject({
    /** e.g. "weekly product-engineering director sync"; stored on the meeting (class ritual) */
    name: z.string().trim().min(1),
    cadence: z.enum(CADENCES),
    /** title substrings that identify the ritual (case-insensitive); defaults to the name itself */
    titleKeywords: keywords,
    /**
     * the person (email) or team (unit id / manager email / unit name) that runs it: the ritual is
     * expected in every scope containing that person's home unit. Unset: expected in every scope.
     */
    owner: z.string().trim().min(1).optional(),
  }),
)
export type Ritual = z.infer<typeof ritualSchema>

/** Used when the config gives no `rules`: keyword classes first, then attendee shape, then the org chart. */
export const DEFAULT_MEETING_RULES: z.input<typeof meetingRuleSchema>[] = [
  { class: 'escalation', titleKeywords: ['escalation', 'escalate', 'incident review'] },
  {
    class: 'decision_review',
    titleKeywords: [
      'decision review',
      'design review',
      'architecture review',
      'review board',
      'go/no-go',
      'go-no-go',
      'approval',
    ],
  },
  { class: 'one_on_one', titleKeywords: ['1:1', '1-1', '1on1', 'one on one'], maxAttendees: 2 },
  { class: 'one_on_one', minAttendees: 2, maxAttendees: 2 },
  { class: 'team', relationship: 'same_team', minAttendees: 3 },
  { class: 'cross_team', relationship: 'cross_team', minAttendees: 3 },
]

const emailSchema = lazySchema(() => z.string().trim().toLowerCase().pipe(z.email()))

export const googleCalendarConfigSchema = lazySchema(() =>
  z.strictObject({
    /** environment variable holding the service-account key JSON (or a path to the key file) */
    serviceAccountKeyEnv: z.string().default('GOOGLE_SERVICE_ACCOUNT_KEY'),
    /** API root; only changed to point at a fake or a proxy */
    rootUrl: z.url().default('https://www.googleapis.com/'),
    /** whose calendars to read (domain-wide delegation subject); unset: everybody in the latest org snapshot */
    people: z.array(emailSchema).optional(),
    /** the initial (full) sync window, relative to now */
    initialDaysBack: z.number().int().min(0).default(90),
    initialDaysAhead: z.number().int().min(0).default(28),
    pageSize: z.number().int().min(1).max(2500).default(250),
    /** retries on rate limits (403 usageLimits / 429) and 5xx before giving up on a calendar */
    maxRetries: z.number().int().min(0).default(6),
  }),
)
export type GoogleCalendarConfig = z.infer<typeof googleCalendarConfigSchema>

/**
 * Microsoft 365 (Exchange Online) calendars through Microsoft Graph, app-only: the app's tenant id,
 * client id and secret or certificate come from the environment (MSGRAPH_TENANT_ID,
 * MSGRAPH_CLIENT_ID, MSGRAPH_CLIENT_SECRET or MSGRAPH_CLIENT_CERTIFICATE), never from this file.
 */
export const microsoft365CalendarConfigSchema = lazySchema(() =>
  z.strictObject({
    /** Graph root; only changed to point at a fake, a proxy or a national cloud */
    graphUrl: z.url().default('https://graph.microsoft.com/v1.0/'),
    /** the Microsoft identity platform's root (the token endpoint is {authorityUrl}{tenant}/oauth2/v2.0/token) */
    authorityUrl: z.url().default('https://login.microsoftonline.com/'),
    /** whose mailboxes to read (email = user principal name); unset: everybody in the latest org snapshot */
    people: z.array(emailSchema).optional(),
    /** the window of a delta round (calendarView is bounded), relative to the round's start */
    initialDaysBack: z.number().int().min(0).default(90),
    initialDaysAhead: z.number().int().min(1).default(28),
    /** events per page (`Prefer: odata.maxpagesize`) */
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** retries on throttling (429) and 503/504 before giving up on a mailbox */
    maxRetries: z.number().int().min(0).default(6),
    /** mailboxes read at once */
    concurrency: z.number().int().min(1).max(32).default(4),
    /** requests in flight per mailbox (Outlook allows 4 per app and mailbox) */
    mailboxConcurrency: z.number().int().min(1).max(4).default(4),
  }),
)
export type Microsoft365CalendarConfig = z.infer<typeof microsoft365CalendarConfigSchema>

export const icsFeedSchema = lazySchema(() =>
  z
    .strictObject({
      url: z.url().optional(),
      file: z.string().min(1).optional(),
      /** whose calendar the feed is */
      owner: emailSchema,
    })
    .refine((f) => (f.url === undefined) !== (f.file === undefined), {
      message: 'give exactly one of url or file',
    }),
)

export const calendarConfigSchema = lazySchema(() => {
  const parsedDefaultRules = DEFAULT_MEETING_RULES.map((r) => meetingRuleSchema.parse(r))
  return (
    z
      .strictObject({
        /** email domains of the organisation; other attendees are counted as external, never identified */
        internalDomains: z.array(z.string().trim().toLowerCase().min(1)).default([]),
        google: googleCalendarConfigSchema.optional(),
        microsoft365: microsoft365CalendarConfigSchema.optional(),
        ics: z.array(icsFeedSchema).default([]),
        rituals: z.array(ritualSchema).default([]),
        /** custom classification rules: tried in order before the defaults (first match wins) */
        rules: z.array(meetingRuleSchema).default([]),
        /** false: only `rules` (then `other`), without the default rules after them */
        defaultRules: z.boolean().default(true),
        /**
         * the share of a group's people whose own calendar must be synced for a window before the
         * group's per-person meeting figures are shown (below it: null, reason partial_coverage)
         */
        minCoverage: z.number().min(0).max(1).default(0.8),
      })
      // `rules` as parsed are the rules that apply: the custom ones first, the defaults after them
      .transform((c) => ({ ...c, rules: c.defaultRules ? [...c.rules, ...parsedDefaultRules] : c.rules }))
  )
})
export type CalendarConfig = z.infer<typeof calendarConfigSchema>
export type CalendarConfigInput = z.input<typeof calendarConfigSchema>
