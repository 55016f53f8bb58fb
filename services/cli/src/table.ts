/** A plain aligned text table for terminals. */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)'
  const cols = columns ?? Object.keys(rows[0]!)
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '—' : typeof v === 'number' ? formatNumber(v) : String(v)
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n')
}

export const formatNumber = (n: number): string =>
  Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 10 ? 3 : 1)
