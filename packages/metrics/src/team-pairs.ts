/** what the ranking needs to know of one blocking link, whatever shape its caller holds it in */
export interface PairLink {
  blockerTeam: string
  blockedTeam: string
  open: boolean
  /** age in days at the end of the window (of an open link) */
  ageDays: number | null
}

export interface RankedTeamPair<L> {
  blockerTeam: string
  blockedTeam: string
  /** every link of the pair, open ones first, oldest first */
  links: L[]
  open: number
  /** age in days of the pair's oldest open link; null with none open */
  oldestOpenAgeDays: number | null
  /** the open links' ages summed */
  openAgeDaysTotal: number
}

/**
 * The team pairs the links connect, worst first (DESIGN "A blocking link": by open links, then by
 * the age of the oldest open link; then more links, then by name so the order is stable). One
 * ranking for the api, the dependencies page and the digest, so "the worst pair" is the same pair
 * everywhere.
 */
export function rankTeamPairs<L>(links: readonly L[], view: (link: L) => PairLink): RankedTeamPair<L>[] {
  const pairs = new Map<string, RankedTeamPair<L>>()
  for (const link of links) {
    const l = view(link)
    const key = `${l.blockerTeam}\u0000${l.blockedTeam}`
    const p = pairs.get(key) ?? {
      blockerTeam: l.blockerTeam,
      blockedTeam: l.blockedTeam,
      links: [],
      open: 0,
      oldestOpenAgeDays: null,
      openAgeDaysTotal: 0,
    }
    p.links.push(link)
    if (l.open) {
      const age = l.ageDays ?? 0
      p.open++
      p.oldestOpenAgeDays = Math.max(p.oldestOpenAgeDays ?? 0, age)
      p.openAgeDaysTotal = Math.round((p.openAgeDaysTotal + age) * 1e6) / 1e6
    }
    pairs.set(key, p)
  }
  const order = (a: PairLink, b: PairLink) =>
    Number(b.open) - Number(a.open) || (b.ageDays ?? 0) - (a.ageDays ?? 0)
  for (const p of pairs.values()) p.links.sort((a, b) => order(view(a), view(b)))
  return [...pairs.values()].sort(
    (a, b) =>
      b.open - a.open ||
      (b.oldestOpenAgeDays ?? -1) - (a.oldestOpenAgeDays ?? -1) ||
      b.links.length - a.links.length ||
      a.blockerTeam.localeCompare(b.blockerTeam) ||
      a.blockedTeam.localeCompare(b.blockedTeam),
  )
}
