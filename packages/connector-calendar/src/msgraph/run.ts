import { ClientCredentialsTokens, loadGraphApp } from '@orgpulse/msgraph'
import {
  type CalendarIngestOptions,
  calendarSyncInputs,
  retryOptions,
  vendorSection,
} from '../source/ingest.ts'
import { GraphCalendarApi } from './api.ts'
import { type MailboxSyncResult, syncMicrosoft365Calendars } from './sync.ts'

/** The app's credentials are read from MSGRAPH_TENANT_ID, MSGRAPH_CLIENT_ID and the secret or certificate. */
export type Microsoft365IngestOptions = CalendarIngestOptions

const NO_SECTION = 'orgpulse.yaml has no calendar.microsoft365 section'
const NO_MAILBOXES =
  'no mailboxes to read: import the org first (orgpulse org import) or list calendar.microsoft365.people'

/** `orgpulse ingest calendar`: the org-wide Microsoft 365 sync as configured in orgpulse.yaml. */
export async function ingestMicrosoft365Calendar(
  opts: Microsoft365IngestOptions,
): Promise<MailboxSyncResult[]> {
  const { calendar, section: m365 } = vendorSection(opts.config, 'microsoft365', NO_SECTION)
  const tokens = new ClientCredentialsTokens(loadGraphApp(opts.env), m365.authorityUrl, opts.fetchImpl)
  const api = new GraphCalendarApi({
    graphUrl: m365.graphUrl,
    tokens,
    pageSize: m365.pageSize,
    mailboxConcurrency: m365.mailboxConcurrency,
    ...retryOptions(opts, m365),
  })
  const inputs = await calendarSyncInputs(opts, calendar, m365.people, NO_MAILBOXES)
  return syncMicrosoft365Calendars({ ...inputs, api, m365 })
}
