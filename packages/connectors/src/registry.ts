import type { Connector, Mapper, PullConnector } from '@orgpulse/connector'
import { calendarConnector } from '@orgpulse/connector-calendar'
import { decisionsConnector } from '@orgpulse/connector-decisions'
import { jiraConnector } from '@orgpulse/connector-jira'
import { linearConnector } from '@orgpulse/connector-linear'
import type { OrgpulseConfig, Source } from '@orgpulse/contracts'

/**
 * Every source's connector: the one list the CLI's ingest commands, `ingest watch`, `start`'s
 * scheduled pull, the ingest services, the api's webhook routes and the transformer read.
 * The order is the order scheduled pulls run in.
 */
export const CONNECTORS = {
  jira: jiraConnector,
  linear: linearConnector,
  calendar: calendarConnector,
  decisions: decisionsConnector,
} as const satisfies Record<Source, Connector>

export type Connectors = typeof CONNECTORS

export const connectorFor = <S extends Source>(source: S): Connectors[S] => CONNECTORS[source]

const all = (): Connector[] => Object.values(CONNECTORS) as Connector[]

const pulls = (c: Connector): c is PullConnector => c.sync !== undefined

/** the connectors with a scheduled pull, in pull order */
export const PULLED: readonly PullConnector[] = all().filter(pulls)

/** the connectors orgpulse.yaml turns the pull on for, in pull order */
export const configuredConnectors = (config: OrgpulseConfig): PullConnector[] =>
  PULLED.filter((c) => c.configured(config))

/** the connectors that take pushes (vendor webhooks, the decision API) */
export const withWebhook = (): Connector[] => all().filter((c) => c.webhook !== undefined)

/** Each source's raw → canonical mapper, the one the transformer applies to its raw topic. */
export const MAPPERS = Object.fromEntries(all().map((c) => [c.source, c.mapper])) as Record<Source, Mapper>
