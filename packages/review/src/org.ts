import type { OrgSnapshot } from '@orgpulse/contracts'

/** the snapshot effective at instant t (latest effective day ≤ t), or null before the first */
export function snapshotAt(list: readonly string[], t: Date): string | null {
  let found: string | null = null
  for (const e of list) if (new Date(`${e}T00:00:00Z`).getTime() <= t.getTime()) found = e
  return found
}

/** per snapshot (snapshots are read once and never changed): unit → parent, unit → name, and per root unit → team */
const derived = new WeakMap<
  OrgSnapshot,
  {
    parent: Map<string, string | null>
    names: Map<string, string>
    teams: Map<string, Map<string, string | null>>
    people: Map<string, Map<string, string>>
  }
>()

function derivedOf(snapshot: OrgSnapshot) {
  let d = derived.get(snapshot)
  if (!d) {
    const names = new Map<string, string>()
    // the first unit of an id names it, as a find over the list would
    for (const u of snapshot.units) if (!names.has(u.unitId)) names.set(u.unitId, u.name)
    d = {
      parent: new Map(snapshot.units.map((u) => [u.unitId, u.parentId])),
      names,
      teams: new Map(),
      people: new Map(),
    }
    derived.set(snapshot, d)
  }
  return d
}

/**
 * The team (unit directly below `root`) a unit belongs to in a snapshot: the root itself for
 * the director's own unit, null outside the director's org. Memoised per snapshot and root: the
 * review asks it for every person of the org (a whole company's 10,000 and more) and every link.
 */
export function teamOf(snapshot: OrgSnapshot, root: string, unit: string): string | null {
  const d = derivedOf(snapshot)
  let memo = d.teams.get(root)
  if (!memo) {
    memo = new Map()
    d.teams.set(root, memo)
  }
  const known = memo.get(unit)
  if (known !== undefined) return known
  let found: string | null = null
  let cur: string | null = unit
  const seen = new Set<string>()
  while (cur && !seen.has(cur)) {
    if (cur === root) {
      found = root
      break
    }
    const p: string | null = d.parent.get(cur) ?? null
    if (p === root) {
      found = cur
      break
    }
    seen.add(cur)
    cur = p
  }
  memo.set(unit, found)
  return found
}

/** person id → team, for everyone in the director's org in the snapshot (shared: read it, never change it) */
export function teamsOfPeople(snapshot: OrgSnapshot, root: string): ReadonlyMap<string, string> {
  const d = derivedOf(snapshot)
  const known = d.people.get(root)
  if (known) return known
  const out = new Map<string, string>()
  for (const p of snapshot.people) {
    const t = teamOf(snapshot, root, p.homeUnit)
    if (t) out.set(p.personId, t)
  }
  d.people.set(root, out)
  return out
}

export const unitName = (snapshot: OrgSnapshot | null, unit: string): string =>
  (snapshot && derivedOf(snapshot).names.get(unit)) ?? unit
