import type { CanonicalEventInput, OrgpulseConfig, RawEnvelope } from '@orgpulse/contracts'

export interface MapperContext {
  config: OrgpulseConfig
}

/**
 * One raw envelope → canonical events. Pure: no I/O, so replays from the raw topics are exact.
 * Throw `RejectedRecord` (from @orgpulse/kafka) with a reason for input that can never map.
 */
export type Mapper = (envelope: RawEnvelope, ctx: MapperContext) => CanonicalEventInput[]
