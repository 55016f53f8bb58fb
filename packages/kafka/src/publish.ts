import { type RawEnvelope, rawEnvelopeSchema, rawTopic } from '@orgpulse/contracts'
import type { StageHealth } from './health.ts'
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
 * HTTP edge answers 503 with the message (Fastify reads `statusCode`).
 */
export class PipelineStalledError extends Error {
  readonly statusCode = 503
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
