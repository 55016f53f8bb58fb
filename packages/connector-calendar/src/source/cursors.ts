import { createHash } from 'node:crypto'
import type { CalendarConfig } from '@orgpulse/contracts'
import type { Durable } from '@orgpulse/kafka'

/** The part of CursorStore (@orgpulse/clickhouse) a calendar sync uses. */
export interface CursorPort {
  get(connector: string, scope: string): Promise<{ cursor: string; configHash: string } | null>
  set(connector: string, scope: string, cursor: string, configHash?: string): Promise<void>
  clear(connector: string, scope?: string): Promise<void>
}

/**
 * The fingerprint of what the ingest service decides about a meeting before publishing it: the
 * classification rules (rituals, rules with the defaults as applied, defaultRules) and
 * internalDomains. No title goes into it. When it changes, what was published is stale: the
 * cursors' config hash no longer matches, and the connector re-reads the retained window
 * (see reread.ts).
 */
export function classificationHash(
  calendar: Pick<CalendarConfig, 'rules' | 'rituals' | 'defaultRules' | 'internalDomains'>,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        rules: calendar.rules,
        rituals: calendar.rituals,
        defaultRules: calendar.defaultRules,
        internalDomains: calendar.internalDomains,
      }),
    )
    .digest('hex')
    .slice(0, 16)
}

/**
 * Stores a calendar's cursor (a sync token, a delta link) only once everything it covers is
 * durable (acknowledged by Kafka; in embedded mode, written by the pipeline). Stored before, a
 * crash in between would lose what the bus had not kept; stored after, a crash re-reads, and the
 * deterministic event ids collapse the copies.
 */
export async function storeCursorWhenDurable(
  durable: Durable,
  cursors: CursorPort,
  at: { connector: string; scope: string },
  cursor: string,
  hash: string,
): Promise<void> {
  await durable()
  await cursors.set(at.connector, at.scope, cursor, hash)
}
