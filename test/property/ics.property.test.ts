// the module itself: the package index also loads the Google connector and ClickHouse
import {
  expandIcs,
  IcsParseError,
  resolveZone,
  windowsZoneNames,
  windowsZoneToIana,
} from '@orgpulse/connector-calendar'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/**
 * Property: `expandIcs` on any text (and on real ICS exports with lines mutated) returns
 * occurrences or throws its documented `IcsParseError`; never anything else. Occurrences carry a
 * uid and a start the calendar mapper can read.
 */

const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const runs = (n: number): number => Math.ceil(n * SCALE)

const WINDOW = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') }

/** Europe/Berlin rules under a Windows zone name (from packages/connector-calendar/test/ics.test.ts). */
const VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:W. Europe Standard Time',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
]

/** A weekly series with an EXDATE, a cancelled and a moved occurrence, plus an all-day event. */
const BASE = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  ...VTIMEZONE,
  'BEGIN:VEVENT',
  'UID:weekly-sync@acme.com',
  'DTSTAMP:20260301T000000Z',
  'LAST-MODIFIED:20260310T120000Z',
  'DTSTART;TZID=W. Europe Standard Time:20260316T100000',
  'DTEND;TZID=W. Europe Standard Time:20260316T110000',
  'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5',
  'EXDATE;TZID=W. Europe Standard Time:20260413T100000',
  'SUMMARY:Weekly product sync',
  'ORGANIZER;CN=Mgr:mailto:Mgr@acme.com',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:mgr@acme.com',
  'ATTENDEE;PARTSTAT=DECLINED:mailto:ana@acme.com',
  'ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-berlin@acme.com',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:weekly-sync@acme.com',
  'DTSTAMP:20260301T000000Z',
  'RECURRENCE-ID;TZID=W. Europe Standard Time:20260323T100000',
  'DTSTART;TZID=W. Europe Standard Time:20260323T100000',
  'DTEND;TZID=W. Europe Standard Time:20260323T110000',
  'STATUS:CANCELLED',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:weekly-sync@acme.com',
  'DTSTAMP:20260301T000000Z',
  'LAST-MODIFIED:20260401T120000Z',
  'RECURRENCE-ID;TZID=Europe/Berlin:20260406T100000',
  'DTSTART;TZID=Europe/Berlin:20260407T140000',
  'DTEND;TZID=Europe/Berlin:20260407T150000',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:offsite@acme.com',
  'DTSTAMP:20260301T000000Z',
  'DTSTART;VALUE=DATE:20260320',
  'DTEND;VALUE=DATE:20260321',
  'SUMMARY:Offsite',
  'END:VEVENT',
  'END:VCALENDAR',
]

/** Lines a mutation may insert: valid-looking properties with hostile values. */
const HOSTILE_LINES = [
  'RRULE:FREQ=SECONDLY',
  'RRULE:FREQ=MINUTELY;INTERVAL=0',
  'RRULE:FREQ=DAILY;UNTIL=19000101T000000Z',
  'RRULE:FREQ=WEEKLY;BYDAY=XX',
  'RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=-1',
  'RRULE:FREQ=YEARLY;BYSETPOS=-400',
  'RRULE:',
  'RRULE:FREQ=NEVER',
  'DTSTART:99991231T235959Z',
  'DTSTART:00000101T000000Z',
  'DTSTART:20261399T256199Z',
  'DTSTART;VALUE=DATE:2026',
  'DTSTART;TZID=Mars/Olympus:20260316T100000',
  'DTSTART;TZID=:20260316T100000',
  'DTEND:19700101T000000Z',
  'DURATION:-P1D',
  'DURATION:PXYZ',
  'EXDATE:garbage',
  'EXDATE;VALUE=DATE:20260413',
  'RDATE:20260320T100000Z,20260321T100000Z',
  'RDATE;VALUE=PERIOD:20260320T100000Z/PT1H',
  'RECURRENCE-ID:20260316T090000Z',
  'RECURRENCE-ID;VALUE=DATE:20260316',
  'RECURRENCE-ID:nonsense',
  'LAST-MODIFIED:garbage',
  'LAST-MODIFIED;VALUE=TEXT:yesterday',
  'DTSTAMP:99999999T999999Z',
  'SEQUENCE:not-a-number',
  'STATUS:',
  'ORGANIZER:',
  'ATTENDEE:',
  'ATTENDEE;PARTSTAT=DELEGATED;CUTYPE=RESOURCE:mailto:',
  'UID:',
  'UID:weekly-sync@acme.com',
  'BEGIN:VEVENT',
  'END:VEVENT',
  'BEGIN:VCALENDAR',
  'END:VCALENDAR',
  'BEGIN:VTIMEZONE',
  'TZID:W. Europe Standard Time',
  'TZOFFSETTO:+9999',
  'END:VTIMEZONE',
  ' continued line',
  '',
  ':',
  ';;;',
  'X-WR-TIMEZONE:Europe/Berlin',
]

const lineEdit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('drop', 'dup', 'insert', 'replace-value', 'truncate', 'zone-rule'),
  insert: fc.oneof(fc.constantFrom(...HOSTILE_LINES), fc.string({ maxLength: 30 })),
  value: fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('', '20260316T100000', '20260316', '-1', 'Z', '\u0000', '🧪'),
  ),
})

