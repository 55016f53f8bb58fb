import { mapCalendar } from '@orgpulse/connector-calendar'
import { type CanonicalEventInput, configSchema, eventId, type RawEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { googleOccurrence } from './fixtures.ts'

const config = configSchema.parse({ calendar: { internalDomains: ['acme.com'] } })

type MeetingInput = Extract<CanonicalEventInput, { type: 'meeting.held' }>
/** the one meeting.held an envelope maps to */
function one(env: RawEnvelope): MeetingInput {
  const out = mapCalendar(env, { config })
  expect(out).toHaveLength(1)
  const e = out[0]
  if (e?.type !== 'meeting.held') throw new Error(`expected meeting.held, got ${e?.type}`)
  return e
}

const envelope = (payload: Record<string, unknown>, calendar = 'ana@acme.com'): RawEnvelope => ({
  source: 'calendar',
  entity: 'event',
  sourceId: `${calendar}/${String(payload.id)}`,
  fetchedAt: '2026-03-31T12:00:00.000Z',
  meta: { calendar, via: 'google' },
  payload,
})

const occurrence = googleOccurrence

describe('calendar mapper', () => {
  it('maps one occurrence to meeting.held keyed by iCalUID + original start (UTC)', () => {
    const [e] = mapCalendar(envelope(occurrence), { config })
    const meetingId = 'abc@google.com|2026-03-30T08:00:00.000Z'
    expect(e).toEqual({
      type: 'meeting.held',
      id: eventId('calendar', meetingId, String(Date.parse('2026-03-20T09:00:00.000Z'))),
      source: 'calendar',
      sourceId: 'abc_20260330T080000Z',
      occurredAt: '2026-03-30T08:00:00.000Z',
      version: Date.parse('2026-03-20T09:00:00.000Z'),
      meetingId,
      start: '2026-03-30T08:00:00.000Z',
      end: '2026-03-30T09:00:00.000Z',
      allDay: false,
      cancelled: false,
      class: 'team',
      ritual: '',
      organizer: 'mgr@acme.com',
      attendees: [
        { person: 'mgr@acme.com', response: 'accepted' },
        { person: 'ana@acme.com', response: 'declined' },
      ],
      externalAttendees: 1,
    })
  })

  it('gives the same meeting id and event id on every attendee calendar', () => {
    const a = one(envelope(occurrence, 'ana@acme.com'))
    const b = one(envelope(occurrence, 'mgr@acme.com'))
    expect(a.id).toBe(b.id)
    expect(a.meetingId).toBe(b.meetingId)
  })

  it('a moved occurrence keeps the key of its original slot; a cancelled one says cancelled', () => {
    const moved = {
      ...occurrence,
      start: { dateTime: '2026-03-31T14:00:00Z' },
      end: { dateTime: '2026-03-31T15:00:00Z' },
    }
    const m = one(envelope(moved))
    expect(m.meetingId).toBe('abc@google.com|2026-03-30T08:00:00.000Z')
    expect(m.start).toBe('2026-03-31T14:00:00.000Z')
    const c = one(
      envelope({ ...occurrence, status: 'cancelled', updated: '2026-03-25T00:00:00Z' }, 'mgr@acme.com'),
    )
    expect(c.meetingId).toBe(m.meetingId)
    expect(c.cancelled).toBe(true)
    expect(c.version).toBeGreaterThan(Date.parse(occurrence.updated))
  })

  it("an attendee's cancelled copy of an internally organised Google meeting does not cancel it", () => {
    const cancelledCopy = { ...occurrence, status: 'cancelled' }
    expect(mapCalendar(envelope(cancelledCopy, 'ana@acme.com'), { config })).toEqual([])
    expect(one(envelope(cancelledCopy, 'mgr@acme.com')).cancelled).toBe(true)
    expect(
      one({ ...envelope(cancelledCopy, 'ana@acme.com'), meta: { calendar: 'ana@acme.com', via: 'ics' } })
        .cancelled,
    ).toBe(true)
  })

  it('all-day events are flagged; focus time, working location and solo blocks are not meetings', () => {
    const d = one(
      envelope({
        ...occurrence,
        originalStartTime: undefined,
        start: { date: '2026-03-26' },
        end: { date: '2026-03-27' },
      }),
    )
    expect(d.allDay).toBe(true)
    expect(d.meetingId).toBe('abc@google.com|2026-03-26')
    expect(d.start).toBe('2026-03-26T00:00:00.000Z')
    for (const eventType of ['focusTime', 'workingLocation', 'birthday']) {
      expect(mapCalendar(envelope({ ...occurrence, eventType }), { config })).toEqual([])
    }
    expect(mapCalendar(envelope({ ...occurrence, attendees: [] }), { config })).toEqual([])
  })

  it('an out-of-office event (Google eventType outOfOffice) is kept as an absence of its owner, never a meeting class', () => {
    // Google's shape: on the owner's calendar, organizer self, no attendees, outOfOfficeProperties
    const ooo = one(
      envelope({
        id: 'ooo1',
        iCalUID: 'ooo1@google.com',
        status: 'confirmed',
        eventType: 'outOfOffice',
        start: { dateTime: '2026-04-03T09:00:00+02:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2026-04-03T17:00:00+02:00', timeZone: 'Europe/Berlin' },
        organizer: { email: 'ana@acme.com', self: true },
        outOfOfficeProperties: {
          autoDeclineMode: 'declineOnlyNewConflictingInvitations',
          declineMessage: 'Away',
        },
        updated: '2026-03-30T08:00:00.000Z',
        classification: { class: 'other', ritual: '' },
      }),
    )
    expect(ooo).toMatchObject({
      class: 'out_of_office',
      organizer: 'ana@acme.com',
      attendees: [],
      start: '2026-04-03T07:00:00.000Z',
      end: '2026-04-03T15:00:00.000Z',
      allDay: false,
      cancelled: false,
    })
    // a classification rule may also mark a solo block as an absence (ICS has no event type)
    expect(
      one(envelope({ ...occurrence, attendees: [], classification: { class: 'out_of_office', ritual: '' } }))
        .class,
    ).toBe('out_of_office')
  })

  it('an external organiser is counted, not identified', () => {
    const e = one(envelope({ ...occurrence, organizer: { email: 'boss@partner.io' } }))
    expect(e.organizer).toBe('external')
  })

  it('rejects what can never map, with the reason', () => {
    expect(() =>
      mapCalendar(envelope({ id: 'x', status: 'cancelled', classification: { class: 'other' } }), { config }),
    ).toThrow(/x \(cancelled\) has no iCalUID/)
    expect(() => mapCalendar(envelope({ ...occurrence, classification: undefined }), { config })).toThrow(
      RejectedRecord,
    )
    expect(() => mapCalendar({ ...envelope(occurrence), entity: 'calendarList' }, { config })).toThrow(
      /unknown calendar entity/,
    )
  })
})
