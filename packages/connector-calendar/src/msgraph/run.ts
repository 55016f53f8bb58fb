import { type ClickHouseClient, CursorStore } from '@orgpulse/clickhouse'
import { calendarConfigSchema, type NamedEnv, type OrgpulseConfig } from '@orgpulse/contracts'
import type { Bus, Durable } from '@orgpulse/kafka'
import { ClientCredentialsTokens, loadGraphApp } from '@orgpulse/msgraph'
import type { RetryNotice } from '../google/api.ts'
import type { CursorPort, SyncProgress } from '../google/sync.ts'
import { loadOrgLookup, orgEmails } from '../org.ts'
import { CalendarConfigError } from '../run.ts'
import { GraphCalendarApi } from './api.ts'
import { type MailboxSyncResult, type Microsoft365SyncOptions, syncMicrosoft365Calendars } from './sync.ts'

export interface Microsoft365IngestOptions {
  bus: Bus
  /** awaited before a delta link is stored (Runtime.durable) */
  durable: Durable
  client: ClickHouseClient
  config: OrgpulseConfig
  /** where MSGRAPH_TENANT_ID, MSGRAPH_CLIENT_ID and the secret or certificate are read */
  env: NamedEnv
  /** only these mailboxes (default: calendar.microsoft365.people, else everybody in the latest org snapshot) */
  people?: string[]
  fetchImpl?: typeof fetch
  baseDelayMs?: number
  /** where delta links live (default: the ingest_cursors table) */
  cursors?: CursorPort
  now?: () => Date
  onProgress?: (p: SyncProgress) => void
  onRetry?: (n: RetryNotice) => void
  reread?: Microsoft365SyncOptions['reread']
}

/** `orgpulse ingest calendar`: the org-wide Microsoft 365 sync as configured in orgpulse.yaml. */
export async function ingestMicrosoft365Calendar(
  opts: Microsoft365IngestOptions,
): Promise<MailboxSyncResult[]> {
  const calendar = opts.config.calendar ?? calendarConfigSchema.parse({})
  const m365 = calendar.microsoft365
  if (!m365) throw new CalendarConfigError('orgpulse.yaml has no calendar.microsoft365 section')
  const tokens = new ClientCredentialsTokens(loadGraphApp(opts.env), m365.authorityUrl, opts.fetchImpl)
  const api = new GraphCalendarApi({
    graphUrl: m365.graphUrl,
    tokens,
    maxRetries: m365.maxRetries,
    pageSize: m365.pageSize,
    mailboxConcurrency: m365.mailboxConcurrency,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
    ...(opts.baseDelayMs !== undefined ? { baseDelayMs: opts.baseDelayMs } : {}),
    ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
  })
  const people = opts.people ?? m365.people ?? (await orgEmails(opts.client))
  if (people.length === 0) {
    throw new CalendarConfigError(
      'no mailboxes to read: import the org first (orgpulse org import) or list calendar.microsoft365.people',
    )
  }
  return syncMicrosoft365Calendars({
    bus: opts.bus,
    durable: opts.durable,
    cursors: opts.cursors ?? new CursorStore(opts.client),
    api,
    calendar,
    m365,
    org: await loadOrgLookup(opts.client),
    people,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.reread ? { reread: opts.reread } : {}),
  })
}
