import type { HrRow } from '@orgpulse/contracts'
import type { OrgIssue } from './errors.ts'
import type { SourcedRow } from './rows.ts'

export interface StructureOptions {
  /**
   * The file is an export of a subtree (`org import --roots-outside`): its top person's manager
   * is not in it. That one person becomes the root; nothing else loosens: anyone else whose
   * manager is not in the file is still an error, and so is a second root.
   */
  rootsOutside?: boolean
}

/** The person made the root because their manager is outside the file (`rootsOutside`). */
export interface OutsideRoot {
  personId: string
  /** the manager_email the file gives, who is not in it */
  managerEmail: string
}

/** the flag that accepts a subtree export, as the CLI names it */
export const ROOTS_OUTSIDE_FLAG = '--roots-outside'

/**
 * The structural checks of an org: unique emails, managers that exist, no manager cycles, one
 * root. `invalidEmails` are emails of rows that failed row validation: already reported, so a
 * reference to them is not reported again as "nobody has this email".
 */
export function checkStructure(
  rows: SourcedRow[],
  invalidEmails: ReadonlySet<string> = new Set(),
  options: StructureOptions = {},
): {
  rows: HrRow[]
  issues: OrgIssue[]
  /** the top person whose manager is outside the file, when `rootsOutside` made them the root */
  outsideRoot: OutsideRoot | null
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
  const outside = unique.filter((r) => {
    const m = r.row.manager_email
    return m !== undefined && !byEmail.has(m) && !invalidEmails.has(m)
  })
  const hasTop = unique.some((r) => !r.row.manager_email)
  // a subtree export: nobody in it lacks a manager, and its top person's manager is elsewhere
  const top = options.rootsOutside && !hasTop ? largestSubtree(outside, unique) : undefined
  for (const r of outside) {
    if (r === top) continue
    const why = options.rootsOutside
      ? hasTop
        ? `; ${ROOTS_OUTSIDE_FLAG} accepts a manager outside the file only for the top person, and this file's top has no manager_email`
        : `; ${ROOTS_OUTSIDE_FLAG} accepts a manager outside the file only for the top person (${top!.row.email}, line ${top!.line})`
      : hasTop
        ? ''
        : ` (if the file is an export of a subtree whose top person reports to someone outside it, import it with ${ROOTS_OUTSIDE_FLAG})`
    issues.push({
      code: 'unknown-manager',
      line: r.line,
      message: `manager_email ${r.row.manager_email} of ${r.row.email} matches nobody in the file${why}`,
    })
  }
  const outsideRoot: OutsideRoot | null = top
    ? { personId: top.row.email, managerEmail: top.row.manager_email! }
    : null
  const managerOf = (r: SourcedRow): string | undefined => (r === top ? undefined : r.row.manager_email)

  for (const cycle of findCycles(unique, byEmail)) {
    const chain = [...cycle, cycle[0]!].join(' → ')
    const lines = cycle.map((e) => byEmail.get(e)!.line)
    issues.push({
      code: 'cycle',
      line: Math.min(...lines),
      message: `manager cycle ${chain} (→ means "reports to"; lines ${lines.join(', ')})`,
    })
  }

  const roots = unique.filter((r) => !managerOf(r))
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
  const out = unique.map((r) => {
    // the manager outside the file is no one the org knows: the top reports to nobody in it
    return r === top ? { ...r.row, manager_email: undefined } : r.row
  })
  return { rows: out, issues, outsideRoot }
}

/**
 * Of the people whose manager is outside the file, the one heading the most people in it (the
 * first in file order on a tie): the top of a subtree export. Anyone else with a manager outside
 * the file is a mistyped manager deeper down, not a second top.
 */
function largestSubtree(candidates: SourcedRow[], rows: SourcedRow[]): SourcedRow | undefined {
  const reports = new Map<string, string[]>()
  for (const r of rows) {
    const m = r.row.manager_email
    if (m) reports.set(m, [...(reports.get(m) ?? []), r.row.email])
  }
  const size = (email: string): number => {
    const seen = new Set([email])
    const queue = [email]
    while (queue.length > 0) {
      for (const next of reports.get(queue.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next)
          queue.push(next)
        }
      }
    }
    return seen.size
  }
  let best: SourcedRow | undefined
  let bestSize = -1
  for (const c of candidates) {
    const n = size(c.row.email)
    if (n > bestSize) {
      best = c
      bestSize = n
    }
  }
  return best
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
