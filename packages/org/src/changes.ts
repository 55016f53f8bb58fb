import type { OrgPerson } from '@orgpulse/contracts'

type PersonFields = Pick<OrgPerson, 'personId' | 'name' | 'title' | 'managerId'>

export interface OrgChanges {
  added: PersonFields[]
  removed: PersonFields[]
  /** people whose manager changed */
  moved: { personId: string; name: string; from: string | null; to: string | null }[]
  retitled: { personId: string; name: string; from: string; to: string }[]
}

/** What a re-org changed between two snapshots, person by person; sorted by person id. */
export function diffPeople(before: readonly PersonFields[], after: readonly PersonFields[]): OrgChanges {
  const old = new Map(before.map((p) => [p.personId, p]))
  const now = new Map(after.map((p) => [p.personId, p]))
  const changes: OrgChanges = { added: [], removed: [], moved: [], retitled: [] }
  const pick = (p: PersonFields): PersonFields => ({
    personId: p.personId,
    name: p.name,
    title: p.title,
    managerId: p.managerId,
  })
  for (const p of [...now.values()].sort(byId)) {
    const was = old.get(p.personId)
    if (!was) {
      changes.added.push(pick(p))
      continue
    }
    if (was.managerId !== p.managerId) {
      changes.moved.push({ personId: p.personId, name: p.name, from: was.managerId, to: p.managerId })
    }
    if (was.title !== p.title)
      changes.retitled.push({ personId: p.personId, name: p.name, from: was.title, to: p.title })
  }
  for (const p of [...old.values()].sort(byId)) if (!now.has(p.personId)) changes.removed.push(pick(p))
  return changes
}

const byId = (a: PersonFields, b: PersonFields): number =>
  a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0
