import { unitIdFor } from '@orgpulse/contracts'
import { deriveOrg, OrgValidationError, parseOrg } from '@orgpulse/org'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/**
 * Properties of the org importers and the derivation:
 * - any text, as CSV or as org.yaml, parses to rows or throws an OrgValidationError listing at
 *   least one issue, never any other error;
 * - a valid org (a manager forest with exactly one root) always derives, with one closure row per
 *   (unit, ancestor unit) pair and levels that grow towards the top.
 */

const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const runs = (n: number): number => Math.ceil(n * SCALE)

function parsesOrExplains(text: string, format: 'csv' | 'yaml'): void {
  try {
    const rows = parseOrg(text, format)
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.filter((r) => !r.manager_email)).toHaveLength(1)
  } catch (err) {
    if (!(err instanceof OrgValidationError)) {
      throw new Error(
        `parseOrg(${format}) threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} for ${JSON.stringify(text)}`,
      )
    }
    expect(err.issues.length).toBeGreaterThan(0)
    for (const i of err.issues) {
      expect(i.message.trim().length).toBeGreaterThan(0)
      if (i.line !== undefined) expect(Number.isInteger(i.line) && i.line >= 1).toBe(true)
    }
  }
}

// ---- generated orgs: person i > 0 reports to someone listed before it, so there is one root ----

interface Person {
  email: string
  name: string
  manager?: string
  title: string
  team?: string
}

const orgArb = fc
  .array(fc.nat(), { minLength: 0, maxLength: 40 })
  .chain((parents) =>
    fc.tuple(
      fc.constant(parents),
      fc.array(fc.constantFrom('Platform', 'Mobile', 'Ops, EU', 'Ünïcode "team"', ''), {
        minLength: parents.length + 1,
        maxLength: parents.length + 1,
      }),
      fc.boolean(),
    ),
  )
  .map(([parents, teams, upper]) => {
    const people: Person[] = [{ email: 'p0@x.com', name: 'Person 0', title: 'CEO' }]
    parents.forEach((p, i) => {
      const id = i + 1
      const manager = `p${p % id}@x.com`
      people.push({
        email: `p${id}@x.com`,
        name: `Person ${id}`,
        manager: upper ? manager.toUpperCase() : manager,
        title: id % 3 === 0 ? 'Engineer, Senior' : 'Engineer',
        ...(teams[id] ? { team: teams[id] } : {}),
      })
    })
    return people
  })

const csvCell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
function toCsv(people: Person[], order: number[]): string {
  const lines = ['email,name,manager_email,title,team']
  for (const i of order) {
    const p = people[i]!
    lines.push([p.email, p.name, p.manager ?? '', p.title, p.team ?? ''].map(csvCell).join(','))
  }
  return `${lines.join('\n')}\n`
}
function toFlatYaml(people: Person[], order: number[]): string {
  const out = ['people:']
  for (const i of order) {
    const p = people[i]!
    out.push(
      `  - email: ${JSON.stringify(p.email)}`,
      `    name: ${JSON.stringify(p.name)}`,
      `    title: ${JSON.stringify(p.title)}`,
    )
    if (p.manager) out.push(`    manager: ${JSON.stringify(p.manager)}`)
    if (p.team) out.push(`    team: ${JSON.stringify(p.team)}`)
  }
  return `${out.join('\n')}\n`
}
function toNestedYaml(people: Person[]): string {
  const reports = new Map<string, Person[]>()
  for (const p of people)
    if (p.manager) reports.set(p.manager.toLowerCase(), [...(reports.get(p.manager.toLowerCase()) ?? []), p])
  const out = ['people:']
  const walk = (p: Person, indent: string): void => {
    out.push(
      `${indent}- email: ${JSON.stringify(p.email)}`,
      `${indent}  name: ${JSON.stringify(p.name)}`,
      `${indent}  title: ${JSON.stringify(p.title)}`,
    )
    if (p.team) out.push(`${indent}  team: ${JSON.stringify(p.team)}`)
    const rs = reports.get(p.email) ?? []
    if (rs.length > 0) {
      out.push(`${indent}  reports:`)
      for (const r of rs) walk(r, `${indent}    `)
    }
  }
  walk(people[0]!, '  ')
  return `${out.join('\n')}\n`
}

describe('parseOrg: rows, or an OrgValidationError with issues; never another error', () => {
  it('arbitrary text, as CSV and as YAML', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc
        .array(
          fc.constantFrom(
            'email',
            'name',
            'manager_email',
            'title',
            ',',
            '"',
            '\n',
            '\r\n',
            ' ',
            'a@x.com',
            'people:',
            '  - ',
            'email: ',
            'manager: ',
            'reports:',
            '- ',
            '    ',
            ':',
            '{',
            '[',
            '&a',
            '*a',
            '!!str',
            '#',
            '\uFEFF',
            '__proto__',
            'constructor',
          ),
          { maxLength: 40 },
        )
        .map((xs) => xs.join('')),
    )
    fc.assert(
      fc.property(text, fc.constantFrom('csv' as const, 'yaml' as const), (t, format) =>
        parsesOrExplains(t, format),
      ),
      { numRuns: runs(1500) },
    )
  })

  it('near-valid files: a generated org with lines dropped, duplicated, swapped or garbled', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('drop', 'dup', 'swap', 'garble', 'cut'),
      text: fc.string({ maxLength: 12 }),
    })
    fc.assert(
      fc.property(
        orgArb,
        fc.constantFrom('csv', 'flat', 'nested'),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (people, style, edits) => {
          const order = people.map((_, i) => i)
          const text =
            style === 'csv'
              ? toCsv(people, order)
              : style === 'flat'
                ? toFlatYaml(people, order)
                : toNestedYaml(people)
          const lines = text.split('\n')
          for (const e of edits) {
            const i = e.at % lines.length
            if (e.kind === 'drop') lines.splice(i, 1)
            else if (e.kind === 'dup') lines.splice(i, 0, lines[i] ?? '')
            else if (e.kind === 'swap') lines.splice(i, 2, lines[i + 1] ?? '', lines[i] ?? '')
            else if (e.kind === 'garble') lines[i] = `${(lines[i] ?? '').slice(0, e.at % 7)}${e.text}`
            else lines[i] = (lines[i] ?? '').slice(0, (lines[i] ?? '').length >> 1)
          }
          parsesOrExplains(lines.join('\n'), style === 'csv' ? 'csv' : 'yaml')
        },
      ),
      { numRuns: runs(600) },
    )
  })
})

