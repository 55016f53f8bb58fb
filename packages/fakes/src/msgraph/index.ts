import { type FakeGraphCalendar, type FakeGraphCalendarOptions, fakeGraphCalendar } from './calendar.ts'
import {
  type FakeGraphAppOptions,
  type FakeGraphShell,
  type GraphRoute,
  startFakeGraphShell,
} from './server.ts'

export type { FakeGraphEvent, GraphDateTimeTimeZone, GraphResponse, ThrottleStatus } from './calendar.ts'
export { instantOf } from './calendar.ts'
export type { FakeGraphAppOptions, GraphRoute, GraphRouteContext, RecordedGraphRequest } from './server.ts'
export { GRAPH_SCOPE, graphError, sendJson } from './server.ts'
export { TEST_APP_CERTIFICATE } from './test-app-certificate.ts'
export type { FakeGraphUser, FakeGraphUsers } from './users.ts'
export { fakeGraphUsers } from './users.ts'

export interface FakeMsGraphOptions extends FakeGraphCalendarOptions {
  app?: FakeGraphAppOptions
  /** more Graph resources (route files beside calendar.ts), tried after the calendar's */
  routes?: GraphRoute[]
}

export type FakeMsGraph = FakeGraphShell & Omit<FakeGraphCalendar, 'route'>

/** A fake Microsoft Graph with its token endpoint: mailbox calendars (calendarView delta) and any extra routes. */
export async function startFakeMsGraph(o: FakeMsGraphOptions = {}): Promise<FakeMsGraph> {
  const calendar = fakeGraphCalendar(o)
  const shell = await startFakeGraphShell(o.app ?? {}, [calendar.route, ...(o.routes ?? [])])
  const { route: _route, ...calendarApi } = calendar
  return { ...shell, ...calendarApi }
}
