import { RejectedRecord } from '@orgpulse/kafka'
import type { Mapper } from './types.ts'

/** Placeholder until the jira connector's mapping lands: records stay replayable from the raw topic. */
export const mapJira: Mapper = (envelope) => {
  throw new RejectedRecord(`no jira mapping for entity "${envelope.entity}" yet`)
}
