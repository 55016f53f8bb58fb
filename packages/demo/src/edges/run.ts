import { CursorStore } from '@orgpulse/clickhouse'
import type { ConnectorContext } from '@orgpulse/connector'
import { GOOGLE_CONNECTOR, ingestGoogleCalendar } from '@orgpulse/connector-calendar'
import { teamsOfProject } from '@orgpulse/connector-jira'
import { connectorFor } from '@orgpulse/connectors'
import {
  type CanonicalEventInput,
  calendarConfigSchema,
  eventId,
  type OrgpulseConfig,
  parseEnv,
} from '@orgpulse/contracts'
import { startFakeGoogleCalendar } from '@orgpulse/fakes/google-calendar'
import { startFakeJira } from '@orgpulse/fakes/jira'
import { startFakeLinear } from '@orgpulse/fakes/linear'
import type { DemoCompany, DemoOutline } from '../generate.ts'
import { calendarPeople, calendarPlan } from './calendar.ts'
import { applyJiraChanges, jiraPlan } from './jira.ts'
import { linearPlan } from './linear.ts'

export interface ConnectorRun {
  jira: { issues: number; requests: number; ms: number } | null
  linear: { cycles: number; requests: number; ms: number } | null
  calendar: { calendars: number; events: number; failed: string[]; ms: number }
  /** titles the demo put on calendars: they must stay inside the connector */
  titles: string[]
}

const DAY = 86_400_000

// Credentials only these in-process fakes accept; they never leave this process.
const JIRA_CREDENTIALS = { JIRA_EMAIL: 'demo@orgpulse.dev', JIRA_API_TOKEN: 'orgpulse-demo-token' }

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now()
  const v = await f()
  return [v, Math.round(performance.now() - t0)]
}

/**
 * The company's Jira, Linear and Google Calendar activity through the real edges: each vendor
 * is a fake server on 127.0.0.1 seeded from the company, and the connectors sync it exactly as
 * `orgpulse ingest jira|linear|calendar` would (Jira and Linear through the registry's
 * connectors), onto the runtime's bus, with cursors in
 * ClickHouse. The connectors read the runtime's config for the mapping (it must already hold the
 * demo's sections, see applyDemoConfig) plus the fake's address, which only this run knows.
 * The fakes are closed before returning, also on failure.
 */
