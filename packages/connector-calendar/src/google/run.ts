import type { PersonSyncResult } from '../source/each-calendar.ts'
import {
  type CalendarIngestOptions,
  calendarSyncInputs,
  retryOptions,
  vendorSection,
} from '../source/ingest.ts'
import { GoogleCalendarApi } from './api.ts'
import { loadServiceAccountKey, ServiceAccountTokens } from './auth.ts'
import { syncGoogleCalendars } from './sync.ts'

/** The service-account key is read from the variable calendar.google.serviceAccountKeyEnv names. */
export type GoogleIngestOptions = CalendarIngestOptions

const NO_SECTION =
  'orgpulse.yaml has no calendar.google section: add one, or import ICS with --ics FILE|URL --owner EMAIL'
const NO_CALENDARS =
  'no calendars to read: import the org first (orgpulse org import) or list calendar.google.people'

/** `orgpulse ingest calendar`: the org-wide Google Calendar sync as configured in orgpulse.yaml. */
export async function ingestGoogleCalendar(opts: GoogleIngestOptions): Promise<PersonSyncResult[]> {
  const { calendar, section: google } = vendorSection(opts.config, 'google', NO_SECTION)
  const key = loadServiceAccountKey(google.serviceAccountKeyEnv, opts.env)
  const tokens = new ServiceAccountTokens(key, undefined, opts.fetchImpl)
  const api = new GoogleCalendarApi({ rootUrl: google.rootUrl, tokens, ...retryOptions(opts, google) })
  const inputs = await calendarSyncInputs(opts, calendar, google.people, NO_CALENDARS)
  return syncGoogleCalendars({ ...inputs, api, google })
}
