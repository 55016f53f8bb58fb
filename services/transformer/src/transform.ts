import { FACT_TABLE } from '@orgpulse/clickhouse'
import type { MapperContext } from '@orgpulse/connector'
import { connectorFor } from '@orgpulse/connectors'
import {
  type CanonicalEvent,
  type CanonicalEventInput,
  canonicalEventSchema,
  eventId,
  formatIssues,
  type RawEnvelope,
  rawEnvelopeSchema,
  syncedPayloadSchema,
} from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'

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
  const mapped =
    envelope.data.entity === 'synced'
      ? mapSynced(envelope.data)
      : connectorFor(envelope.data.source).mapper(envelope.data, ctx)
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

/**
 * The header the transformer puts on every event it publishes: the event was built by
 * transformBytes, which validated it against the canonical schema. The sink then only parses it
 * instead of validating it a second time (that second full validation was a sixth of the sink's
 * CPU); an event without it (another producer, a replay tool) is validated in full.
 */
export const VALIDATED_HEADER = 'orgpulse-validated'
export const VALIDATED_VALUE = 'canonical.v1'
export const validatedHeaders: Readonly<Record<string, string>> = { [VALIDATED_HEADER]: VALIDATED_VALUE }
export const isValidated = (headers: Readonly<Record<string, string>> | undefined): boolean =>
  headers?.[VALIDATED_HEADER] === VALIDATED_VALUE

/**
 * A canonical event's bytes → the event, or a RejectedRecord saying why not. With the
 * transformer's header only the shape the sink relies on is checked (a known type, an id);
 * anything else goes through the full schema, which also names what is wrong.
 */
export function decodeEvent(value: Buffer, headers?: Readonly<Record<string, string>>): CanonicalEvent {
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch (err) {
    throw new RejectedRecord(`not JSON: ${(err as Error).message}`)
  }
  if (isValidated(headers) && looksCanonical(json)) return json
  return validateEvent(json)
}

/** the full canonical schema (defaults applied), or a RejectedRecord with its issues */
export function validateEvent(json: unknown): CanonicalEvent {
  const checked = canonicalEventSchema.safeParse(json)
  if (!checked.success) {
    throw new RejectedRecord(`not a canonical event: ${formatIssues(checked.error).join('; ')}`)
  }
  return checked.data
}

const looksCanonical = (json: unknown): json is CanonicalEvent => {
  if (typeof json !== 'object' || json === null) return false
  const e = json as { type?: unknown; id?: unknown }
  return typeof e.type === 'string' && Object.hasOwn(FACT_TABLE, e.type) && typeof e.id === 'string'
}

/**
 * A connector's coverage record (entity `synced`, any source) → `source.synced`. The id is
 * deterministic, so a replay collapses onto it. A full sync keeps its own row; the frequent ones
 * (incremental syncs and tracker pulls every few minutes, ICS feeds re-imported with a window
 * relative to now) keep one row per scope and UTC day, the day's latest winning by version: a
 * calendar pulled every 15 minutes stays one row a day, and no range is lost (the day's latest
 * incremental reaches furthest; a re-imported window moves by less than the previous day's
 * row overlaps).
 */
export function mapSynced(envelope: RawEnvelope): CanonicalEventInput[] {
  const parsed = syncedPayloadSchema.safeParse(envelope.payload)
  if (!parsed.success) {
    throw new RejectedRecord(`invalid coverage record: ${formatIssues(parsed.error).join('; ')}`)
  }
  const p = parsed.data
  const iso = (v: string, what: string): string => {
    const ms = Date.parse(v)
    if (Number.isNaN(ms)) throw new RejectedRecord(`coverage record ${what} is not a time: "${v}"`)
    return new Date(ms).toISOString()
  }
  const coveredTo = iso(p.coveredTo, 'coveredTo')
  const coveredFrom = p.coveredFrom === null ? null : iso(p.coveredFrom, 'coveredFrom')
  if (coveredFrom !== null && Date.parse(coveredFrom) > Date.parse(coveredTo))
    throw new RejectedRecord(`coverage record ends (${coveredTo}) before it starts (${coveredFrom})`)
  const at = iso(envelope.fetchedAt, 'fetchedAt')
  const scope = p.scopeKind === 'calendar' ? p.scope.trim().toLowerCase() : p.scope
  return [
    {
      type: 'source.synced',
      id: eventId(
        envelope.source,
        `synced:${p.scopeKind}:${scope}`,
        p.mode === 'full'
          ? `full:${coveredFrom ?? ''}:${coveredTo}:${at}`
          : p.mode === 'range'
            ? `range:${(coveredFrom ?? '').slice(0, 10)}:${coveredTo.slice(0, 10)}:${at.slice(0, 10)}`
            : `incremental:${at.slice(0, 10)}`,
      ),
      source: envelope.source,
      sourceId: `${p.scopeKind}:${scope}`,
      occurredAt: at,
      version: Date.parse(at),
      scopeKind: p.scopeKind,
      scope,
      mode: p.mode,
      coveredFrom,
      coveredTo,
      teams: p.teams,
    },
  ]
}
