import { describe, expect, it } from 'vitest'
import { rankTeamPairs } from '../src/team-pairs.ts'

interface Link {
  id: string
  from: string
  to: string
  open: boolean
  age: number | null
}
const view = (l: Link) => ({ blockerTeam: l.from, blockedTeam: l.to, open: l.open, ageDays: l.age })

describe('the one team-pair ranking (api, dependencies page, digest)', () => {
  it('ranks by open links, then the oldest open one, then more links, then names; keeps the links, open and oldest first', () => {
    const links: Link[] = [
      { id: 'a1', from: 'u:a', to: 'u:b', open: true, age: 3 },
      { id: 'a2', from: 'u:a', to: 'u:b', open: false, age: 50 },
      { id: 'a3', from: 'u:a', to: 'u:b', open: true, age: 9 },
      // same open count and oldest age as a→b, fewer links: after it
      { id: 'c1', from: 'u:c', to: 'u:d', open: true, age: 9 },
      { id: 'c2', from: 'u:c', to: 'u:d', open: true, age: 1 },
      // one open link, much older: still after the pairs with two open
      { id: 'e1', from: 'u:e', to: 'u:f', open: true, age: 80 },
      // nothing open: last, with no oldest age
      { id: 'g1', from: 'u:g', to: 'u:h', open: false, age: null },
    ]
    const pairs = rankTeamPairs(links, view)
    expect(pairs.map((p) => [p.blockerTeam, p.open, p.oldestOpenAgeDays, p.openAgeDaysTotal])).toEqual([
      ['u:a', 2, 9, 12],
      ['u:c', 2, 9, 10],
      ['u:e', 1, 80, 80],
      ['u:g', 0, null, 0],
    ])
    expect(pairs[0]!.links.map((l) => l.id)).toEqual(['a3', 'a1', 'a2'])
  })
})
