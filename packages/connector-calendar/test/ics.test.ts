import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expandIcs, unknownZonesOf } from '../src/ics.ts'
import type { CalendarEvent } from '../src/payload.ts'

/** Europe/Berlin rules under a Windows zone name, so only the VTIMEZONE can explain the offsets. */
const VTIMEZONE = `BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE`

/**
 * Weekly on Mondays 10:00 local from 2026-03-16, five times: 03-23 cancelled (override with
 * STATUS:CANCELLED), 04-06 moved to Tue 04-07 14:00, 04-13 removed by EXDATE.
 */
const series = (tzid: string) => `BEGIN:VEVENT
UID:weekly-sync@acme.com
DTSTAMP:20260301T000000Z
LAST-MODIFIED:20260310T120000Z
DTSTART;TZID=${tzid}:20260316T100000
DTEND;TZID=${tzid}:20260316T110000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5
EXDATE;TZID=${tzid}:20260413T100000
SUMMARY:Weekly product sync – Project Falcon
DESCRIPTION:confidential agenda
ORGANIZER;CN=Mgr:mailto:Mgr@acme.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:mgr@acme.com
ATTENDEE;PARTSTAT=DECLINED:mailto:ana@acme.com
ATTENDEE;PARTSTAT=TENTATIVE:mailto:guest@partner.io
ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-berlin@acme.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-sync@acme.com
DTSTAMP:20260301T000000Z
LAST-MODIFIED:20260320T120000Z
RECURRENCE-ID;TZID=${tzid}:20260323T100000
DTSTART;TZID=${tzid}:20260323T100000
DTEND;TZID=${tzid}:20260323T110000
STATUS:CANCELLED
SUMMARY:Weekly product sync
END:VEVENT
BEGIN:VEVENT
UID:weekly-sync@acme.com
DTSTAMP:20260301T000000Z
LAST-MODIFIED:20260401T120000Z
RECURRENCE-ID;TZID=${tzid}:20260406T100000
DTSTART;TZID=${tzid}:20260407T140000
DTEND;TZID=${tzid}:20260407T150000
SUMMARY:Weekly product sync (moved)
ORGANIZER:mailto:mgr@acme.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:mgr@acme.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@acme.com
END:VEVENT`

const ALL_DAY = `BEGIN:VEVENT
UID:offsite@acme.com
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260326
DTEND;VALUE=DATE:20260327
SUMMARY:Offsite
ORGANIZER:mailto:dir@acme.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@acme.com
END:VEVENT`

const OCTOBER = `BEGIN:VEVENT
UID:autumn@acme.com
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20261019T100000
DTEND;TZID=Europe/Berlin:20261019T103000
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:Autumn weekly
ORGANIZER:mailto:dir@acme.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:mgr@acme.com
END:VEVENT`

const doc = (...parts: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...parts, 'END:VCALENDAR'].join('\r\n')
const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-12-31T00:00:00Z') }

const byOriginal = (events: CalendarEvent[], uid: string) =>
  Object.fromEntries(
    events
      .filter((e) => e.iCalUID === uid)
      .map((e) => [e.originalStartTime?.dateTime ?? e.originalStartTime?.date, e]),
  )

