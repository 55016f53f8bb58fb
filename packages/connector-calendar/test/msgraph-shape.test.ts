import { type CanonicalEventInput, configSchema } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { classifyMeeting } from '../src/classify.ts'
import { mapCalendar } from '../src/mapper.ts'
import { readGraphItem, removedAsCancelled } from '../src/msgraph/shape.ts'
import { calendarEnvelope, meetingShape } from '../src/payload.ts'

/**
 * Graph events (https://learn.microsoft.com/en-us/graph/api/resources/event) read into the
 * canonical meeting occurrences: Windows zone names across the end of summer time, the mailbox
 * owner's own answer, rooms, out-of-office, attendee copies of a cancelled meeting, `@removed`.
 */
const config = configSchema.parse({ calendar: { internalDomains: ['contoso.com'] } })
const calendar = config.calendar!
const ORG = 'lena@contoso.com'
const ANN = 'ann@contoso.com'

/** a weekly 10:00 Berlin occurrence as Outlook keeps it (wall time in a Windows zone) */
const occurrence = (day: string, extra: Record<string, unknown> = {}) => ({
  '@odata.etag': 'W/"x"',
  id: `AAMkAD-occ-${day}`,
  iCalUId: `040000008200E00074C5B7101A82E008-${day}`,
  type: 'occurrence',
  seriesMasterId: 'AAMkAD-master',
  originalStart: extra.originalStart ?? `${day}T${day < '2026-10-25' ? '08' : '09'}:00:00Z`,
  subject: 'Zeppelin escalation – confidential',
  bodyPreview: 'secret agenda',
  body: { contentType: 'html', content: '<p>secret agenda</p>' },
  start: { dateTime: `${day}T10:00:00.0000000`, timeZone: 'W. Europe Standard Time' },
  end: { dateTime: `${day}T11:00:00.0000000`, timeZone: 'W. Europe Standard Time' },
  isAllDay: false,
  isCancelled: false,
  showAs: 'busy',
  responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
  organizer: { emailAddress: { name: 'Lena', address: ORG } },
  attendees: [
    { type: 'required', status: { response: 'none' }, emailAddress: { name: 'Lena', address: ORG } },
    { type: 'required', status: { response: 'accepted' }, emailAddress: { name: 'Ann', address: ANN } },
    {
      type: 'resource',
      status: { response: 'accepted' },
      emailAddress: { name: 'Room 4.1', address: 'room41@contoso.com' },
    },
    // a room added by name only: Graph sends no address
    { type: 'required', status: { response: 'none' }, emailAddress: { name: 'Huddle corner' } },
  ],
  isOnlineMeeting: true,
  onlineMeetingProvider: 'teamsForBusiness',
  onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/secret' },
  lastModifiedDateTime: '2026-10-01T12:00:00Z',
  ...extra,
})

function mapped(raw: unknown, mailbox: string): { held: CanonicalEventInput[]; payload: string } {
  const item = readGraphItem(raw, mailbox)
  if (item.kind !== 'event') throw new Error(`not an event: ${item.kind}`)
  const envelope = calendarEnvelope(
    item.event,
    classifyMeeting(meetingShape(item.event, mailbox), calendar),
    { calendar: mailbox, via: 'msgraph' },
    '2026-10-02T00:00:00Z',
  )
  return { held: mapCalendar(envelope, { config }), payload: JSON.stringify(envelope) }
}

const only = (events: CanonicalEventInput[]) => {
  expect(events).toHaveLength(1)
  const e = events[0]!
  if (e.type !== 'meeting.held') throw new Error(e.type)
  return e
}

