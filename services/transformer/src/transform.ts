import {
  type CanonicalEvent,
  canonicalEventSchema,
  formatIssues,
  rawEnvelopeSchema,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { MAPPERS, type MapperContext } from './mappers/index.ts'

/** Raw bytes → canonical events, or a RejectedRecord saying exactly why not. */
export function transformBytes(value: Buffer, ctx: MapperContext): CanonicalEvent[] {
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch (err) {
    throw new RejectedRecord(`not JSON: ${(err as Error).message}`)
  }
  const envelope = rawEnvelopeSchema.safeParse(json)
  if (!envelope.success) {
    throw new RejectedRecord(`not a raw envelope: ${formatIssues(envelope.error).join('; ')}`)
  }
  const mapped = MAPPERS[envelope.data.source](envelope.data, ctx)
  return mapped.map((e) => {
    const checked = canonicalEventSchema.safeParse(e)
    if (!checked.success) {
      throw new RejectedRecord(
        `mapping produced an invalid ${String((e as { type?: unknown }).type)} event: ${formatIssues(checked.error).join('; ')}`,
      )
    }
    return checked.data
  })
}

export function decodeEvent(value: Buffer): CanonicalEvent {
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch (err) {
    throw new RejectedRecord(`not JSON: ${(err as Error).message}`)
  }
  const checked = canonicalEventSchema.safeParse(json)
  if (!checked.success) {
    throw new RejectedRecord(`not a canonical event: ${formatIssues(checked.error).join('; ')}`)
  }
  return checked.data
}
