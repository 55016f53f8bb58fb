import { RejectedRecord } from '@orgpulse/kafka'
import type { Mapper } from './types.ts'

/** Placeholder until the linear connector's mapping lands: records stay replayable from the raw topic. */
export const mapLinear: Mapper = (envelope) => {
  throw new RejectedRecord(`no linear mapping for entity "${envelope.entity}" yet`)
}
