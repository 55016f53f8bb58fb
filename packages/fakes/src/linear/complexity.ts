import { type DocumentNode, Kind, type SelectionSetNode } from 'graphql'

/**
 * Linear's published complexity rule, as the fake enforces it: 0.1 per scalar property, 1 per
 * object, a connection's children multiplied by its `first` argument (50 when absent), rounded up.
 */
export function queryComplexity(doc: DocumentNode, variables: Record<string, unknown>): number {
  const walk = (set: SelectionSetNode): number => {
    let cost = 0
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(sel.selectionSet)
        continue
      }
      if (sel.kind !== Kind.FIELD || sel.name.value === '__typename') continue
      if (!sel.selectionSet) {
        cost += 0.1
        continue
      }
      const children = walk(sel.selectionSet)
      const firstArg = sel.arguments?.find((a) => a.name.value === 'first')
      const connection =
        firstArg !== undefined ||
        sel.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'nodes')
      if (!connection) {
        cost += 1 + children
        continue
      }
      let first = 50
      if (firstArg?.value.kind === Kind.INT) first = Number(firstArg.value.value)
      else if (firstArg?.value.kind === Kind.VARIABLE) {
        const v = variables[firstArg.value.name.value]
        if (typeof v === 'number') first = v
      }
      cost += 1 + first * children
    }
    return cost
  }
  let total = 0
  for (const d of doc.definitions) if (d.kind === Kind.OPERATION_DEFINITION) total += walk(d.selectionSet)
  return Math.ceil(total - 1e-9)
}
