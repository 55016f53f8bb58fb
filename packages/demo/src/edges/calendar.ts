import { createHash } from 'node:crypto'
import type { CalendarConfigInput, CanonicalEventInput, MEETING_CLASSES } from '@orgpulse/contracts'
import type { FakeEvent, FakeGoogleCalendarSeed } from '@orgpulse/fakes/google-calendar'
import type { DemoCompany, DemoOutline } from '../generate.ts'

type Meeting = Extract<CanonicalEventInput, { type: 'meeting.held' }>
type MeetingClass = (typeof MEETING_CLASSES)[number]

export interface CalendarPlan {
  seed: FakeGoogleCalendarSeed
  /** whose calendars the sync reads: everybody in the company */
  people: string[]
  /** the classification part of the `calendar:` config section */
  config: Pick<CalendarConfigInput, 'internalDomains' | 'rituals' | 'rules'>
  /** every title put on a calendar: none may reach Kafka or ClickHouse */
  titles: string[]
}

/** "weekly product-engineering director sync" → "Weekly product-engineering director sync" */
const titleCase = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/**
 * What people call these meetings on their calendars ("Payments team sync", "1:1 Ada / Ben",
 * "Escalation review – Cleo Adams"). The connector sees only the title and the attendees and must
 * arrive at the class the generator meant: the demo's rules (below) and the default ones do that
 * for each of these titles. Names make each title distinctive, so a test can show that none of
 * them reaches a topic or a table.
 */
function titleFor(m: Meeting, names: ReadonlyMap<string, { name: string; team: string }>): string {
  const who = (email: string | undefined) => names.get((email ?? '').toLowerCase())
  const first = (email: string | undefined) => who(email)?.name.split(' ')[0] ?? 'someone'
  const other = (m.attendees ?? []).find((a) => a.person.toLowerCase() !== m.organizer.toLowerCase())
  const titles: Record<MeetingClass, () => string> = {
    team: () => `${who(m.organizer)?.team ?? 'Team'} team sync`,
    one_on_one: () => `1:1 ${first(m.organizer)} / ${first(other?.person)}`,
    escalation: () => `Escalation review – ${who(m.organizer)?.name ?? m.organizer}`,
    decision_review: () => `Decision review – ${who(m.organizer)?.name ?? m.organizer}`,
    cross_team: () => 'Cross-team planning',
    ritual: () => titleCase(m.ritual ?? 'ritual'),
    other: () => 'Catch-up',
    out_of_office: () => 'Out of office',
  }
  return titles[m.class]()
}

/** Google event ids use base32hex characters (a–v, 0–9): a hex digest qualifies */
const googleId = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 26)

/**
 * The demo's classification: the ritual by its title, then "team sync" as a team meeting
 * whatever its size (a two-person team's weekly meeting would otherwise look like a 1:1 to the
 * attendee-count rule), then the default rules (escalation, decision review and 1:1 by title,
 * then by attendee shape and org chart).
 */
export function demoCalendarRules(company: DemoOutline): CalendarPlan['config'] {
  const ritual = company.stories.stoppedRitual.name
  return {
    internalDomains: [company.domain],
    rituals: [{ name: ritual, cadence: 'weekly', titleKeywords: [ritual] }],
    // the defaults follow the custom rules
    rules: [{ class: 'team', titleKeywords: ['team sync'] }],
  }
}

/** whose calendars the demo syncs: everybody in any HR snapshot, as the connector keys them */
export function calendarPeople(company: DemoOutline): string[] {
  return [...new Set(company.snapshots.flatMap((s) => s.people.map((p) => p.email.toLowerCase())))].sort()
}

/**
 * The generator's meetings as Google Calendar events, one copy on the organiser's calendar and
 * one on each attendee's (as Google shows a meeting to everybody invited), with the responses
 * the generator drew. Every copy carries the same iCalUID, start and `updated`, so the
 * transformer keys them to one occurrence.
 */
export function calendarPlan(company: DemoCompany): CalendarPlan {
  const people = calendarPeople(company)
  const calendars: Record<string, FakeEvent[]> = Object.fromEntries(people.map((p) => [p, []]))
  const names = new Map(company.snapshots[0]?.people.map((p) => [p.email.toLowerCase(), p]) ?? [])
  const titles = new Set<string>()
  for (const e of company.events) {
    if (e.type !== 'meeting.held') continue
    const id = googleId(e.meetingId)
    const title = titleFor(e, names)
    titles.add(title)
    const organizer = e.organizer.toLowerCase()
    const event: FakeEvent = {
      id,
      status: e.cancelled ? 'cancelled' : 'confirmed',
      iCalUID: `${id}@google.com`,
      start: { dateTime: e.start, timeZone: 'UTC' },
      end: { dateTime: e.end, timeZone: 'UTC' },
      eventType: 'default',
      summary: title,
      organizer: { email: organizer },
      attendees: (e.attendees ?? []).map((a) => ({
        email: a.person,
        responseStatus: a.response,
        ...(a.person.toLowerCase() === organizer ? { organizer: true } : {}),
      })),
      updated: new Date(e.version).toISOString(),
      sequence: 0,
    }
    const owners = new Set([organizer, ...(e.attendees ?? []).map((a) => a.person.toLowerCase())])
    for (const owner of owners) {
      const list = calendars[owner] ?? []
      calendars[owner] = list
      list.push(
        owner === organizer
          ? event
          : {
              ...event,
              attendees: event.attendees?.map((a) => (a.email === owner ? { ...a, self: true } : a)),
            },
      )
    }
  }
  return { seed: { calendars }, people, config: demoCalendarRules(company), titles: [...titles].sort() }
}
