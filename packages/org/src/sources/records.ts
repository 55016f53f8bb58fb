import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { NamedEnv } from '@orgpulse/contracts'
import type { Alias } from '../identities.ts'
import { validateParsed } from '../input.ts'
import { checkRow, type ParsedInput, type RawPerson } from '../rows.ts'
import type { OutsideRoot } from '../validate.ts'

export type HrSourceName = 'scim' | 'graph' | 'bamboohr'

/** One person as an HR source lists them, before they become an org row. */
export interface HrRecord {
  /** the source's own id (SCIM id, Graph user id, BambooHR employee id): managers name it */
  sourceId: string
  email: string | null
  name: string
  /** the manager's `sourceId`, null for none */
  managerId: string | null
  title?: string | undefined
  employeeId?: string | undefined
  team?: string | undefined
  /** terminated / disabled accounts are left out of the org */
  active: boolean
}

export interface HrSource {
  name: HrSourceName
  read(): Promise<HrRecord[]>
  /**
   * the source ids that other sources' events may name a person by (Graph user ids in Teams and
   * calendars, the SCIM id Okta/Entra keep): joined to identity_map when true
   */
  joinsIdentities: boolean
}

/** what a source needs to read its people */
export interface HrSourceDeps {
  client: ClickHouseClient
  env: NamedEnv
  fetch?: typeof fetch
  /** throttling waits (tests) */
  sleep?: (ms: number) => Promise<void>
}

export interface RowsFromRecords {
  rows: ParsedInput['rows'][number]['row'][]
  outsideRoot: OutsideRoot | null
  directory: Alias[]
  warnings: string[]
}

const listed = (items: string[]): string =>
  items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`

/**
 * An HR source's people as the rows an HR CSV would hold, validated by the same checks as
 * `org import` (OrgValidationError lists every problem; "line" is the person's position in the
 * source's list). What HR systems hold that a hand-made export would not is left out with a
 * warning instead of failing the sync: inactive accounts, people without an email, a manager id
 * naming nobody active (the person keeps no manager), and accounts with neither a manager nor
 * reports while the org has a top person (service accounts, rooms, shared mailboxes in Entra).
 */
export function rowsFromRecords(records: readonly HrRecord[], source: string): RowsFromRecords {
  const warnings: string[] = []
  const active = records.filter((r) => r.active)
  const noEmail = active.filter((r) => !r.email?.trim())
  if (noEmail.length > 0)
    warnings.push(
      `${noEmail.length} active without an email left out: ${listed(noEmail.map((r) => r.sourceId))}`,
    )
  const people = active.filter((r) => r.email?.trim())
  const emailOf = new Map(people.map((r) => [r.sourceId, (r.email as string).trim().toLowerCase()]))
  const dangling = people.filter((r) => r.managerId && !emailOf.has(r.managerId))
  if (dangling.length > 0)
    warnings.push(
      `${dangling.length} with a manager who is not an active person here, kept without one: ${listed(dangling.map((r) => emailOf.get(r.sourceId) as string))}`,
    )
  const managerOf = (r: HrRecord): string | undefined => (r.managerId ? emailOf.get(r.managerId) : undefined)
  const hasReports = new Set(people.map((r) => r.managerId).filter((m): m is string => m !== null))
  const roots = people.filter((r) => managerOf(r) === undefined)
  const loners = roots.length > 1 ? roots.filter((r) => !hasReports.has(r.sourceId)) : []
  if (loners.length > 0 && loners.length < roots.length)
    warnings.push(
      `${loners.length} with neither a manager nor reports left out: ${listed(loners.map((r) => emailOf.get(r.sourceId) as string))}`,
    )
  const out = new Set(loners.length < roots.length ? loners : [])
  const parsed: ParsedInput = { rows: [], issues: [], rejected: new Set() }
  const directory: Alias[] = []
  people.forEach((r, i) => {
    if (out.has(r)) return
    const email = emailOf.get(r.sourceId) as string
    const raw: RawPerson = { email, name: r.name || email }
    const manager = managerOf(r)
    if (manager) raw.manager_email = manager
    raw.title = r.title ?? ''
    if (r.employeeId) raw.employee_id = r.employeeId
    if (r.team) raw.team = r.team
    const row = checkRow(raw, i + 1, parsed)
    if (row) parsed.rows.push(row)
    directory.push({ identity: r.sourceId, email })
  })
  const { rows, outsideRoot } = validateParsed(parsed, source)
  return { rows, outsideRoot, directory, warnings }
}