describe.each([
  ['a VTIMEZONE definition', doc(VTIMEZONE, series('W. Europe Standard Time'), ALL_DAY, OCTOBER)],
  ['a bare IANA TZID', doc(series('Europe/Berlin'), ALL_DAY, OCTOBER)],
])('ICS expansion with %s', (_label, text) => {
  const events = expandIcs(text, { window, defaultZone: 'UTC' })
  const weekly = byOriginal(events, 'weekly-sync@acme.com')

  it('expands the RRULE in local time across the DST change (10:00 Berlin = 09:00Z, then 08:00Z)', () => {
    expect(Object.keys(weekly).sort()).toEqual([
      '2026-03-16T09:00:00.000Z',
      '2026-03-23T09:00:00.000Z',
      '2026-03-30T08:00:00.000Z',
      '2026-04-06T08:00:00.000Z',
      '2026-04-13T08:00:00.000Z',
    ])
    expect(weekly['2026-03-16T09:00:00.000Z']?.start).toEqual({ dateTime: '2026-03-16T09:00:00.000Z' })
    expect(weekly['2026-03-30T08:00:00.000Z']?.end).toEqual({ dateTime: '2026-03-30T09:00:00.000Z' })
    const autumn = byOriginal(events, 'autumn@acme.com')
    expect(Object.keys(autumn).sort()).toEqual(['2026-10-19T08:00:00.000Z', '2026-10-26T09:00:00.000Z'])
  })

  it('a RECURRENCE-ID override with STATUS:CANCELLED cancels that occurrence', () => {
    expect(weekly['2026-03-23T09:00:00.000Z']?.status).toBe('cancelled')
    expect(weekly['2026-03-16T09:00:00.000Z']?.status).toBe('confirmed')
  })

  it('a moved occurrence keeps its original slot as identity and carries its own times and attendees', () => {
    const moved = weekly['2026-04-06T08:00:00.000Z']
    expect(moved?.start).toEqual({ dateTime: '2026-04-07T12:00:00.000Z' })
    expect(moved?.end).toEqual({ dateTime: '2026-04-07T13:00:00.000Z' })
    expect(
      moved?.attendees?.map((a: { email?: string; responseStatus?: string }) => [a.email, a.responseStatus]),
    ).toEqual([
      ['mgr@acme.com', 'accepted'],
      ['ana@acme.com', 'accepted'],
    ])
    expect(moved?.updated).toBe('2026-04-01T12:00:00.000Z')
  })

  it('an EXDATE is emitted as a cancelled occurrence, so an earlier import of that slot is replaced', () => {
    expect(weekly['2026-04-13T08:00:00.000Z']?.status).toBe('cancelled')
  })

  it('maps organiser, PARTSTAT and rooms', () => {
    const first = weekly['2026-03-16T09:00:00.000Z']
    expect(first?.organizer).toEqual({ email: 'mgr@acme.com' })
    expect(first?.attendees).toEqual([
      { email: 'mgr@acme.com', responseStatus: 'accepted', organizer: true },
      { email: 'ana@acme.com', responseStatus: 'declined' },
      { email: 'guest@partner.io', responseStatus: 'tentative' },
      { email: 'room-berlin@acme.com', responseStatus: 'accepted', resource: true },
    ])
    expect(first?.iCalUID).toBe('weekly-sync@acme.com')
  })

  it('keeps all-day events as dates', () => {
    const [offsite] = events.filter((e) => e.iCalUID === 'offsite@acme.com')
    expect(offsite?.start).toEqual({ date: '2026-03-26' })
    expect(offsite?.end).toEqual({ date: '2026-03-27' })
  })
})

describe('ICS window and errors', () => {
  it('only returns occurrences inside the window', () => {
    const events = expandIcs(doc(series('Europe/Berlin')), {
      window: { from: new Date('2026-03-29T00:00:00Z'), to: new Date('2026-04-05T00:00:00Z') },
      defaultZone: 'UTC',
    })
    expect(events.map((e) => e.originalStartTime?.dateTime)).toEqual(['2026-03-30T08:00:00.000Z'])
  })

  it('says what is wrong with a document that is not iCalendar', () => {
    expect(() => expandIcs('hello', { window, defaultZone: 'UTC' })).toThrow(/not an iCalendar document/)
  })
})

describe('an Outlook export with Windows TZIDs and no VTIMEZONE (fixtures/README.md)', () => {
  const text = readFileSync(join(import.meta.dirname, 'fixtures', 'outlook-windows-tzids.ics'), 'utf8')
  // UTC as the default zone: what the Windows names were silently read in before
  const events = expandIcs(text, { window, defaultZone: 'UTC' })
  const starts = events.map((e) => [e.summary, e.start, e.end])

  it('reads Windows zone names through CLDR: 10:00 W. Europe is 08:00Z, 10:00 Eastern 14:00Z (summer)', () => {
    expect(starts).toContainEqual([
      'Berlin standup',
      { dateTime: '2026-07-06T08:00:00.000Z' },
      { dateTime: '2026-07-06T09:00:00.000Z' },
    ])
    expect(starts).toContainEqual([
      'Berlin standup',
      { dateTime: '2026-07-07T08:00:00.000Z' },
      { dateTime: '2026-07-07T09:00:00.000Z' },
    ])
    expect(starts).toContainEqual([
      'New York sync',
      { dateTime: '2026-07-06T14:00:00.000Z' },
      { dateTime: '2026-07-06T15:00:00.000Z' },
    ])
  })

  it('keeps a TZID that names no zone as the wall time it is, in that zone: never shifted into the default one', () => {
    const vendor = events.find((e) => e.summary === 'Vendor call')
    expect(vendor?.start).toEqual({ dateTime: '2026-07-07T10:00:00', timeZone: 'Customized Time Zone' })
    expect(vendor && unknownZonesOf(vendor)).toEqual(['Customized Time Zone'])
    expect(events.filter((e) => unknownZonesOf(e).length > 0)).toHaveLength(1)
  })

  it("uses the default zone (the owner's HR zone) for floating times only", () => {
    const floating = expandIcs(
      doc(
        'BEGIN:VEVENT',
        'UID:floating@x.io',
        'DTSTAMP:20260601T000000Z',
        'DTSTART:20260708T100000',
        'DTEND:20260708T110000',
        'END:VEVENT',
      ),
      { window, defaultZone: 'Europe/Berlin' },
    )
    expect(floating.map((e) => e.start)).toEqual([{ dateTime: '2026-07-08T08:00:00.000Z' }])
  })
})
