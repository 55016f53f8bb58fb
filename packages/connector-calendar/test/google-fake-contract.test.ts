import type { calendar_v3 } from '@googleapis/calendar'
import {
  type FakeEvent,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '@orgpulse/fakes/google-calendar'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { ServiceAccountTokens, serviceAccountKeySchema } from '../src/google/auth.ts'

/**
 * The Google Calendar fake against Google's published schema. No npm package ships the
 * calendar v3 discovery document itself (googleapis and @googleapis/calendar ship TypeScript
 * generated from it), so the fake is checked against those generated types
 * (@googleapis/calendar 20.0.1, pinned, `calendar_v3.Schema$Events` / `Schema$Event`): at
 * compile time for the events it can be given, and at run time for what it answers, each field
 * name against the types' fields (the key lists below are exhaustive: the compiler fails when
 * the SDK adds or drops one).
 */
type Keys<T> = Record<keyof T, true>

const EVENTS_KEYS: Keys<calendar_v3.Schema$Events> = {
  accessRole: true,
  defaultReminders: true,
  description: true,
  etag: true,
  items: true,
  kind: true,
  nextPageToken: true,
  nextSyncToken: true,
  summary: true,
  timeZone: true,
  updated: true,
}
const EVENT_KEYS: Keys<calendar_v3.Schema$Event> = {
  anyoneCanAddSelf: true,
  attachments: true,
  attendees: true,
  attendeesOmitted: true,
  birthdayProperties: true,
  colorId: true,
  conferenceData: true,
  created: true,
  creator: true,
  description: true,
  end: true,
  endTimeUnspecified: true,
  etag: true,
  eventLabelId: true,
  eventType: true,
  extendedProperties: true,
  focusTimeProperties: true,
  gadget: true,
  guestsCanInviteOthers: true,
  guestsCanModify: true,
  guestsCanSeeOtherGuests: true,
  hangoutLink: true,
  htmlLink: true,
  iCalUID: true,
  id: true,
  kind: true,
  location: true,
  locked: true,
  organizer: true,
  originalStartTime: true,
  outOfOfficeProperties: true,
  privateCopy: true,
  recurrence: true,
  recurringEventId: true,
  reminders: true,
  sequence: true,
  source: true,
  start: true,
  status: true,
  summary: true,
  transparency: true,
  updated: true,
  visibility: true,
  workingLocationProperties: true,
}
const TIME_KEYS: Keys<calendar_v3.Schema$EventDateTime> = {
  date: true,
  dateTime: true,
  timeZone: true,
}
const ATTENDEE_KEYS: Keys<calendar_v3.Schema$EventAttendee> = {
  additionalGuests: true,
  asyncOperation: true,
  comment: true,
  displayName: true,
  email: true,
  id: true,
  optional: true,
  organizer: true,
  resource: true,
  responseStatus: true,
  self: true,
}
const ORGANIZER_KEYS: Keys<NonNullable<calendar_v3.Schema$Event['organizer']>> = {
  displayName: true,
  email: true,
  id: true,
  self: true,
}

/** every field name in `value` a field of the schema's type, recursively for the typed parts */
function unknownFields(value: unknown, keys: Record<string, true>, path: string): string[] {
  if (value === null || typeof value !== 'object') return [`${path}: not an object`]
  const out: string[] = []
  for (const [k, v] of Object.entries(value)) {
    if (!(k in keys)) out.push(`${path}.${k}`)
    else if (keys === EVENTS_KEYS && k === 'items')
      out.push(...(v as unknown[]).flatMap((e, i) => unknownFields(e, EVENT_KEYS, `${path}.items[${i}]`)))
    else if (keys === EVENT_KEYS && ['start', 'end', 'originalStartTime'].includes(k))
      out.push(...unknownFields(v, TIME_KEYS, `${path}.${k}`))
    else if (keys === EVENT_KEYS && k === 'organizer')
      out.push(...unknownFields(v, ORGANIZER_KEYS, `${path}.${k}`))
    else if (keys === EVENT_KEYS && k === 'attendees')
      out.push(...(v as unknown[]).flatMap((a, i) => unknownFields(a, ATTENDEE_KEYS, `${path}.${k}[${i}]`)))
  }
  return out
}

const ANA = 'ana@acme.com'
const instance = (day: string): FakeEvent => ({
  id: `s1_${day.replace(/-/g, '')}T100000Z`,
  status: 'confirmed',
  iCalUID: 's1@google.com',
  recurringEventId: 's1',
  originalStartTime: { dateTime: `${day}T10:00:00Z`, timeZone: 'UTC' },
  start: { dateTime: `${day}T10:00:00Z`, timeZone: 'UTC' },
  end: { dateTime: `${day}T11:00:00Z`, timeZone: 'UTC' },
  eventType: 'default',
  summary: 'Weekly',
  description: 'notes',
  location: 'Room 1',
  organizer: { email: ANA, displayName: 'Ana', self: true },
  attendees: [
    { email: ANA, displayName: 'Ana', responseStatus: 'accepted', organizer: true, self: true },
    { email: 'room@resource.calendar.google.com', responseStatus: 'accepted', resource: true },
    { email: 'guest@partner.io', responseStatus: 'declined', optional: true, comment: 'away' },
  ],
  sequence: 0,
})

let fake: FakeGoogleCalendar
let token: string

beforeAll(async () => {
  fake = await startFakeGoogleCalendar({
    calendars: {
      [ANA]: [
        {
          ...instance('2026-03-16'),
          id: 's1',
          recurringEventId: undefined,
          recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'],
        },
        instance('2026-03-16'),
        instance('2026-03-23'),
      ],
    },
  })
  const tokens = new ServiceAccountTokens(serviceAccountKeySchema.parse(JSON.parse(fake.serviceAccountKey)))
  token = await tokens.tokenFor(ANA)
})

afterAll(async () => {
  await fake?.close()
})

const get = async (path: string): Promise<unknown> => {
  const res = await fetch(new URL(`calendar/v3/calendars/primary/${path}`, fake.rootUrl), {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(res.status).toBe(200)
  return res.json()
}

describe('the Google Calendar fake against calendar_v3 (@googleapis/calendar)', () => {
  it('takes only events the SDK type describes', () => {
    expectTypeOf<FakeEvent>().toExtend<calendar_v3.Schema$Event>()
  })

  it('answers events.list and events.get with fields of Schema$Events / Schema$Event only', async () => {
    const full = (await get('events?singleEvents=true&showDeleted=true')) as calendar_v3.Schema$Events
    expect(unknownFields(full, EVENTS_KEYS, 'events')).toEqual([])
    // the series' own event is left out of a singleEvents listing, and returned by events.get
    expect(full.items?.map((e) => e.id)).toEqual(['s1_20260316T100000Z', 's1_20260323T100000Z'])
    const series = (await get('events/s1')) as calendar_v3.Schema$Event
    expect(unknownFields(series, EVENT_KEYS, 'event')).toEqual([])
    expect(series.recurrence).toEqual(['RRULE:FREQ=WEEKLY;COUNT=2'])
  })

  it('sends a cancelled instance with the fields Google guarantees, and nothing else', async () => {
    const before = (await get('events?singleEvents=true&showDeleted=true')) as calendar_v3.Schema$Events
    fake.cancelEvent(ANA, 's1_20260323T100000Z')
    const after = (await get(
      `events?singleEvents=true&syncToken=${encodeURIComponent(before.nextSyncToken ?? '')}`,
    )) as calendar_v3.Schema$Events
    expect(unknownFields(after, EVENTS_KEYS, 'events')).toEqual([])
    const bare: calendar_v3.Schema$Event = {
      kind: 'calendar#event',
      id: 's1_20260323T100000Z',
      status: 'cancelled',
      recurringEventId: 's1',
      originalStartTime: { dateTime: '2026-03-23T10:00:00Z', timeZone: 'UTC' },
    }
    expect(after.items).toEqual([bare])
    expect(await get('events/s1_20260323T100000Z')).toEqual(bare)
  })
})
