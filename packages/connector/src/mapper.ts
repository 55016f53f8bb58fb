import type { CanonicalEventInput, OrgpulseConfig, RawEnvelope } from '@orgpulse/contracts'

/** when an envelope's version reached orgpulse, in ms (0 when its fetchedAt is unreadable) */
export const arrivalOf = (envelope: RawEnvelope): number => {
  const ms = Date.parse(envelope.fetchedAt)
  return Number.isNaN(ms) || ms < 0 ? 0 : ms
}

export interface MapperContext {
  config: OrgpulseConfig
}

/**
 * One raw envelope → canonical events. Pure: no I/O, so replays from the raw topics are exact.
 * Throw `RejectedRecord` (from @orgpulse/kafka) with a reason for input that can never map.
 */
export type Mapper = (envelope: RawEnvelope, ctx: MapperContext) => CanonicalEventInput[]
