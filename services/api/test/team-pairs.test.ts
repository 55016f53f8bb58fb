import { describe, expect, it } from 'vitest'
import { rankTeamPairs } from '../src/queries/dependencies.ts'

describe('worst team pairs', () => {
  it('rank by open links, then by the oldest open link — not by the sum of open ages', () => {
    const link = (blockerTeam: string, blockedTeam: string, ageDays: number, open = true) => ({
      blockerTeam,
      blockedTeam,
      open,
      ageDays,
    })
    const pairs = rankTeamPairs([
      // X→Y: two open, 10 and 1 days (oldest 10, sum 11)
      link('u:x', 'u:y', 10),
      link('u:x', 'u:y', 1),
      // P→Q: two open, 6 and 6 days (oldest 6, sum 12): a sum would rank it first
      link('u:p', 'u:q', 6),
      link('u:p', 'u:q', 6),
      // A→B: one open, 40 days; and a resolved link of 90 days that is not open
      link('u:a', 'u:b', 40),
      link('u:a', 'u:b', 90, false),
    ])
    expect(pairs).toEqual([
      {
        blockerTeam: 'u:x',
        blockedTeam: 'u:y',
        links: 2,
        open: 2,
        oldestOpenAgeDays: 10,
        openAgeDaysTotal: 11,
      },
      {
        blockerTeam: 'u:p',
        blockedTeam: 'u:q',
        links: 2,
        open: 2,
        oldestOpenAgeDays: 6,
        openAgeDaysTotal: 12,
      },
      {
        blockerTeam: 'u:a',
        blockedTeam: 'u:b',
        links: 2,
        open: 1,
        oldestOpenAgeDays: 40,
        openAgeDaysTotal: 40,
      },
    ])
  })
})