export async function syncThroughConnectors(
  rt: ConnectorContext,
  company: DemoCompany,
  progress: (m: string) => void,
): Promise<ConnectorRun> {
  const cursors = new CursorStore(rt.client)
  const withSections = (extra: Partial<OrgpulseConfig>): OrgpulseConfig => ({ ...rt.config, ...extra })
  const run: ConnectorRun = {
    jira: null,
    linear: null,
    calendar: { calendars: 0, events: 0, failed: [], ms: 0 },
    titles: [],
  }

  const jira = jiraPlan(company)
  if (jira && rt.config.jira) {
    const fake = await startFakeJira({
      ...jira.seed,
      credentials: { email: JIRA_CREDENTIALS.JIRA_EMAIL, token: JIRA_CREDENTIALS.JIRA_API_TOKEN },
    })
    try {
      applyJiraChanges(fake, jira.changes)
      const at = { ...rt, config: withSections({ jira: { ...rt.config.jira, baseUrl: fake.url } }) }
      const [{ result }, ms] = await timed(() =>
        connectorFor('jira').sync(at, { env: parseEnv(JIRA_CREDENTIALS) }),
      )
      const issues = result.projects.reduce((n, p) => n + p.issues, 0)
      run.jira = { issues, requests: result.requests, ms }
      progress(`jira (fake, ${result.projects.length} projects): ${issues} issues synced in ${ms} ms`)
    } finally {
      await fake.close()
    }
  }

  const linear = linearPlan(company)
  if (linear && rt.config.linear) {
    // the fake's hourly budgets model one busy workspace; the demo syncs hundreds of teams at
    // once and would sit out the window, so its budgets are lifted (the client still reads them)
    const fake = await startFakeLinear(linear.seed, {
      limits: { requestsLimit: 1_000_000, complexityLimit: 1_000_000_000 },
    })
    try {
      const at = { ...rt, config: withSections({ linear: { ...rt.config.linear, apiUrl: fake.url } }) }
      const [{ result }, ms] = await timed(() =>
        connectorFor('linear').sync(at, { env: parseEnv({ LINEAR_API_KEY: fake.apiKey }) }),
      )
      const cycles = result.teams.reduce((n, t) => n + t.cycles, 0)
      run.linear = { cycles, requests: result.requests, ms }
      progress(`linear (fake, ${result.teams.length} teams): ${cycles} cycles synced in ${ms} ms`)
    } finally {
      await fake.close()
    }
  }

  const cal = calendarPlan(company)
  run.titles = cal.titles
  // A demo loaded earlier into this data dir left sync tokens for these calendars. They came from
  // a fake that is gone, and this run's fake would take them for "nothing changed since", so the
  // demo domain's calendars start over with a full sync (other domains' cursors are left alone).
  await rt.client.command({
    query:
      'DELETE FROM ingest_cursors WHERE connector = {connector:String} AND endsWith(scope, {domain:String})',
    query_params: { connector: GOOGLE_CONNECTOR, domain: `@${company.domain}` },
  })
  const fake = await startFakeGoogleCalendar(cal.seed)
  try {
    const calendar = calendarConfigSchema.parse({
      ...rt.config.calendar,
      google: {
        rootUrl: fake.rootUrl,
        people: cal.people,
        // the whole history, as seen from the demo's last day; nothing lies ahead of it
        initialDaysBack: calendarDaysBack(company),
        initialDaysAhead: 0,
        pageSize: 2500,
      },
    })
    const [results, ms] = await timed(() =>
      ingestGoogleCalendar({
        bus: rt.bus,
        durable: rt.durable,
        client: rt.client,
        config: withSections({ calendar }),
        env: parseEnv({ GOOGLE_SERVICE_ACCOUNT_KEY: fake.serviceAccountKey }),
        cursors,
        now: () => company.end,
      }),
    )
    const failed = results.filter((r) => r.error).map((r) => `${r.person}: ${r.error}`)
    run.calendar = {
      calendars: results.length,
      events: results.reduce((n, r) => n + r.events, 0),
      failed,
      ms,
    }
    progress(
      `google calendar (fake): ${results.length} calendars, ${run.calendar.events} event copies synced in ${ms} ms`,
    )
    if (failed.length > 0)
      throw new Error(`demo: ${failed.length} calendars failed to sync, e.g. ${failed[0]}`)
  } finally {
    await fake.close()
  }
  return run
}

/** how far back the demo's Google sync reads, from its last day: the whole history */
function calendarDaysBack(company: DemoOutline): number {
  return Math.ceil((company.end.getTime() - company.start.getTime()) / (7 * DAY)) * 7 + 7
}

/**
 * The coverage records the connectors write for the demo (one full sync per calendar over the
 * demo's history, one sync per Jira project and Linear team), for the direct load, which skips
 * the connectors: both loads then measure the same people and trackers.
 */
export function demoCoverageEvents(company: DemoOutline, config: OrgpulseConfig): CanonicalEventInput[] {
  const at = company.end.toISOString()
  const from = new Date(company.end.getTime() - calendarDaysBack(company) * DAY).toISOString()
  const synced = (
    source: 'calendar' | 'jira' | 'linear',
    scopeKind: 'calendar' | 'project' | 'team',
    scope: string,
    coveredFrom: string | null,
    teams: string[],
  ): CanonicalEventInput => ({
    type: 'source.synced',
    id: eventId(source, `synced:${scopeKind}:${scope}`, `demo:${at}`),
    source,
    sourceId: `${scopeKind}:${scope}`,
    occurredAt: at,
    version: company.end.getTime(),
    scopeKind,
    scope,
    mode: 'full',
    coveredFrom,
    coveredTo: at,
    teams,
  })
  const jira = config.jira
  return [
    ...calendarPeople(company).map((p) => synced('calendar', 'calendar', p, from, [])),
    ...(jira ? jira.projects.map((k) => synced('jira', 'project', k, null, teamsOfProject(jira, k))) : []),
    ...Object.entries(config.linear?.teams ?? {}).map(([k, team]) =>
      synced('linear', 'team', k, null, [team]),
    ),
  ]
}
