import { type CalendarConfig, type RawEnvelope, syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import { type Classification, classifyMeeting, type OrgLookup, stamped } from '../classify.ts'
import { type CalendarEvent, meetingShape } from '../payload.ts'

/**
 * An event's class, decided here because the title is read here and goes no further (DESIGN
 * "Privacy"); `classifiedAt` (a re-read) makes it a newer version of the stored one.
 */
export const classifyEvent = (
  event: CalendarEvent,
  calendarOf: string,
  rules: { calendar: CalendarConfig; org: OrgLookup; classifiedAt?: string | undefined },
): Classification =>
  stamped(classifyMeeting(meetingShape(event, calendarOf), rules.calendar, rules.org), rules.classifiedAt)

/**
 * What a completed read of one calendar covers: `full` and `range` its listing's window (a range
 * is a re-read beside the sync: the window and no more), `incremental` the changes up to now.
 */
export type Coverage = { mode: 'full' | 'range'; from: string; to: string } | { mode: 'incremental' }

/**
 * Published once a calendar was read completely, behind its records (so it is stored after
 * them): downstream, a person's meeting figures count only over windows their calendar covers.
 */
export function publishCoverage(
  bus: Bus,
  calendar: string,
  coverage: Coverage,
  syncedAt: string,
): Promise<void> {
  const scope = { scopeKind: 'calendar' as const, scope: calendar }
  const envelope: RawEnvelope = syncedEnvelope(
    'calendar',
    coverage.mode === 'incremental'
      ? { ...scope, mode: 'incremental', coveredFrom: syncedAt, coveredTo: syncedAt }
      : { ...scope, mode: coverage.mode, coveredFrom: coverage.from, coveredTo: coverage.to },
    syncedAt,
  )
  return publishRaw(bus, [envelope])
}
