import type { Source } from '@orgpulse/contracts'
import { mapCalendar } from './calendar.ts'
import { mapDecisionRecord } from './decisions.ts'
import { mapJira } from './jira.ts'
import { mapLinear } from './linear.ts'
import type { Mapper } from './types.ts'

export type { Mapper, MapperContext } from './types.ts'

export const MAPPERS: Record<Source, Mapper> = {
  decisions: mapDecisionRecord,
  jira: mapJira,
  linear: mapLinear,
  calendar: mapCalendar,
}
