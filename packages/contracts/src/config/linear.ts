import { z } from 'zod'

/** `linear:` section of orgpulse.yaml. Owned by the Linear connector (services/ingest-linear). */
export const linearConfigSchema = z.object({}).passthrough()
export type LinearConfig = z.infer<typeof linearConfigSchema>
