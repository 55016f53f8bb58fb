/**
 * Real-shaped source payloads shared by the mapper tests and the property tests (which mutate
 * them): one definition each, from the vendors' documented shapes.
 */
export const JIRA_USERS = {
  alice: { accountId: 'acc-alice', displayName: 'Alice', emailAddress: 'Alice@Acme.test' },
  bob: { accountId: 'acc-bob', displayName: 'Bob', emailAddress: 'bob@acme.test' },
  carol: { accountId: 'acc-carol', displayName: 'Carol', emailAddress: 'carol@acme.test' },
  ghost: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Hidden' },
}

export const JIRA_STATUS = {
  todo: { id: '10000', name: 'To Do', statusCategory: { key: 'new' } },
  inProgress: { id: '3', name: 'In Progress', statusCategory: { key: 'indeterminate' } },
  needs: { id: '10001', name: 'Needs Decision', statusCategory: { key: 'new' } },
  escalated: { id: '10002', name: 'Escalated', statusCategory: { key: 'indeterminate' } },
  decided: { id: '10003', name: 'Decided', statusCategory: { key: 'done' } },
  rejected: { id: '10004', name: 'Rejected', statusCategory: { key: 'done' } },
  done: { id: '10005', name: 'Done', statusCategory: { key: 'done' } },
}

/** one status change item of a Jira changelog history */
export const jiraStatusItem = (from: { id: string; name: string }, to: { id: string; name: string }) => ({
  field: 'status',
  fieldtype: 'jira',
  fieldId: 'status',
  from: from.id,
  fromString: from.name,
  to: to.id,
  toString: to.name,
})

/** one occurrence of a recurring Google Calendar event, as the calendar connector publishes it */
export const googleOccurrence = {
  id: 'abc_20260330T080000Z',
  status: 'confirmed',
  iCalUID: 'abc@google.com',
  recurringEventId: 'abc',
  originalStartTime: { dateTime: '2026-03-30T10:00:00+02:00', timeZone: 'Europe/Berlin' },
  start: { dateTime: '2026-03-30T10:00:00+02:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-03-30T11:00:00+02:00', timeZone: 'Europe/Berlin' },
  eventType: 'default',
  organizer: { email: 'Mgr@Acme.com' },
  attendees: [
    { email: 'mgr@acme.com', responseStatus: 'accepted', organizer: true },
    { email: 'ana@acme.com', responseStatus: 'declined' },
    { email: 'guest@partner.io', responseStatus: 'accepted' },
    { email: 'room-1@resource.calendar.google.com', responseStatus: 'accepted', resource: true },
  ],
  updated: '2026-03-20T09:00:00.000Z',
  classification: { class: 'team', ritual: '' },
}
