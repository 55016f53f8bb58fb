import { Counter, Gauge, type Registry } from 'prom-client'

/** What the stage metrics read: `StageHealth` from @orgpulse/kafka, by shape (no dependency on the bus). */
export interface StageHealthSource {
  counts(): { stage: string; stalledNow: number; stallsTotal: number }[]
}

/**
 * `orgpulse_stage_stalled{stage}` (batches retried longer than ORGPULSE_STAGE_STALL_MS, now) and
 * `orgpulse_stage_stalls_total{stage}` (such batches since start), read from the stages' health
 * at each scrape so they never drift from what /readyz says.
 */
export function registerStageMetrics(registry: Registry, health: StageHealthSource): void {
  new Gauge({
    name: 'orgpulse_stage_stalled',
    help: 'batches a pipeline stage has retried for longer than ORGPULSE_STAGE_STALL_MS, now',
    labelNames: ['stage'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const c of health.counts()) this.set({ stage: c.stage }, c.stalledNow)
    },
  })
  new Counter({
    name: 'orgpulse_stage_stalls_total',
    help: 'batches a pipeline stage retried for longer than ORGPULSE_STAGE_STALL_MS, since start',
    labelNames: ['stage'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const c of health.counts()) this.inc({ stage: c.stage }, c.stallsTotal)
    },
  })
}
