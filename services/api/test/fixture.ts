import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { eventId } from '@orgpulse/contracts'
import { decisionEvents, type FixtureDecision, insertEvents, linkEvents } from './helpers.ts'

/*
 * Decisions and blockers around 2026-Q3 ([2026-07-01, 2026-10-01)) on the fixture org.
 * Active in Q3 in dir's org (raised before 10-01, not closed before 07-01): 17
 *   D01–D12  raised by a1..a5 on 07-02 … 07-13 09:00; D01–D08 decided by m1 24 h later;
 *            D09, D10 decided by dir 48 h later (implicitly escalated: dir is above their home m1);
 *            D11 open; D12 withdrawn 08-01
 *   T1–T3    raised by b1 at the same instant 07-15 00:00 (a tie for the cursor), called by m2
 *            07-16 00:00 (T3 rejected)
 *   E1       raised by b2 08-01, explicitly escalated to dir, decided by m2 08-03 (48 h)
 *   P3       raised by a2 06-20, still open
 * Not active in Q3: P1 (a1, 04-10 → m1 04-12), P2 (b1, 05-01 → dir 05-03, escalated).
 * Another org: X1 (c1, 07-05 → m3 07-06).
 */
export const DECISIONS: FixtureDecision[] = [
  ...Array.from({ length: 12 }, (_, i): FixtureDecision => {
    const n = i + 1
    const raised = `2026-07-${String(n + 1).padStart(2, '0')}T09:00:00Z`
    const d: FixtureDecision = {
      id: `D${String(n).padStart(2, '0')}`,
      raisedBy: `a${(i % 5) + 1}@x.io`,
      raisedAt: raised,
    }
    const plus = (h: number) => new Date(Date.parse(raised) + h * 3600000).toISOString()
    if (n <= 8) return { ...d, decidedBy: 'm1@x.io', decidedAt: plus(24) }
    if (n <= 10) return { ...d, decidedBy: 'dir@x.io', decidedAt: plus(48) }
    if (n === 12) return { ...d, withdrawnAt: '2026-08-01T00:00:00Z' }
    return d
  }),
  {
    id: 'T1',
    raisedBy: 'b1@x.io',
    raisedAt: '2026-07-15T00:00:00Z',
    decidedBy: 'm2@x.io',
    decidedAt: '2026-07-16T00:00:00Z',
  },
  {
    id: 'T2',
    raisedBy: 'b1@x.io',
    raisedAt: '2026-07-15T00:00:00Z',
    decidedBy: 'm2@x.io',
    decidedAt: '2026-07-16T00:00:00Z',
  },
  {
    id: 'T3',
    raisedBy: 'b1@x.io',
    raisedAt: '2026-07-15T00:00:00Z',
    decidedBy: 'm2@x.io',
    decidedAt: '2026-07-16T00:00:00Z',
    rejected: true,
  },
  {
    id: 'E1',
    raisedBy: 'b2@x.io',
    raisedAt: '2026-08-01T00:00:00Z',
    decidedBy: 'm2@x.io',
    decidedAt: '2026-08-03T00:00:00Z',
    escalatedTo: 'dir@x.io',
  },
  { id: 'P3', raisedBy: 'a2@x.io', raisedAt: '2026-06-20T00:00:00Z' },
  {
    id: 'P1',
    raisedBy: 'a1@x.io',
    raisedAt: '2026-04-10T00:00:00Z',
    decidedBy: 'm1@x.io',
    decidedAt: '2026-04-12T00:00:00Z',
  },
  {
    id: 'P2',
    raisedBy: 'b1@x.io',
    raisedAt: '2026-05-01T00:00:00Z',
    decidedBy: 'dir@x.io',
    decidedAt: '2026-05-03T00:00:00Z',
  },
  {
    id: 'X1',
    raisedBy: 'c1@x.io',
    raisedAt: '2026-07-05T00:00:00Z',
    decidedBy: 'm3@x.io',
    decidedAt: '2026-07-06T00:00:00Z',
  },
]

export const Q3_DECISION_IDS = [
  'P3',
  'D01',
  'D02',
  'D03',
  'D04',
  'D05',
  'D06',
  'D07',
  'D08',
  'D09',
  'D10',
  'D11',
  'D12',
  'T1',
  'T2',
  'T3',
  'E1',
]

/*
 * Blockers (team refs are unit ids):
 *   L1 m1 → m2  07-01, open                      (Q3: open at the end, 92 days)
 *   L2 m2 → m1  07-10, resolved 07-20            (Q3: resolved, 10 days)
 *   L3 m1 → m3  08-01, open                      (touches dir's and dir2's orgs; Q3: 61 days)
 *   L4 m3 → m3  08-01, open                      (same team: not cross-team)
 *   L6 m1 → m2  03-01, resolved 03-05            (before Q3)
 */
export async function loadFixtureActivity(client: ClickHouseClient): Promise<void> {
  await insertEvents(client, [
    ...DECISIONS.flatMap(decisionEvents),
    ...linkEvents('L1', 'u:m1@x.io', 'u:m2@x.io', '2026-07-01T00:00:00Z'),
    ...linkEvents('L2', 'u:m2@x.io', 'u:m1@x.io', '2026-07-10T00:00:00Z', '2026-07-20T00:00:00Z'),
    ...linkEvents('L3', 'u:m1@x.io', 'u:m3@x.io', '2026-08-01T00:00:00Z'),
    ...linkEvents('L4', 'u:m3@x.io', 'u:m3@x.io', '2026-08-01T00:00:00Z'),
    ...linkEvents('L6', 'u:m1@x.io', 'u:m2@x.io', '2026-03-01T00:00:00Z', '2026-03-05T00:00:00Z'),
    // the links come from a Jira project of teams m1, m2 and m3, synced after both quarters
    // began: its dependency figures are measured (no coverage would make them no_data)
    {
      type: 'source.synced',
      id: eventId('jira', 'synced:project:ENG', '2026-10-15'),
      source: 'jira',
      sourceId: 'project:ENG',
      occurredAt: '2026-10-15T00:00:00.000Z',
      version: 1,
      scopeKind: 'project',
      scope: 'ENG',
      mode: 'full',
      coveredFrom: null,
      coveredTo: '2026-10-15T00:00:00.000Z',
      teams: ['u:m1@x.io', 'u:m2@x.io', 'u:m3@x.io'],
    },
  ])
}
