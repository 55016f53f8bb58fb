import type { Mapper } from '@orgpulse/connector'
import { mapCalendar } from '@orgpulse/connector-calendar'
import { mapDecisionRecord } from '@orgpulse/connector-decisions'
import { mapJira } from '@orgpulse/connector-jira'
import { mapLinear } from '@orgpulse/connector-linear'
import type { Source } from '@orgpulse/contracts'

/** Each source's raw → canonical mapper, the one the transformer applies to its raw topic. */
export const MAPPERS: Record<Source, Mapper> = {
  decisions: mapDecisionRecord,
  jira: mapJira,
  linear: mapLinear,
  calendar: mapCalendar,
}
