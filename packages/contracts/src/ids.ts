import { createHash } from 'node:crypto'

/**
 * Deterministic event id: the same source change always hashes to the same id, so a replay,
 * a webhook and a later poll of one change all collapse to one row downstream.
 */
export function eventId(source: string, entityId: string, changeId: string): string {
  return createHash('sha256').update(`${source}\u0000${entityId}\u0000${changeId}`).digest('hex').slice(0, 32)
}
