import { type ClickHouseClient, CursorStore } from '@orgpulse/clickhouse'
import { calendarConfigSchema, type NamedEnv, type OrgpulseConfig, OrgpulseError } from '@orgpulse/contracts'
import type { Bus, Durable } from '@orgpulse/kafka'
import { GoogleCalendarApi, type RetryNotice } from './google/api.ts'
import { loadServiceAccountKey, ServiceAccountTokens } from './google/auth.ts'
import {
  type CursorPort,
  type GoogleSyncOptions,
  type PersonSyncResult,
  type SyncProgress,
  syncGoogleCalendars,
} from './google/sync.ts'
import { loadOrgLookup, orgEmails } from './org.ts'

export interface GoogleIngestOptions {
  bus: Bus
  /** awaited before a sync token is stored (Runtime.durable) */
  durable: Durable
  client: ClickHouseClient
  config: OrgpulseConfig
  /** where the service-account key variable (calendar.google.serviceAccountKeyEnv) is read */
  env: NamedEnv
  /** only these people (default: calendar.google.people, else everybody in the latest org snapshot) */
  people?: string[]
  fetchImpl?: typeof fetch
  baseDelayMs?: number
  /** where sync tokens live (default: the ingest_cursors table) */
  cursors?: CursorPort
  /** the clock the initial window is relative to */
  now?: () => Date
  onProgress?: (p: SyncProgress) => void
  onRetry?: (n: RetryNotice) => void
  /** a re-read with the current rules over a window (see GoogleSyncOptions.reread) */
  reread?: GoogleSyncOptions['reread']
}

export class CalendarConfigError extends OrgpulseError {
  constructor(message: string) {
    super('config', message)
  }
}

/** `orgpulse ingest calendar`: the org-wide Google Calendar sync as configured in orgpulse.yaml. */
export async function ingestGoogleCalendar(opts: GoogleIngestOptions): Promise<PersonSyncResult[]> {
  const calendar = opts.config.calendar ?? calendarConfigSchema.parse({})
  const google = calendar.google
  if (!google) {
    throw new CalendarConfigError(
      'orgpulse.yaml has no calendar.google section: add one, or import ICS with --ics FILE|URL --owner EMAIL',
    )
  }
  const key = loadServiceAccountKey(google.serviceAccountKeyEnv, opts.env)
  const tokens = new ServiceAccountTokens(key, undefined, opts.fetchImpl)
  const api = new GoogleCalendarApi({
    rootUrl: google.rootUrl,
    tokens,
    maxRetries: google.maxRetries,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
    ...(opts.baseDelayMs !== undefined ? { baseDelayMs: opts.baseDelayMs } : {}),
    ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
  })
  const people = opts.people ?? google.people ?? (await orgEmails(opts.client))
  if (people.length === 0) {
    throw new CalendarConfigError(
      'no calendars to read: import the org first (orgpulse org import) or list calendar.google.people',
    )
  }
  return syncGoogleCalendars({
    bus: opts.bus,
    durable: opts.durable,
    cursors: opts.cursors ?? new CursorStore(opts.client),
    api,
    calendar,
    google,
    org: await loadOrgLookup(opts.client),
    people,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.reread ? { reread: opts.reread } : {}),
  })
}
