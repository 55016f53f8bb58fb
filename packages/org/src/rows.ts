import { type HrRow, hrRowSchema } from '@orgpulse/contracts'
import type { OrgIssue } from './errors.ts'

/** A validated input row and where it came from, so later checks can point at the line. */
export interface SourcedRow {
  row: HrRow
  line: number
}

/** The fields a person may carry, whatever the input format. */
export interface RawPerson {
  email?: string
  name?: string
  manager_email?: string
  title?: string
  employee_id?: string
  team?: string
  timezone?: string
}

/**
 * Validates one person with the shared `hrRowSchema` (which also lower-cases emails). Returns the
 * row, or pushes one issue per bad field so the user sees every problem of the line at once, and
 * remembers the rejected email: the row still "exists" for manager references.
 */
export function checkRow(
  raw: RawPerson,
  line: number,
  out: { issues: OrgIssue[]; rejected: Set<string> },
): SourcedRow | null {
  const parsed = hrRowSchema.safeParse(raw)
  if (parsed.success) {
    // An empty optional cell means "not given", not "the empty string".
    const row: HrRow = { ...parsed.data }
    for (const key of ['employee_id', 'team', 'timezone'] as const) if (row[key] === '') delete row[key]
    return { row, line }
  }
  if (raw.email?.trim()) out.rejected.add(raw.email.trim().toLowerCase())
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? 'row')
    const value = raw[field as keyof RawPerson]
    const shown = value === undefined ? '' : ` (got "${value}")`
    out.issues.push({ code: 'invalid', line, message: `${field}: ${issue.message}${shown}` })
  }
  return null
}

/** What a parser hands to validation: the good rows, the problems, and emails of rejected rows. */
export interface ParsedInput {
  rows: SourcedRow[]
  issues: OrgIssue[]
  rejected: Set<string>
}
