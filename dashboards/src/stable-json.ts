/**
 * JSON with keys sorted at every level and functions dropped, so the same input always yields
 * the same bytes (the generated files are committed and compared byte for byte).
 */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (typeof v === 'function' || v === undefined) continue
      out[key] = sortKeys(v)
    }
    return out
  }
  return value
}

export const stableJson = (value: unknown): string => `${JSON.stringify(sortKeys(value), null, 2)}\n`
