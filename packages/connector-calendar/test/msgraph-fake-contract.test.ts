import type * as MicrosoftGraph from '@microsoft/microsoft-graph-types'
import { type FakeGraphEvent, type FakeMsGraph, startFakeMsGraph } from '@orgpulse/fakes/msgraph'
import { ClientCredentialsTokens } from '@orgpulse/msgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GraphCalendarApi } from '../src/msgraph/api.ts'

/**
 * The fake Graph against Microsoft's published types (@microsoft/microsoft-graph-types 2.43.1,
 * pinned, generated from Graph v1.0's metadata): the events the tests seed type-check as
 * `MicrosoftGraph.Event` at compile time, and every property the fake answers is a property of
 * `Event`, with values from its enums, at run time.
 */

/** every property of Event (and OutlookItem, Entity): a missing or extra key fails to compile */
const EVENT_KEYS = {
  id: true,
  categories: true,
  changeKey: true,
  createdDateTime: true,
  lastModifiedDateTime: true,
  allowNewTimeProposals: true,
  attendees: true,
  body: true,
  bodyPreview: true,
  cancelledOccurrences: true,
  end: true,
  hasAttachments: true,
  hideAttendees: true,
  iCalUId: true,
  importance: true,
  isAllDay: true,
  isCancelled: true,
  isDraft: true,
  isOnlineMeeting: true,
  isOrganizer: true,
  isReminderOn: true,
  location: true,
  locations: true,
  onlineMeeting: true,
  onlineMeetingProvider: true,
  onlineMeetingUrl: true,
  organizer: true,
  originalEndTimeZone: true,
  originalStart: true,
  originalStartTimeZone: true,
  recurrence: true,
  reminderMinutesBeforeStart: true,
  responseRequested: true,
  responseStatus: true,
  sensitivity: true,
  seriesMasterId: true,
  showAs: true,
  start: true,
  subject: true,
  transactionId: true,
  type: true,
  webLink: true,
  attachments: true,
  calendar: true,
  exceptionOccurrences: true,
  extensions: true,
  instances: true,
  multiValueExtendedProperties: true,
  singleValueExtendedProperties: true,
} satisfies Record<keyof Required<MicrosoftGraph.Event>, true>

const SHOW_AS = [
  'unknown',
  'free',
  'tentative',
  'busy',
  'oof',
  'workingElsewhere',
] satisfies MicrosoftGraph.FreeBusyStatus[]
const TYPES = [
  'singleInstance',
  'occurrence',
  'exception',
  'seriesMaster',
] satisfies MicrosoftGraph.EventType[]
const RESPONSES = [
  'none',
  'organizer',
  'tentativelyAccepted',
  'accepted',
  'declined',
  'notResponded',
] satisfies MicrosoftGraph.ResponseType[]
const ATTENDEE_TYPES = ['required', 'optional', 'resource'] satisfies MicrosoftGraph.AttendeeType[]

/** the seed type is Graph's Event: a field the fake invents or mistypes fails here */
type Declared<T> = { [K in keyof T as string extends K ? never : K]: T[K] }
const asGraph = (e: Declared<FakeGraphEvent>): MicrosoftGraph.Event => e

const seed: FakeGraphEvent = {
  id: 'AAMkAD-1',
  iCalUId: 'uid-1',
  type: 'occurrence',
  seriesMasterId: 'AAMkAD-m',
  originalStart: '2026-10-26T09:00:00Z',
  subject: 'Sync',
  start: { dateTime: '2026-10-26T10:00:00.0000000', timeZone: 'W. Europe Standard Time' },
  end: { dateTime: '2026-10-26T11:00:00.0000000', timeZone: 'W. Europe Standard Time' },
  showAs: 'tentative',
  organizer: { emailAddress: { name: 'Lena', address: 'lena@contoso.com' } },
  attendees: [
    { type: 'required', status: { response: 'accepted' }, emailAddress: { address: 'ann@contoso.com' } },
    { type: 'resource', status: { response: 'none' }, emailAddress: { name: 'Room' } },
  ],
  isOnlineMeeting: true,
  onlineMeetingProvider: 'teamsForBusiness',
  onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/x' },
}
asGraph(seed)

let fake: FakeMsGraph
beforeAll(async () => {
  fake = await startFakeMsGraph({ mailboxes: { 'lena@contoso.com': [seed] } })
})
afterAll(() => fake?.close())

describe('the fake Graph answers in the shape of MicrosoftGraph.Event', () => {
  it('every property answered is one of Event’s, with values from its enums', async () => {
    const api = new GraphCalendarApi({
      graphUrl: fake.graphUrl,
      tokens: new ClientCredentialsTokens(
        {
          tenantId: fake.tenantId,
          clientId: fake.clientId,
          credential: { kind: 'secret', secret: fake.clientSecret },
        },
        fake.authorityUrl,
      ),
      maxRetries: 0,
      pageSize: 10,
      mailboxConcurrency: 4,
    })
    const page = await api.delta('lena@contoso.com', {
      kind: 'window',
      from: '2026-10-01T00:00:00Z',
      to: '2026-11-01T00:00:00Z',
    })
    expect(page.value).toHaveLength(1)
    const e = page.value[0] as MicrosoftGraph.Event & Record<string, unknown>
    const unknown = Object.keys(e).filter((k) => !k.startsWith('@odata.') && !(k in EVENT_KEYS))
    expect(unknown).toEqual([])
    expect(SHOW_AS).toContain(e.showAs)
    expect(TYPES).toContain(e.type)
    expect(RESPONSES).toContain(e.responseStatus?.response)
    for (const a of e.attendees ?? []) {
      expect(ATTENDEE_TYPES).toContain(a.type)
      expect(RESPONSES).toContain(a.status?.response)
    }
    // asked for UTC: the wall time of 10:00 Berlin (CET) is 09:00 UTC
    expect(e.start).toEqual({ dateTime: '2026-10-26T09:00:00.0000000', timeZone: 'UTC' })
    expect(page['@odata.deltaLink']).toMatch(/\$deltatoken=/)
  })
})
