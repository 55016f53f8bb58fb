export interface SyncProgress {
  project: string
  done: number
  /** null when Jira gave no count */
  total: number | null
  /** issues per second since the project's sync started */
  rate: number
  /** seconds left at the current rate; null when unknown */
  etaSeconds: number | null
}

/** Counts issues and derives rate and ETA from a clock (injectable for tests). */
export class ProgressMeter {
  private readonly started: number
  done = 0

  constructor(
    readonly project: string,
    public total: number | null,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now()
  }

  advance(n: number): SyncProgress {
    this.done += n
    return this.snapshot()
  }

  snapshot(): SyncProgress {
    const elapsed = Math.max(1, this.now() - this.started) / 1000
    const rate = this.done / elapsed
    // an approximate count can be exceeded: never show more done than total
    const total = this.total === null ? null : Math.max(this.total, this.done)
    const etaSeconds = total === null || rate === 0 ? null : Math.round((total - this.done) / rate)
    return { project: this.project, done: this.done, total, rate: Math.round(rate * 10) / 10, etaSeconds }
  }
}

export function formatProgress(p: SyncProgress): string {
  const of = p.total === null ? `${p.done}` : `${p.done}/${p.total}`
  const eta =
    p.etaSeconds === null
      ? ''
      : `, ETA ${p.etaSeconds < 60 ? `${p.etaSeconds}s` : `${Math.floor(p.etaSeconds / 60)}m${String(p.etaSeconds % 60).padStart(2, '0')}s`}`
  return `jira ${p.project}: ${of} issues, ${p.rate}/s${eta}`
}