function mutate(
  lines: string[],
  edits: { at: number; kind: string; insert: string; value: string }[],
): string[] {
  const out = [...lines]
  for (const e of edits) {
    const i = out.length === 0 ? 0 : e.at % out.length
    const line = out[i] ?? ''
    if (e.kind === 'drop') out.splice(i, 1)
    else if (e.kind === 'dup') out.splice(i, 0, line)
    else if (e.kind === 'insert') out.splice(i, 0, e.insert)
    else if (e.kind === 'zone-rule') {
      // a hostile rule inside the VTIMEZONE (the zone is expanded from 1970 on every conversion)
      const rules = out.flatMap((l, n) => (l.startsWith('RRULE:FREQ=YEARLY;BYMONTH=') ? [n] : []))
      const n = rules[e.at % Math.max(rules.length, 1)]
      if (n !== undefined) out[n] = e.insert.startsWith('RRULE:') ? e.insert : `RRULE:FREQ=${e.value}`
    } else if (e.kind === 'replace-value')
      out[i] = line.includes(':') ? `${line.slice(0, line.indexOf(':') + 1)}${e.value}` : e.value
    else out[i] = line.slice(0, e.at % (line.length + 1))
  }
  return out
}

function expandsOrParseError(text: string, defaultZone: string): void {
  let occurrences: ReturnType<typeof expandIcs>
  try {
    occurrences = expandIcs(text, { window: WINDOW, defaultZone })
  } catch (err) {
    if (!(err instanceof IcsParseError)) {
      throw new Error(
        `expandIcs threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)} (not an IcsParseError) for:\n${text}`,
      )
    }
    expect(err.message.trim().length).toBeGreaterThan(0)
    return
  }
  for (const o of occurrences) {
    expect(o.iCalUID?.length ?? 0).toBeGreaterThan(0)
    expect(o.start?.dateTime ?? o.start?.date).toBeTruthy()
  }
}

describe('expandIcs: occurrences or an IcsParseError, nothing else', () => {
  it('the base document expands (the mutations start from a working export)', () => {
    expect(expandIcs(BASE.join('\r\n'), { window: WINDOW, defaultZone: 'UTC' }).length).toBeGreaterThan(4)
  })

  it('arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.constantFrom(...HOSTILE_LINES), { maxLength: 12 }).map((ls) => ls.join('\r\n')),
        ),
        (text) => expandsOrParseError(text, 'UTC'),
      ),
      { numRuns: runs(400) },
    )
  })

  it('real-shaped exports with lines dropped, duplicated, inserted, re-valued or truncated', () => {
    fc.assert(
      fc.property(
        fc.array(lineEdit, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\r\n', '\n'),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu'),
        (edits, eol, zone) => expandsOrParseError(mutate(BASE, edits).join(eol), zone),
      ),
      { numRuns: runs(400) },
    )
  })
})

/** one event at a local wall time in `tzid`, with no VTIMEZONE (as Outlook exports are seen) */
const bareZoneDoc = (tzid: string, wall: string): string =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN',
    'BEGIN:VEVENT',
    'UID:zone-test@x.io',
    'DTSTAMP:20260101T000000Z',
    `DTSTART;TZID="${tzid}":${wall}`,
    `DTEND;TZID="${tzid}":${wall}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n')

const ALL_TIME = { from: new Date('2019-12-30T00:00:00Z'), to: new Date('2031-01-02T00:00:00Z') }
const wallTime = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/[-:]/g, '').slice(0, 15))

describe('TZIDs without a VTIMEZONE', () => {
  it('a Windows zone name is read as the IANA zone CLDR maps it to, at any time of year', () => {
    const names = windowsZoneNames()
    expect(names.length).toBeGreaterThan(100)
    fc.assert(
      fc.property(fc.constantFrom(...names), wallTime, (name, wall) => {
        const iana = windowsZoneToIana(name) as string
        const [win] = expandIcs(bareZoneDoc(name, wall), { window: ALL_TIME, defaultZone: 'UTC' })
        const [ref] = expandIcs(bareZoneDoc(iana, wall), { window: ALL_TIME, defaultZone: 'UTC' })
        expect(win?.start).toEqual(ref?.start)
      }),
      { numRuns: runs(300) },
    )
  })

  it('a name that is no zone is never read in another zone: the wall time stays, with the name', () => {
    // quotes, separators and `^` (RFC 6868 escapes, which ical.js decodes) cannot be written in a
    // quoted parameter value as they are
    const name = fc
      .string({ minLength: 1, maxLength: 30 })
      .map((s) =>
        [...s]
          .filter((c) => c >= ' ' && c !== '\u007f' && !'";:,^\\'.includes(c))
          .join('')
          .trim(),
      )
      // `Z` is UTC to ical.js (RFC 5545's UTC designator), rightly
      .filter((s) => s.length > 0 && s !== 'Z' && resolveZone(s) === null)
    fc.assert(
      fc.property(name, wallTime, (tzid, wall) => {
        const [occ] = expandIcs(bareZoneDoc(tzid, wall), { window: ALL_TIME, defaultZone: 'Europe/Berlin' })
        const iso = `${wall.slice(0, 4)}-${wall.slice(4, 6)}-${wall.slice(6, 8)}T${wall.slice(9, 11)}:${wall.slice(11, 13)}:${wall.slice(13, 15)}`
        expect(occ?.start).toEqual({ dateTime: iso, timeZone: tzid })
      }),
      { numRuns: runs(300) },
    )
  })
})
