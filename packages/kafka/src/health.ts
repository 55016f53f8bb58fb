/**
 * Which stages hold a batch they cannot write. A stage retrying one batch for longer than the
 * threshold is *stalled*: /readyz answers 503 naming it and the batch, and a gauge and a counter
 * say so on /metrics, where a sink retrying forever used to look healthy. One instance per
 * process (the runtime or the service creates it and hands it to the stages and the HTTP server).
 */

export const DEFAULT_STALL_MS = 60_000

export interface StalledBatch {
  stage: string
  /** `topic:partition:first-last` */
  batch: string
  /** when the first attempt failed */
  since: string
  attempts: number
  lastError: string
}

interface Retrying {
  since: number
  attempts: number
  lastError: string
  /** counted in `stallsTotal` already */
  counted: boolean
}

export class StageHealth {
  private readonly retrying = new Map<string, Map<string, Retrying>>()
  private readonly stalls = new Map<string, number>()

  constructor(
    /** ORGPULSE_STAGE_STALL_MS: retrying one batch this long counts as stalled */
    readonly stallMs: number = DEFAULT_STALL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** a write attempt of `batch` failed with `error` (its message); the stage will retry it */
  failed(stage: string, batch: string, error: string): void {
    let byBatch = this.retrying.get(stage)
    if (!byBatch) {
      byBatch = new Map()
      this.retrying.set(stage, byBatch)
    }
    const r = byBatch.get(batch) ?? { since: this.now(), attempts: 0, lastError: '', counted: false }
    r.attempts++
    r.lastError = error
    byBatch.set(batch, r)
    this.stalled()
  }

  /** `batch` went through (or was abandoned on stop): the stage no longer holds it */
  settled(stage: string, batch: string): void {
    this.retrying.get(stage)?.delete(batch)
  }

  /** the batches retried for longer than the threshold, now */
  stalled(): StalledBatch[] {
    const out: StalledBatch[] = []
    const now = this.now()
    for (const [stage, byBatch] of this.retrying) {
      for (const [batch, r] of byBatch) {
        if (now - r.since < this.stallMs) continue
        if (!r.counted) {
          r.counted = true
          this.stalls.set(stage, (this.stalls.get(stage) ?? 0) + 1)
        }
        out.push({
          stage,
          batch,
          since: new Date(r.since).toISOString(),
          attempts: r.attempts,
          lastError: r.lastError,
        })
      }
    }
    return out
  }

  /** per stage: batches stalled now, and stalls seen since start (for Prometheus) */
  counts(): { stage: string; stalledNow: number; stallsTotal: number }[] {
    const now = new Map<string, number>()
    for (const s of this.stalled()) now.set(s.stage, (now.get(s.stage) ?? 0) + 1)
    const stages = new Set([...this.retrying.keys(), ...this.stalls.keys()])
    return [...stages].map((stage) => ({
      stage,
      stalledNow: now.get(stage) ?? 0,
      stallsTotal: this.stalls.get(stage) ?? 0,
    }))
  }

  /** the /readyz check: 'ok' or what is stalled */
  check(): string {
    const stalled = this.stalled()
    if (stalled.length === 0) return 'ok'
    return `error: ${stalled
      .map(
        (s) =>
          `stage ${s.stage} has retried batch ${s.batch} for ${Math.round((this.now() - Date.parse(s.since)) / 1000)} s (${s.attempts} attempts; last error: ${s.lastError})`,
      )
      .join('; ')}`
  }
}
