import { type ClickHouseClient, CursorStore } from '@orgpulse/clickhouse'
import {
  type CalendarConfig,
  calendarConfigSchema,
  type NamedEnv,
  type OrgpulseConfig,
  OrgpulseError,
} from '@orgpulse/contracts'
import type { Bus, Durable } from '@orgpulse/kafka'
import type { OrgLookup } from '../classify.ts'
import { loadOrgLookup, orgEmails } from '../org.ts'
import type { RetryNotice, RetryOptions } from './authorized-http.ts'
import type { CursorPort } from './cursors.ts'
import type { SyncProgress } from './each-calendar.ts'

export class CalendarConfigError extends OrgpulseError {
  constructor(message: string) {
    super('config', message)
  }
}

/**
 * A re-read with the current rules (`calendar reclassify`, or a changed rule set): every calendar
 * is listed in full over `window`, whatever its cursor, and each occurrence carries
 * `classifiedAt`, so it replaces the stored one as a newer version. `storeCursors: false` reads
 * beside the sync (the stored cursors stay as they are, the coverage is the window itself).
 */
export interface RereadRequest {
  window: { from: Date; to: Date }
  classifiedAt: string
  storeCursors: boolean
}

/** What `orgpulse ingest calendar` hands a vendor's ingest, whichever the vendor. */
export interface CalendarIngestOptions {
  bus: Bus
  /** awaited before a cursor (sync token, delta link) is stored (Runtime.durable) */
  durable: Durable
  client: ClickHouseClient
  config: OrgpulseConfig
  /** where the vendor's credentials are read (variables named in orgpulse.yaml, or MSGRAPH_*) */
  env: NamedEnv
  /** only these people (default: the vendor section's `people`, else everybody in the latest org snapshot) */
  people?: string[]
  fetchImpl?: typeof fetch
  baseDelayMs?: number
  /** where cursors live (default: the ingest_cursors table) */
  cursors?: CursorPort
  /** the clock the initial window is relative to */
  now?: () => Date
  onProgress?: (p: SyncProgress) => void
  onRetry?: (n: RetryNotice) => void
  reread?: RereadRequest
}

/** What every vendor's sync takes beside its API client and its own config section. */
export interface CalendarSyncInputs {
  bus: Bus
  cursors: CursorPort
  /** awaited before a cursor is stored: until what it covers is durable (Runtime.durable) */
  durable: Durable
  calendar: CalendarConfig
  org: OrgLookup
  people: string[]
  now?: () => Date
  onProgress?: (p: SyncProgress) => void
  reread?: RereadRequest
}

/**
 * `calendar:` as parsed (its defaults when orgpulse.yaml has none) and the vendor's section of it;
 * no such section is a config error saying `missing`.
 */
export function vendorSection<K extends 'google' | 'microsoft365'>(
  config: OrgpulseConfig,
  vendor: K,
  missing: string,
): { calendar: CalendarConfig; section: NonNullable<CalendarConfig[K]> } {
  const calendar = config.calendar ?? calendarConfigSchema.parse({})
  const section = calendar[vendor]
  if (!section) throw new CalendarConfigError(missing)
  return { calendar, section }
}

/** How the vendor's API client retries: its section's maxRetries, and the hooks the caller set. */
export const retryOptions = (opts: CalendarIngestOptions, section: { maxRetries: number }): RetryOptions => ({
  maxRetries: section.maxRetries,
  ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  ...(opts.baseDelayMs !== undefined ? { baseDelayMs: opts.baseDelayMs } : {}),
  ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
})

/**
 * The sync's inputs: the calendars to read (the caller's, else the vendor section's `people`,
 * else everybody in the latest org snapshot; none is a config error saying `none`), the org the
 * rules classify against, and the cursors.
 */
export async function calendarSyncInputs(
  opts: CalendarIngestOptions,
  calendar: CalendarConfig,
  configured: string[] | undefined,
  none: string,
): Promise<CalendarSyncInputs> {
  const people = opts.people ?? configured ?? (await orgEmails(opts.client))
  if (people.length === 0) throw new CalendarConfigError(none)
  return {
    bus: opts.bus,
    durable: opts.durable,
    cursors: opts.cursors ?? new CursorStore(opts.client),
    calendar,
    org: await loadOrgLookup(opts.client),
    people,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.reread ? { reread: opts.reread } : {}),
  }
}