describe('org.yaml: unknown keys are errors (a typo must not lose a field)', () => {
  it('any key outside the documented set is reported with its line, whatever its name', () => {
    const KNOWN = new Set([
      'email',
      'name',
      'title',
      'team',
      'employee_id',
      'timezone',
      'manager',
      'manager_email',
      'reports',
    ])
    const key = fc
      .oneof(
        fc.constantFrom(
          'titel',
          'constructor',
          'toString',
          '__proto__',
          'hasOwnProperty',
          'valueOf',
          'Email',
          'manager-email',
        ),
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,12}$/),
      )
      .filter((k) => !KNOWN.has(k))
    fc.assert(
      fc.property(orgArb, key, fc.nat(), (people, k, at) => {
        const order = people.map((_, i) => i)
        const lines = toFlatYaml(people, order).split('\n')
        // after some person's `- email:` line, at that person's indentation
        const starts = lines.flatMap((l, i) => (l.startsWith('  - email:') ? [i] : []))
        const i = starts[at % starts.length]!
        lines.splice(i + 1, 0, `    ${k}: x`)
        let error: unknown
        try {
          parseOrg(lines.join('\n'), 'yaml')
        } catch (err) {
          error = err
        }
        expect(error).toBeInstanceOf(OrgValidationError)
        expect((error as OrgValidationError).issues).toContainEqual({
          code: 'invalid',
          line: i + 1,
          message: expect.stringContaining(`unknown key "${k}"`),
        })
      }),
      { numRuns: runs(200) },
    )
  })
})

describe('deriveOrg on valid generated orgs', () => {
  it('parses in any row order and format, and derives consistent levels, units and closure rows', () => {
    fc.assert(
      fc.property(orgArb, fc.constantFrom('csv', 'flat', 'nested'), fc.nat(), (people, style, seed) => {
        // a deterministic shuffle of the rows (HR exports come in any order)
        const order = people
          .map((_, i) => i)
          .sort((a, b) => ((a * 7919 + seed) % 104729) - ((b * 7919 + seed) % 104729))
        const text =
          style === 'csv'
            ? toCsv(people, order)
            : style === 'flat'
              ? toFlatYaml(people, order)
              : toNestedYaml(people)
        const rows = parseOrg(text, style === 'csv' ? 'csv' : 'yaml')
        expect(rows).toHaveLength(people.length)
        const org = deriveOrg(rows)
        expect(org.people).toHaveLength(people.length)

        // depths from the root, and who leads whom, from the generator's own data
        const managerOf = new Map(people.map((p) => [p.email, p.manager?.toLowerCase()]))
        const depth = (email: string): number => {
          let d = 0
          for (let m = managerOf.get(email); m; m = managerOf.get(m)) d++
          return d
        }
        const hasReports = new Set(people.flatMap((p) => (p.manager ? [p.manager.toLowerCase()] : [])))
        // units: one per manager, plus the root when it leads nobody (a one-person org)
        const leaders = people.filter((p) => hasReports.has(p.email) || !p.manager)
        expect(org.units.map((u) => u.managerId).sort()).toEqual(leaders.map((p) => p.email).sort())
        // closure: every unit with each of its ancestors and itself = sum over unit leaders of (depth + 1)
        expect(org.closure).toHaveLength(leaders.reduce((n, p) => n + depth(p.email) + 1, 0))
        for (const u of org.units) {
          expect(org.closure).toContainEqual({ unitId: u.unitId, ancestorId: u.unitId, depth: 0 })
          const leader = people.find((p) => p.email === u.managerId)!
          expect(u.parentId).toBe(leader.manager ? unitIdFor(leader.manager.toLowerCase()) : null)
        }
        for (const c of org.closure) expect(c.depth).toBeLessThanOrEqual(depth(c.unitId.replace(/^u:/, '')))

        // levels: IC 0; a manager is one above the highest of its reports
        const level = new Map(org.people.map((p) => [p.personId, p.level]))
        for (const p of org.people) {
          const reports = org.people.filter((r) => r.managerId === p.personId)
          if (reports.length === 0) expect(p.level).toBe(0)
          else {
            for (const r of reports) expect(p.level).toBeGreaterThan(r.level)
            expect(p.level).toBe(1 + Math.max(...reports.map((r) => level.get(r.personId)!)))
          }
          expect(p.homeUnit).toBe(
            hasReports.has(p.personId) || !p.managerId ? unitIdFor(p.personId) : unitIdFor(p.managerId),
          )
        }
      }),
      { numRuns: runs(300) },
    )
  })
})
