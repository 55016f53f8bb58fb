import type { Figure } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

export interface FreshnessResult {
  deliveries: number
  p50_ms: number
  p95_ms: number
  max_ms: number
}

export async function freshnessFigures(): Promise<Figure[]> {
  const r = await runSection<FreshnessResult>('freshness', { deliveries: small ? 10 : 50 })
  const g = `freshness: Jira webhook → visible in metrics (${r.deliveries} deliveries, real broker)`
  return [
    { group: g, name: 'p50', value: r.p50_ms, unit: 'ms' },
    { group: g, name: 'p95', value: r.p95_ms, unit: 'ms', target: '< 5000', ok: r.p95_ms < 5000 },
  ]
}
