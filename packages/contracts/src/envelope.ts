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

/**
 * The raw record a connector publishes after a sync, behind the records it read (entity
 * `synced`, the same on every source): the transformer turns it into a `source.synced` event.
 */
export interface SyncedPayload {
  scopeKind: 'calendar' | 'project' | 'team'
  scope: string
  mode: 'full' | 'incremental' | 'range'
  /** ISO instants; null: from the beginning (trackers are read whole) */
  coveredFrom: string | null
  coveredTo: string
  teams?: string[]
}

export const syncedPayloadSchema = z.object({
  scopeKind: z.enum(['calendar', 'project', 'team']),
  scope: z.string().min(1),
  mode: z.enum(['full', 'incremental', 'range']),
  coveredFrom: z.string().nullable(),
  coveredTo: z.string(),
  teams: z.array(z.string().min(1)).default([]),
})

export function syncedEnvelope(
  source: RawEnvelope['source'],
  payload: SyncedPayload,
  fetchedAt = new Date().toISOString(),
): RawEnvelope {
  return {
    source,
    entity: 'synced',
    sourceId: `synced:${payload.scopeKind}:${payload.scope}`,
    fetchedAt,
    payload,
  }
}
