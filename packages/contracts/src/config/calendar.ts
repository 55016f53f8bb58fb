import { z } from 'zod'

/** `calendar:` section of orgpulse.yaml. Owned by the calendar connector (services/ingest-calendar). */
export const calendarConfigSchema = z.object({}).passthrough()
export type CalendarConfig = z.infer<typeof calendarConfigSchema>
