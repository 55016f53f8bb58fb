import { OrgpulseError, type RawEnvelope, rawEnvelopeSchema, rawTopic } from '@orgpulse/contracts'
import type { StageHealth } from './health.ts'
import type { MemoryBus } from './memory-bus.ts'
import type { Bus } from './port.ts'

/** Publishes source payloads to their raw topic, keyed by source entity id; resolves once acked. */
export async function publishRaw(bus: Bus, envelopes: RawEnvelope[]): Promise<void> {
  const bySource = new Map<RawEnvelope['source'], RawEnvelope[]>()
  for (const e of envelopes) {
    const checked = rawEnvelopeSchema.parse(e)
    const list = bySource.get(checked.source) ?? []
    list.push(checked)
    bySource.set(checked.source, list)
  }
  for (const [source, list] of bySource) {
    await bus.publish(
      rawTopic(source),
      list.map((e) => ({ key: e.sourceId, value: Buffer.from(JSON.stringify(e)) })),
    )
  }
}

/**
 * A wait for the pipeline ended because a stage is stalled. What was published stays on the bus
 * and is written once the stage gets through (in embedded mode, while this process runs); an
 * HTTP edge answers 503 with the message (kind `unavailable`).
 */
export class PipelineStalledError extends OrgpulseError {
  /** for callers that read Fastify's convention on the error itself; the edges map the kind */
  readonly statusCode = 503

  constructor(message: string) {
    super('unavailable', message)
  }
}

/** Polls until the groups have consumed everything on their topics (embedded commands use this). */
export async function waitUntilCaughtUp(
  bus: Bus,
  groups: { groupId: string; topics: string[] }[],
  timeoutMs = 120_000,
  /** between lag checks; each check is a few admin requests to the broker */
  intervalMs = 25,
  /** the stages' health: a stalled stage ends the wait at once, saying which batch it holds */
  health?: StageHealth,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let lag = 0
    for (const g of groups) lag += await bus.lag(g.groupId, g.topics)
    if (lag === 0) return
    const stalled = health?.check() ?? 'ok'
    if (stalled !== 'ok')
      throw new PipelineStalledError(
        `pipeline stalled, ${lag} records not yet written: ${stalled.replace(/^error: /, '')}`,
      )
    if (Date.now() > deadline)
      throw new Error(`pipeline still has ${lag} unprocessed records after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/**
 * Waits until the stages, in pipeline order (each one's output topics are read by the ones after
 * it), have committed past everything published before the call: raw records through the
 * transformer, then the canonical events and dead letters it produced through the sink and the
 * DLQ sink. Each stage commits only after its output was published (or written), so once a
 * stage is past its mark, everything derived from those records is below the next stage's mark,
 * taken afterwards. Unlike waitUntilCaughtUp it does not need the pipeline to go idle: records
 * published after the call (webhooks, other connectors) do not delay it.
 */
export async function waitUntilWritten(
  bus: MemoryBus,
  stages: { groupId: string; topics: string[] }[],
  timeoutMs = 120_000,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const stage of stages) {
    const marks = stage.topics.map((t) => [t, bus.endOffsets(t)] as const)
    for (;;) {
      let behind = 0
      for (const [topic, ends] of marks) {
        const committed = bus.committedOffsets(stage.groupId, topic)
        ends.forEach((end, p) => {
          behind += Math.max(0, end - (committed[p] ?? 0))
        })
      }
      if (behind === 0) break
      if (bus.isClosed)
        throw new Error(
          `the bus closed while ${stage.groupId} had ${behind} published record(s) left to process`,
        )
      if (Date.now() > deadline)
        throw new Error(
          `${stage.groupId} has not processed ${behind} published record(s) after ${timeoutMs} ms: they are not written yet`,
        )
      await new Promise((r) => setTimeout(r, intervalMs))
    }
  }
}
