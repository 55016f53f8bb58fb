import type { OrgSnapshot } from '@orgpulse/contracts'

/** the snapshot effective at instant t (latest effective day ≤ t), or null before the first */
export function snapshotAt(list: readonly string[], t: Date): string | null {
  let found: string | null = null
  for (const e of list) if (new Date(`${e}T00:00:00Z`).getTime() <= t.getTime()) found = e
  return found
}

/**
 * The team (unit directly below `root`) a unit belongs to in a snapshot: the root itself for
 * the director's own unit, null outside the director's org.
 */
export function teamOf(snapshot: OrgSnapshot, root: string, unit: string): string | null {
  const parent = new Map(snapshot.units.map((u) => [u.unitId, u.parentId]))
  let cur: string | null = unit
  const seen = new Set<string>()
  while (cur && !seen.has(cur)) {
    if (cur === root) return root
    const p: string | null = parent.get(cur) ?? null
    if (p === root) return cur
    seen.add(cur)
    cur = p
  }
  return null
}

/** person id → team, for everyone in the director's org in the snapshot */
export function teamsOfPeople(snapshot: OrgSnapshot, root: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of snapshot.people) {
    const t = teamOf(snapshot, root, p.homeUnit)
    if (t) out.set(p.personId, t)
  }
  return out
}

export const unitName = (snapshot: OrgSnapshot | null, unit: string): string =>
  snapshot?.units.find((u) => u.unitId === unit)?.name ?? unit