describe('Microsoft Graph events → meeting occurrences', () => {
  it('places a Windows-zone wall time on each side of the end of summer time (last Sunday of October)', () => {
    // W. Europe Standard Time is Europe/Berlin (CLDR windowsZones): CEST (+2) until 2026-10-25 01:00Z, CET (+1) after
    const before = only(mapped(occurrence('2026-10-19'), ORG).held)
    const after = only(mapped(occurrence('2026-10-26'), ORG).held)
    expect([before.start, before.end]).toEqual(['2026-10-19T08:00:00.000Z', '2026-10-19T09:00:00.000Z'])
    expect([after.start, after.end]).toEqual(['2026-10-26T09:00:00.000Z', '2026-10-26T10:00:00.000Z'])
    // the occurrence is named by its iCalUId and original start, the same on every mailbox
    expect(after.meetingId).toBe('040000008200E00074C5B7101A82E008-2026-10-26|2026-10-26T09:00:00.000Z')
    expect(after.class).toBe('escalation')
  })

  it('UTC as asked with Prefer: outlook.timezone gives the same instants', () => {
    const utc = occurrence('2026-10-26', {
      start: { dateTime: '2026-10-26T09:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2026-10-26T10:00:00.0000000', timeZone: 'UTC' },
    })
    const e = only(mapped(utc, ORG).held)
    expect([e.start, e.end]).toEqual(['2026-10-26T09:00:00.000Z', '2026-10-26T10:00:00.000Z'])
  })

  it('drops rooms, keeps the owner’s own answer, and keeps titles, bodies and join URLs out of the record', () => {
    // Ann's copy: Graph puts her answer in responseStatus; her attendee entry says "none"
    const annCopy = occurrence('2026-10-26', {
      id: 'AAMkAD-ann-copy',
      responseStatus: { response: 'declined' },
      attendees: [
        { type: 'required', status: { response: 'none' }, emailAddress: { address: ORG } },
        { type: 'required', status: { response: 'none' }, emailAddress: { address: ANN } },
        { type: 'resource', status: { response: 'none' }, emailAddress: { address: 'room41@contoso.com' } },
      ],
    })
    const { held, payload } = mapped(annCopy, ANN)
    const e = only(held)
    expect(e.organizer).toBe(ORG)
    expect(e.attendees).toEqual([
      { person: ORG, response: 'needsAction' },
      { person: ANN, response: 'declined' },
    ])
    expect(e.externalAttendees).toBe(0)
    for (const secret of ['Zeppelin', 'secret agenda', 'teams.microsoft.com', 'Huddle', 'Room 4.1'])
      expect(payload).not.toContain(secret)
    expect(JSON.parse(payload).payload.online).toEqual({
      isOnlineMeeting: true,
      provider: 'teamsForBusiness',
    })
  })

  it('showAs oof is an absence (out_of_office), not meeting time', () => {
    const oof = {
      id: 'AAMkAD-oof',
      iCalUId: 'oof-1',
      type: 'singleInstance',
      subject: 'Vacation',
      start: { dateTime: '2026-10-27T00:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2026-10-29T00:00:00.0000000', timeZone: 'UTC' },
      isAllDay: true,
      showAs: 'oof',
      organizer: { emailAddress: { address: ANN } },
      attendees: [],
    }
    const e = only(mapped(oof, ANN).held)
    expect([e.class, e.allDay, e.start, e.end]).toEqual([
      'out_of_office',
      true,
      '2026-10-27T00:00:00.000Z',
      '2026-10-29T00:00:00.000Z',
    ])
  })

  it('isCancelled cancels on the organiser’s copy only (an attendee’s copy is also cancelled when they are removed)', () => {
    expect(mapped(occurrence('2026-10-26', { isCancelled: true, id: 'ann-copy' }), ANN).held).toEqual([])
    expect(only(mapped(occurrence('2026-10-26', { isCancelled: true }), ORG).held).cancelled).toBe(true)
  })

  it('@removed (an id and nothing else) cancels what was published for that id, as a newer version', () => {
    const item = readGraphItem(occurrence('2026-10-26'), ORG)
    if (item.kind !== 'event' || !item.identity) throw new Error('expected an event with an identity')
    const published = only(mapped(occurrence('2026-10-26'), ORG).held)
    const removed = readGraphItem(
      { '@odata.type': '#microsoft.graph.event', id: item.event.id, '@removed': { reason: 'deleted' } },
      ORG,
    )
    expect(removed).toEqual({ kind: 'removed', id: item.event.id })
    const cancel = removedAsCancelled(item.event.id, item.identity, '2026-11-01T00:00:00Z')
    const envelope = calendarEnvelope(
      cancel,
      { class: 'escalation', ritual: '' },
      { calendar: ORG, via: 'msgraph' },
      '2026-11-01T00:00:00Z',
    )
    const e = only(mapCalendar(envelope, { config }))
    expect(e.meetingId).toBe(published.meetingId)
    expect(e.cancelled).toBe(true)
    // as of when the removal was read: newer than any mailbox's copy of the meeting
    expect(e.version).toBe(Date.parse('2026-11-01T00:00:00Z'))
    expect(e.version).toBeGreaterThan(published.version)
  })

  it('skips series masters (calendarView sends instances) and reads single instances by iCalUId alone', () => {
    expect(readGraphItem({ ...occurrence('2026-10-26'), type: 'seriesMaster' }, ORG).kind).toBe('skip')
    const single = occurrence('2026-10-26', {
      type: 'singleInstance',
      seriesMasterId: null,
      originalStart: null,
    })
    expect(only(mapped(single, ORG).held).meetingId).toBe('040000008200E00074C5B7101A82E008-2026-10-26')
  })
})
