import { z } from 'zod'
import { SOURCES } from './topics.ts'

/** What ingest services publish, unchanged from the source (calendar titles excepted), to raw topics. */
export const rawEnvelopeSchema = z.object({
  source: z.enum(SOURCES),
  /** kind of source entity: decision, issue, changelog, issuelink, webhook, cycle, event, ... */
  entity: z.string().min(1),
  sourceId: z.string().min(1),
  fetchedAt: z.string(),
  /** connector-specific context the transformer needs (instance, project, calendar owner, ...) */
  meta: z.record(z.string(), z.unknown()).optional(),
  payload: z.unknown(),
})
export type RawEnvelope = z.infer<typeof rawEnvelopeSchema>

/** A record the pipeline could not process, with enough context to find and replay it. */
export const dlqRecordSchema = z.object({
  reason: z.string(),
  stage: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  /** the original bytes, base64 */
  value: z.string(),
  failedAt: z.string(),
})
export type DlqRecord = z.infer<typeof dlqRecordSchema>
