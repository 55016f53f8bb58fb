import type { HrRow } from '@orgpulse/contracts'
import type { OrgIssue } from './errors.ts'
import type { SourcedRow } from './rows.ts'

/**
 * The structural checks of an org: unique emails, managers that exist, no manager cycles, one
 * root. `invalidEmails` are emails of rows that failed row validation: already reported, so a
 * reference to them is not reported again as "nobody has this email".
 */
export function checkStructure(
  rows: SourcedRow[],
  invalidEmails: ReadonlySet<string> = new Set(),
): {
  rows: HrRow[]
  issues: OrgIssue[]
} {
  const issues: OrgIssue[] = []
  const byEmail = new Map<string, SourcedRow>()
  const duplicates = new Map<string, number[]>()
  for (const r of rows) {
    const first = byEmail.get(r.row.email)
    if (first) {
      const lines = duplicates.get(r.row.email) ?? [first.line]
      lines.push(r.line)
      duplicates.set(r.row.email, lines)
    } else byEmail.set(r.row.email, r)
  }
  for (const [email, lines] of duplicates) {
    issues.push({
      code: 'duplicate',
      line: lines[0]!,
      message: `duplicate email ${email} on lines ${lines.join(', ')}`,
    })
  }

  const unique = [...byEmail.values()]
  for (const r of unique) {
    const m = r.row.manager_email
    if (m && !byEmail.has(m) && !invalidEmails.has(m)) {
      issues.push({
        code: 'unknown-manager',
        line: r.line,
        message: `manager_email ${m} of ${r.row.email} matches nobody in the file`,
      })
    }
  }

  for (const cycle of findCycles(unique, byEmail)) {
    const chain = [...cycle, cycle[0]!].join(' → ')
    const lines = cycle.map((e) => byEmail.get(e)!.line)
    issues.push({
      code: 'cycle',
      line: Math.min(...lines),
      message: `manager cycle ${chain} (→ means "reports to"; lines ${lines.join(', ')})`,
    })
  }

  const roots = unique.filter((r) => !r.row.manager_email)
  if (roots.length > 1) {
    issues.push({
      code: 'roots',
      message: `${roots.length} people have no manager, exactly one is allowed (the top of the org): ${roots
        .map((r) => `${r.row.email} (line ${r.line})`)
        .join(', ')}`,
    })
  }
  if (roots.length === 0 && unique.length > 0 && issues.length === 0 && invalidEmails.size === 0) {
    issues.push({
      code: 'roots',
      message: 'nobody is without a manager: the top of the org needs an empty manager_email',
    })
  }
  if (rows.length === 0 && invalidEmails.size === 0)
    issues.push({ code: 'empty', message: 'the file has no people' })
  return { rows: unique.map((r) => r.row), issues }
}

/**
 * Each person has at most one manager, so the manager links form a functional graph: walking up
 * from anyone either reaches a root, leaves the file (unknown manager, reported elsewhere), or
 * loops. Every loop is reported once, starting from its first member in file order.
 */
function findCycles(rows: SourcedRow[], byEmail: Map<string, SourcedRow>): string[][] {
  const state = new Map<string, 'walking' | 'done'>()
  const cycles: string[][] = []
  for (const start of rows) {
    const path: string[] = []
    let current: string | undefined = start.row.email
    while (current && byEmail.has(current) && !state.has(current)) {
      state.set(current, 'walking')
      path.push(current)
      current = byEmail.get(current)!.row.manager_email
    }
    if (current && state.get(current) === 'walking') {
      const loop = path.slice(path.indexOf(current))
      // Rotate so the report starts at the member listed first in the file: stable messages.
      const order = new Map(rows.map((r, i) => [r.row.email, i]))
      const first = loop.reduce((a, b) => (order.get(a)! <= order.get(b)! ? a : b))
      const at = loop.indexOf(first)
      cycles.push([...loop.slice(at), ...loop.slice(0, at)])
    }
    for (const e of path) state.set(e, 'done')
  }
  return cycles
}
