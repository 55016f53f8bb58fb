import { type FieldNode, Kind, parse, type SelectionSetNode, type ValueNode } from 'graphql'

/**
 * Linear's documented complexity rule, applied to a query before sending it: each scalar
 * property costs 0.1, each object 1, and a connection multiplies the cost of its children by its
 * `first` argument (50 when absent); the total is rounded up. Linear rejects a query above
 * 10,000 points, so page sizes are chosen from this estimate.
 */
export function estimateComplexity(query: string, variables: Record<string, unknown> = {}): number {
  const doc = parse(query)
  let total = 0
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) total += selectionCost(def.selectionSet, variables)
  }
  return Math.ceil(total - 1e-9)
}

function selectionCost(set: SelectionSetNode, variables: Record<string, unknown>): number {
  let cost = 0
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) cost += fieldCost(sel, variables)
    else if (sel.kind === Kind.INLINE_FRAGMENT) cost += selectionCost(sel.selectionSet, variables)
  }
  return cost
}

function fieldCost(field: FieldNode, variables: Record<string, unknown>): number {
  if (field.name.value === '__typename') return 0
  if (!field.selectionSet) return 0.1
  const children = selectionCost(field.selectionSet, variables)
  const firstArg = field.arguments?.find((a) => a.name.value === 'first')
  const isConnection =
    firstArg !== undefined ||
    field.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'nodes')
  if (!isConnection) return 1 + children
  const first = firstArg ? argValue(firstArg.value, variables) : 50
  return 1 + (typeof first === 'number' ? first : 50) * children
}

function argValue(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.INT) return Number(node.value)
  if (node.kind === Kind.VARIABLE) return variables[node.name.value]
  return undefined
}

/** the largest page size in [1, max] whose query stays within `budget` points */
export function pageSizeFor(
  query: string,
  budget: number,
  max: number,
  variables: Record<string, unknown> = {},
  pageVar = 'first',
): number {
  let lo = 1
  let hi = max
  if (estimateComplexity(query, { ...variables, [pageVar]: 1 }) > budget) {
    throw new Error(
      `even one item per page exceeds the complexity budget of ${budget} points: narrow the query`,
    )
  }
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (estimateComplexity(query, { ...variables, [pageVar]: mid }) <= budget) lo = mid
    else hi = mid - 1
  }
  return lo
}
