import { z } from 'zod'
import { calendarConfigSchema } from './config/calendar.ts'
import { clickhouseConfigSchema } from './config/clickhouse.ts'
import { digestConfigSchema } from './config/digest.ts'
import { hrConfigSchema } from './config/hr.ts'
import { jiraConfigSchema } from './config/jira.ts'
import { linearConfigSchema } from './config/linear.ts'
import { portfolioConfigSchema } from './config/portfolio.ts'
import { lazySchema } from './lazy-schema.ts'

export * from './config/calendar.ts'
export * from './config/clickhouse.ts'
export * from './config/digest.ts'
export * from './config/hr.ts'
export * from './config/jira.ts'
export * from './config/linear.ts'
export * from './config/portfolio.ts'

const hhmm = lazySchema(() => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'))

/** orgpulse.yaml. Secrets never live here: connectors read them from the environment. */
export const configSchema = lazySchema(() =>
  z.strictObject({
    privacy: z
      .strictObject({ minGroupSize: z.number().int().min(1).default(5) })
      .default({ minGroupSize: 5 }),
    workingHours: z
      .strictObject({
        start: hhmm.default('09:00'),
        end: hhmm.default('17:00'),
        /** ISO weekdays, Monday = 1 */
        days: z.array(z.number().int().min(1).max(7)).default([1, 2, 3, 4, 5]),
        /** used for people whose own time zone is unknown */
        timeZone: z.string().default('UTC'),
      })
      .default({ start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5], timeZone: 'UTC' }),
    identities: z
      .strictObject({
        /** explicit identity → person mapping, for sources that hide emails */
        aliases: z
          .array(z.strictObject({ identity: z.string().min(1), email: z.string().email() }))
          .default([]),
      })
      .default({ aliases: [] }),
    alerts: z
      .strictObject({
        /** fire when the share of the org's decisions made by the director reaches this */
        centralizationMax: z.number().min(0).max(1).default(0.3),
        /** fire when the escalation rate exceeds its baseline (previous 12 weeks) by this factor */
        escalationOverBaseline: z.number().positive().default(1.5),
        latencyP90MaxHours: z
          .number()
          .positive()
          .default(24 * 14),
        blockerMaxAgeDays: z.number().positive().default(14),
        /** fire when more configured rituals than this were held in none of the last 3 weeks' periods */
        ritualsStoppedMax: z.number().int().min(0).default(0),
        webhookUrlEnv: z.string().default('ORGPULSE_ALERT_WEBHOOK_URL'),
      })
      .default({
        centralizationMax: 0.3,
        escalationOverBaseline: 1.5,
        latencyP90MaxHours: 336,
        blockerMaxAgeDays: 14,
        ritualsStoppedMax: 0,
        webhookUrlEnv: 'ORGPULSE_ALERT_WEBHOOK_URL',
      }),
    jira: jiraConfigSchema.optional(),
    linear: linearConfigSchema.optional(),
    calendar: calendarConfigSchema.optional(),
    /** the review's portfolio view: tracker projects/epics → buckets or initiatives (config/portfolio.ts) */
    portfolio: portfolioConfigSchema.optional(),
    /** the weekly digest (`orgpulse digest send`, scheduled by `start` and `ingest watch`) */
    digest: digestConfigSchema.optional(),
    /** the HR source `org sync` keeps the org chart current from (config/hr.ts); absent: `org import` only */
    hr: hrConfigSchema
      .refine((h) => h.source !== 'bamboohr' || h.bamboohr !== undefined, {
        message: 'hr.source bamboohr needs hr.bamboohr.company',
      })
      .optional(),
    /** ClickHouse cluster mode (config/clickhouse.ts); absent: one node */
    clickhouse: clickhouseConfigSchema.optional(),
  }),
)
export type OrgpulseConfig = z.infer<typeof configSchema>
export type OrgpulseConfigInput = z.input<typeof configSchema>
