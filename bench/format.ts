/** Shared helpers for benchmark figures: quantiles, timing, a printed table. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now()
  const value = await fn()
  return { ms: performance.now() - t, value }
}

export async function sample(
  runs: number,
  fn: () => Promise<unknown>,
): Promise<{ p50: number; p95: number; runs: number }> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) times.push((await timed(fn)).ms)
  times.sort((a, b) => a - b)
  return { p50: round(quantile(times, 0.5)), p95: round(quantile(times, 0.95)), runs }
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

export interface Figure {
  group: string
  name: string
  value: number | string
  unit: string
  target?: string
  ok?: boolean
  /**
   * a stable name for the figure in bench/results.json's `keys` (e.g. `pipeline_cpu_ratio`), for
   * figures compared across runs and named by the issues
   */
  key?: string
}

export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.group,
    f.name,
    String(f.value),
    f.unit,
    f.target ?? '',
    f.ok === undefined ? '' : f.ok ? 'ok' : 'MISSED',
  ])
  const head = ['group', 'figure', 'value', 'unit', 'target', '']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  console.log(line(head))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(r))
}
