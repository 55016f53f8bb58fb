import { hash } from 'node:crypto'

/**
 * Deterministic event id: the same source change always hashes to the same id, so a replay,
 * a webhook and a later poll of one change all collapse to one row downstream.
 */
export function eventId(source: string, entityId: string, changeId: string): string {
  // the one-shot hash: the same bytes and digest as createHash().update().digest(), without a Hash object per id
  return hash('sha256', `${source}\u0000${entityId}\u0000${changeId}`, 'hex').slice(0, 32)
}
