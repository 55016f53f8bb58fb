import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml'
import type { OrgIssue } from './errors.ts'
import { checkRow, type ParsedInput, type RawPerson, type SourcedRow } from './rows.ts'

/**
 * org.yaml, for orgs kept in git instead of exported from HR:
 *
 * ```yaml
 * people:
 *   - email: ada@example.com        # required; the person id is the lower-cased email
 *     name: Ada Lovelace            # required
 *     title: VP Engineering         # optional
 *     team: Platform                # optional; names the team this person belongs to
 *     employee_id: E001             # optional; resolved as an identity too
 *     timezone: Europe/London       # optional IANA zone
 *     reports:                      # optional; people nested here report to Ada
 *       - email: bob@example.com
 *         name: Bob
 *   - email: cy@example.com         # people may also be listed flat…
 *     name: Cy
 *     manager: bob@example.com      # …naming their manager (`manager_email` is accepted too)
 * ```
 *
 * Both styles mix freely. A nested person whose `manager` names someone other than the person it
 * is nested under is an error. Unknown keys are errors: a hand-edited file with `titel:` should
 * fail loudly rather than lose the title.
 */
const FIELDS: Record<string, keyof RawPerson> = {
  email: 'email',
  name: 'name',
  title: 'title',
  team: 'team',
  employee_id: 'employee_id',
  timezone: 'timezone',
  manager: 'manager_email',
  manager_email: 'manager_email',
}

export function parseOrgYaml(text: string): ParsedInput {
  const issues: OrgIssue[] = []
  const rows: SourcedRow[] = []
  const rejected = new Set<string>()
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true })
  for (const err of doc.errors) {
    const line = err.linePos?.[0].line
    // prettyErrors adds the position (linePos) and a source excerpt; keep the first sentence only.
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    issues.push({ code: 'syntax', ...(line ? { line } : {}), message: `YAML syntax: ${message}` })
  }
  if (issues.length > 0) return { rows, rejected, issues }
  const lineOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined

  const root = doc.contents
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    return {
      rows,
      rejected,
      issues: [{ code: 'empty', message: 'the file is empty: expected `people:` with one entry per person' }],
    }
  }
  if (!isMap(root) || !root.has('people')) {
    return {
      rows,
      rejected,
      issues: [{ code: 'syntax', line: lineOf(root) ?? 1, message: 'expected a top-level `people:` list' }],
    }
  }
  const people = root.get('people', true)
  if (
    people === undefined ||
    (isScalar(people) && people.value === null) ||
    (isSeq(people) && people.items.length === 0)
  ) {
    return { rows, rejected, issues: [{ code: 'empty', message: '`people:` is empty' }] }
  }
  if (!isSeq(people)) {
    return {
      rows,
      rejected,
      issues: [{ code: 'syntax', line: lineOf(people as Node) ?? 1, message: '`people:` must be a list' }],
    }
  }

  const walk = (items: readonly unknown[], parentEmail: string | undefined): void => {
    for (const item of items) {
      const line = lineOf(item as Node) ?? 1
      if (!isMap(item)) {
        issues.push({
          code: 'syntax',
          line,
          message: 'each person must be a mapping with at least email and name',
        })
        continue
      }
      const { raw, reports } = readPerson(item, line, issues)
      const declared = raw.manager_email?.trim().toLowerCase()
      if (parentEmail !== undefined) {
        if (declared && declared !== parentEmail) {
          issues.push({
            code: 'invalid',
            line,
            message: `manager: "${raw.manager_email}" contradicts the nesting under ${parentEmail}`,
          })
          if (raw.email?.trim()) rejected.add(raw.email.trim().toLowerCase())
          continue
        }
        raw.manager_email = parentEmail
      }
      const row = checkRow(raw, line, { issues, rejected })
      if (row) rows.push(row)
      if (reports) {
        if (isSeq(reports)) walk(reports.items, row?.row.email ?? raw.email?.trim().toLowerCase())
        else if (!(isScalar(reports) && reports.value === null)) {
          issues.push({
            code: 'syntax',
            line: lineOf(reports) ?? line,
            message: '`reports:` must be a list of people',
          })
        }
      }
    }
  }
  walk(people.items, undefined)
  return { rows, issues, rejected }
}

function readPerson(
  map: YAMLMap,
  line: number,
  issues: OrgIssue[],
): { raw: RawPerson; reports: Node | undefined } {
  const raw: RawPerson = {}
  let reports: Node | undefined
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    if (key === 'reports') {
      reports = (pair.value as Node | null) ?? undefined
      continue
    }
    // own keys only: `constructor`, `toString`, `__proto__` are unknown keys too, not Object.prototype's
    const field = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined
    if (!field) {
      issues.push({
        code: 'invalid',
        line,
        message: `unknown key "${key}" (expected ${[...Object.keys(FIELDS), 'reports'].join(', ')})`,
      })
      continue
    }
    const value = pair.value
    if (value === null || (isScalar(value) && value.value === null)) continue
    if (!isScalar(value)) {
      issues.push({ code: 'invalid', line, message: `${key}: expected a single value` })
      continue
    }
    // employee ids like 00123 arrive as numbers when unquoted; keep the source text.
    raw[field] = value.source ?? String(value.value)
  }
  return { raw, reports }
}
