import { RejectedRecord } from '@orgpulse/kafka'
import type { Mapper } from './types.ts'

/** Placeholder until the calendar connector's mapping lands: records stay replayable from the raw topic. */
export const mapCalendar: Mapper = (envelope) => {
  throw new RejectedRecord(`no calendar mapping for entity "${envelope.entity}" yet`)
}
