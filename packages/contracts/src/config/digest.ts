import { z } from 'zod'
import { lazySchema } from '../lazy-schema.ts'

const timeZone = lazySchema(() =>
  z.string().refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz })
        return true
      } catch {
        return false
      }
    },
    { message: 'expected an IANA time zone such as Europe/Berlin' },
  ),
)

/** where one director's digest goes; secrets (webhook URLs) only by the NAME of an env var */
export const digestDeliverySchema = lazySchema(() =>
  z.discriminatedUnion('kind', [
    /** a Slack incoming webhook (https://api.slack.com/messaging/webhooks), Block Kit message */
    z.strictObject({ kind: z.literal('slack'), webhookUrlEnv: z.string().min(1) }),
    /** an email through the SMTP relay of `digest.smtp` */
    z.strictObject({ kind: z.literal('email'), to: z.string().email() }),
    /** a generic webhook: the digest as one JSON document */
    z.strictObject({ kind: z.literal('webhook'), urlEnv: z.string().min(1) }),
  ]),
)
export type DigestDelivery = z.infer<typeof digestDeliverySchema>

export const digestDirectorSchema = lazySchema(() =>
  z.strictObject({
    /** the director (a manager of managers in the org chart): the digest holds only their org */
    email: z.string().email(),
    /** overrides of digest.day / hour / timeZone for this director */
    day: z.number().int().min(1).max(7).optional(),
    hour: z.number().int().min(0).max(23).optional(),
    timeZone: timeZone.optional(),
    deliver: z.array(digestDeliverySchema).min(1),
  }),
)
export type DigestDirector = z.infer<typeof digestDirectorSchema>

export const digestConfigSchema = lazySchema(() =>
  z.strictObject({
    /** where the built-in pages are reached: every line of a digest links below it */
    baseUrl: z.string().url().default('http://127.0.0.1:3000'),
    /** ISO weekday the digest goes out (Monday = 1), at `hour` o'clock in `timeZone` */
    day: z.number().int().min(1).max(7).default(1),
    hour: z.number().int().min(0).max(23).default(8),
    timeZone: timeZone.default('UTC'),
    smtp: z
      .strictObject({
        /** env var NAME holding the relay URL, e.g. smtps://user:pass@smtp.example.com:465 */
        urlEnv: z.string().min(1).default('ORGPULSE_DIGEST_SMTP_URL'),
        from: z.string().min(1).default('orgpulse <orgpulse@localhost>'),
      })
      .default({ urlEnv: 'ORGPULSE_DIGEST_SMTP_URL', from: 'orgpulse <orgpulse@localhost>' }),
    directors: z.array(digestDirectorSchema).default([]),
  }),
)
export type DigestConfig = z.infer<typeof digestConfigSchema>
