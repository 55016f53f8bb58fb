import { syncedEnvelope } from '@orgpulse/contracts'
import { type Bus, publishRaw } from '@orgpulse/kafka'
import { expect } from 'vitest'

/** the dependency metrics the blocking-link scenarios hand-compute, in the order `expectFigures` takes them */
export const DEPENDENCY_IDS = [
  'blockers_open',
  'blocker_age_p50_days',
  'blocker_age_p90_days',
  'blockers_resolved_14d_rate',
  'blocked_item_days',
] as const

/** each figure present and equal to the hand-computed one, to `digits` decimals (computeOrgMetrics rounds to 6) */
export function expectFigures(got: Record<string, number | null>, want: number[], digits = 6): void {
  DEPENDENCY_IDS.forEach((id, i) => {
    expect(got[id], id).not.toBeNull()
    expect(got[id], id).toBeCloseTo(want[i]!, digits)
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
