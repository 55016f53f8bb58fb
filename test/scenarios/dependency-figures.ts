import { syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import { metricById } from '@orgpulse/metrics'
import { expect } from 'vitest'

/** the dependency metrics the blocking-link scenarios hand-compute, in the order `expectFigures` takes them */
export const DEPENDENCY_IDS = [
  'blockers_open',
  'blocker_age_p50_days',
  'blocker_age_p90_days',
  'blockers_resolved_14d_rate',
  'blocked_item_days',
] as const

/** one scope of a metrics result (org or team), as computeOrgMetrics and the api give it */
export interface ScopeFigures {
  metrics: Record<string, number | null>
  samples: Record<string, number | null>
  withheld: Record<string, string>
}

/**
 * Each figure equal to the hand-computed one, to `digits` decimals (computeOrgMetrics rounds to
 * 6), when its sample reaches the catalog's minimum; under it, null with the exact too_few
 * reason. The age quantiles rest on the open blockers: their n must be `blockers_open`.
 */
export function expectFigures(got: ScopeFigures, want: number[], digits = 6): void {
  DEPENDENCY_IDS.forEach((id, i) => {
    const m = metricById(id)
    const n = got.samples[id]
    expect(n, `${id} sample`).not.toBeNull()
    if (id.startsWith('blocker_age_')) expect(n, `${id} sample`).toBe(want[0])
    if (n! >= m.minSample) {
      expect(got.metrics[id], id).not.toBeNull()
      expect(got.metrics[id], id).toBeCloseTo(want[i]!, digits)
    } else {
      expect(got.metrics[id], id).toBeNull()
      expect(got.withheld[id], id).toBe(`too_few: n = ${n} ${m.sampleOf} (minimum ${m.minSample})`)
    }
  })
}

/**
 * The Jira scenarios' three projects as `ingest jira` records a full sync of them (one team each),
 * so the dependency figures of windows before `coveredTo` are measured, not "no data".
 */
export async function markJiraProjectsSynced(
  bus: Bus,
  coveredTo = '2026-08-02T00:00:00.000Z',
): Promise<void> {
  await publishRaw(
    bus,
    (
      [
        ['APP', 'u:amy@x.io'],
        ['BILL', 'u:ben@x.io'],
        ['CORE', 'u:cal@x.io'],
      ] as const
    ).map(([project, team]) =>
      syncedEnvelope('jira', {
        scopeKind: 'project',
        scope: project,
        mode: 'full',
        coveredFrom: null,
        coveredTo,
        teams: [team],
      }),
    ),
  )
}
