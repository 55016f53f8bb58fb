import { configSchema } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import type { ScopeMetrics } from '../src/compute.ts'
import { suppressComplementary } from '../src/suppression.ts'

const config = configSchema.parse({})
const M = 'meeting_hours_per_person_week'

/** one unit's judged figures for the meeting metric: every calendar in it covered */
function scope(people: number, value: number | null): ScopeMetrics {
  const withheld: Record<string, string> =
    people < 5 ? { [M]: `withheld: group of ${people} people is below privacy.minGroupSize 5` } : {}
  return {
    metrics: { [M]: people < 5 ? null : value },
    samples: { [M]: people < 5 ? null : people },
    withheld,
    people,
    coverage: { calendar: { covered: people, people, share: 1 }, trackers: { synced: 0 } },
  }
}

describe('complementary suppression (the rule, on hand-built trees)', () => {
  it("withholds the unit itself when no sibling can hide the withheld team, and its parent's partition then protects it", () => {
    // P (16) = R (9) + C (6) + P's leader; R (9) = A (6) + B (3, withheld), no residual; A (6) = A1 (6):
    // A is A1 again, so hiding A would not help, and R − A1 would give B
    const nodes = [
      { id: 'P', parent: null, judged: scope(16, 1) },
      { id: 'R', parent: 'P', judged: scope(9, 1) },
      { id: 'C', parent: 'P', judged: scope(6, 1) },
      { id: 'A', parent: 'R', judged: scope(6, 1) },
      { id: 'A1', parent: 'A', judged: scope(6, 1) },
      { id: 'B', parent: 'R', judged: scope(3, 1) },
    ]
    suppressComplementary(nodes, config)
    const value = (id: string) => nodes.find((n) => n.id === id)!.judged.metrics[M]
    expect(value('R')).toBeNull()
    expect(nodes.find((n) => n.id === 'R')!.judged.withheld[M]).toMatch(
      /^withheld: complementary suppression/,
    )
    expect([value('A'), value('A1')]).toEqual([1, 1])
    // in P: R (hidden) and P's leader (1) are hidden together (10 people): C and P may stay shown
    expect([value('P'), value('C')]).toEqual([1, 1])
  })

  it('changes nothing when every hidden group is empty or at the threshold', () => {
    const nodes = [
      { id: 'P', parent: null, judged: scope(10, 1) },
      { id: 'A', parent: 'P', judged: scope(5, 1) },
      { id: 'B', parent: 'P', judged: scope(5, 1) },
    ]
    suppressComplementary(nodes, config)
    expect(nodes.map((n) => n.judged.metrics[M])).toEqual([1, 1, 1])
  })

  it('does not count a too-few value as a hidden sibling: it is no secret, so it covers nothing', () => {
    // P (13) = A (3, withheld for privacy) + B (5, too few) + C (5); P − B − C would give A if B
    // were shown, and B's value is only withheld for its sample, so one more must be withheld
    const tooFew = scope(5, 1)
    tooFew.metrics[M] = null
    tooFew.withheld[M] = 'too_few: n = 5 people with calendars synced (minimum 6)'
    const nodes = [
      { id: 'P', parent: null, judged: scope(13, 1) },
      { id: 'A', parent: 'P', judged: scope(3, 1) },
      { id: 'B', parent: 'P', judged: tooFew },
      { id: 'C', parent: 'P', judged: scope(5, 1) },
    ]
    suppressComplementary(nodes, config)
    const b = nodes.find((n) => n.id === 'B')!.judged
    // B (the smallest, first by id) now carries the privacy reason, and its n is no longer shown
    expect(b.withheld[M]).toMatch(/^withheld: complementary suppression/)
    expect(b.samples[M]).toBeNull()
    expect(nodes.find((n) => n.id === 'C')!.judged.metrics[M]).toBe(1)
    expect(nodes.find((n) => n.id === 'P')!.judged.metrics[M]).toBe(1)
  })
})
