import { describe, expect, it } from 'vitest'
import { type OrgIssue, OrgValidationError, parseHrCsv, parseOrg, parseOrgYaml } from '../src/index.ts'
import { ORG_Q1 } from './fixtures.ts'

/** The issues an invalid input produces (the test fails if it parses). */
function issuesOf(text: string, format: 'csv' | 'yaml' = 'csv'): OrgIssue[] {
  try {
    parseOrg(text, format, 'test')
  } catch (err) {
    if (err instanceof OrgValidationError) return err.issues
    throw err
  }
  throw new Error('expected the input to be rejected')
}

const HEADER = 'email,name,manager_email,title'

describe('HR CSV parsing', () => {
  it('reads the fixed shape, optional columns and lower-cases emails', () => {
    const rows = parseOrg(ORG_Q1.replace('ceo@x.com,Cleo', 'CEO@X.com,Cleo'), 'csv')
    expect(rows).toHaveLength(9)
    expect(rows[0]).toEqual({ email: 'ceo@x.com', name: 'Cleo CEO', title: 'CEO', employee_id: 'E1' })
    expect(rows[1]).toEqual({
      email: 'vp@x.com',
      name: 'Vic VP',
      manager_email: 'ceo@x.com',
      title: 'VP Engineering',
      employee_id: 'E2',
      team: 'Leadership',
    })
  })

  it('tolerates a BOM, CRLF, quoted fields with commas and newlines, unknown columns, header case', () => {
    const text = [
      '\ufeffEmail,Name,Cost Center,Manager_Email,Title,Timezone',
      'boss@x.com,"Boss, The",CC1,,"Chief\r\nEverything",Europe/Paris',
      '',
      'a@x.com,"A ""Quoted"" Person",CC2,boss@x.com,Engineer,',
      ',,,,,',
      '',
    ].join('\r\n')
    const rows = parseOrg(text, 'csv')
    expect(rows).toEqual([
      { email: 'boss@x.com', name: 'Boss, The', title: 'Chief\nEverything', timezone: 'Europe/Paris' },
      { email: 'a@x.com', name: 'A "Quoted" Person', manager_email: 'boss@x.com', title: 'Engineer' },
    ])
  })

  it('reports the line a record starts on, also after multi-line fields and blank lines', () => {
    const text = `${HEADER}\nboss@x.com,Boss,,"two\nlines"\n\nnot-an-email,X,boss@x.com,Engineer\n`
    const parsed = parseHrCsv(text)
    expect(parsed.issues).toEqual([
      { code: 'invalid', line: 5, message: 'email: email is not a valid address (got "not-an-email")' },
    ])
    expect(parsed.rows.map((r) => r.line)).toEqual([2])
  })
})

describe('HR CSV validation reports every problem with its line', () => {
  it('rejects an empty file and a header without rows', () => {
    expect(issuesOf('')).toEqual([{ code: 'empty', message: expect.stringContaining('the file is empty') }])
    expect(issuesOf('\ufeff\r\n\r\n')).toMatchObject([{ code: 'empty' }])
    expect(issuesOf(`${HEADER}\r\n`)).toEqual([
      { code: 'empty', message: 'the file has a header but no people' },
    ])
  })

  it('rejects missing required columns, naming what was found', () => {
    expect(issuesOf('email,name,title\na@x.com,A,CEO')).toEqual([
      {
        code: 'header',
        line: 1,
        message:
          'missing column manager_email (header must include email,name,manager_email,title; found email,name,title)',
      },
    ])
  })

  it('rejects broken CSV syntax', () => {
    expect(issuesOf(`${HEADER}\na@x.com,"A,,CEO\n`)).toMatchObject([
      { code: 'syntax', message: expect.stringMatching(/Quote Not Closed/) },
    ])
  })

  it('rejects rows whose field count differs from the header', () => {
    expect(issuesOf(`${HEADER}\nboss@x.com,Boss,,CEO\na@x.com,Smith, Ann,boss@x.com,Engineer`)).toEqual([
      {
        code: 'fields',
        line: 3,
        message: 'expected 4 fields like the header, found 5 (quote values that contain commas)',
      },
    ])
  })

  it('collects invalid emails, missing names, unknown managers, duplicates and cycles in one error', () => {
    const text = [
      HEADER,
      'boss@x.com,Boss,,CEO', // 2
      'bad-email,Bad,boss@x.com,Engineer', // 3
      'noname@x.com,,boss@x.com,Engineer', // 4
      'a@x.com,A,ghost@x.com,Engineer', // 5
      'b@x.com,B,boss@x.com,Engineer', // 6
      'B@x.com,B again,boss@x.com,Engineer', // 7
      'c1@x.com,C1,c2@x.com,Engineer', // 8
      'c2@x.com,C2,c3@x.com,Engineer', // 9
      'c3@x.com,C3,c1@x.com,Engineer', // 10
      'self@x.com,Self,self@x.com,Engineer', // 11
      'r@x.com,R,noname@x.com,Engineer', // 12: its manager's row is invalid, already reported
    ].join('\n')
    let error: OrgValidationError | undefined
    try {
      parseOrg(text, 'csv', 'hr.csv')
    } catch (err) {
      error = err as OrgValidationError
    }
    expect(error).toBeInstanceOf(OrgValidationError)
    expect(error!.issues).toEqual([
      { code: 'invalid', line: 3, message: 'email: email is not a valid address (got "bad-email")' },
      { code: 'invalid', line: 4, message: 'name: name is required (got "")' },
      {
        code: 'unknown-manager',
        line: 5,
        message: 'manager_email ghost@x.com of a@x.com matches nobody in the file',
      },
      { code: 'duplicate', line: 6, message: 'duplicate email b@x.com on lines 6, 7' },
      {
        code: 'cycle',
        line: 8,
        message:
          'manager cycle c1@x.com → c2@x.com → c3@x.com → c1@x.com (→ means "reports to"; lines 8, 9, 10)',
      },
      {
        code: 'cycle',
        line: 11,
        message: 'manager cycle self@x.com → self@x.com (→ means "reports to"; lines 11)',
      },
    ])
    expect(error!.message).toMatch(/^hr\.csv: 6 problems\n {2}- line 3: email: email is not a valid address/)
  })

  it('rejects more than one root and lists them', () => {
    const text = `${HEADER}\na@x.com,A,,CEO\nb@x.com,B,a@x.com,Engineer\nc@x.com,C,,Founder\nd@x.com,D,,Advisor`
    expect(issuesOf(text)).toEqual([
      {
        code: 'roots',
        message:
          '3 people have no manager, exactly one is allowed (the top of the org): a@x.com (line 2), c@x.com (line 4), d@x.com (line 5)',
      },
    ])
  })
})

describe('org.yaml', () => {
  it('reads nested reports and flat manager references alike', () => {
    const text = `# our org
people:
  - email: Ada@x.com
    name: Ada
    title: VP Engineering
    employee_id: 00123
    reports:
      - email: bob@x.com
        name: Bob
        title: Engineering Manager
        team: Platform
        reports:
          - { email: cy@x.com, name: Cy, title: Engineer, team: Platform }
  - email: dee@x.com
    name: Dee
    manager: bob@x.com
    timezone: Europe/Berlin
`
    expect(parseOrg(text, 'yaml')).toEqual([
      { email: 'ada@x.com', name: 'Ada', title: 'VP Engineering', employee_id: '00123' },
      {
        email: 'bob@x.com',
        name: 'Bob',
        manager_email: 'ada@x.com',
        title: 'Engineering Manager',
        team: 'Platform',
      },
      { email: 'cy@x.com', name: 'Cy', manager_email: 'bob@x.com', title: 'Engineer', team: 'Platform' },
      { email: 'dee@x.com', name: 'Dee', manager_email: 'bob@x.com', title: '', timezone: 'Europe/Berlin' },
    ])
  })

  it('reports yaml problems with lines: syntax, unknown keys, contradicting nesting, structure', () => {
    expect(issuesOf('people:\n  - email: a@x.com\n   name: [', 'yaml')[0]).toEqual({
      code: 'syntax',
      line: 3,
      message: 'YAML syntax: Sequence item without - indicator',
    })
    expect(issuesOf('', 'yaml')).toMatchObject([{ code: 'empty' }])
    expect(issuesOf('people: []', 'yaml')).toEqual([{ code: 'empty', message: '`people:` is empty' }])
    expect(issuesOf('- email: a@x.com', 'yaml')).toEqual([
      { code: 'syntax', line: 1, message: 'expected a top-level `people:` list' },
    ])
    const text = `people:
  - email: a@x.com
    name: A
    reports:
      - email: b@x.com
        name: B
        titel: Engineer
      - email: c@x.com
        name: C
        manager: z@x.com
  - email: d@x.com
    name: D
    manager: nobody@x.com
`
    expect(issuesOf(text, 'yaml')).toEqual([
      {
        code: 'invalid',
        line: 5,
        message:
          'unknown key "titel" (expected email, name, title, team, employee_id, timezone, manager, manager_email, reports)',
      },
      { code: 'invalid', line: 8, message: 'manager: "z@x.com" contradicts the nesting under a@x.com' },
      {
        code: 'unknown-manager',
        line: 11,
        message: 'manager_email nobody@x.com of d@x.com matches nobody in the file',
      },
    ])
  })

  it('parses via the yaml library directly as well', () => {
    const parsed = parseOrgYaml('people:\n  - email: a@x.com\n    name: A\n')
    expect(parsed).toEqual({
      rows: [{ row: { email: 'a@x.com', name: 'A', title: '' }, line: 2 }],
      issues: [],
      rejected: new Set(),
    })
  })
})

describe('HR time zones', () => {
  it('stores IANA zones, maps Windows names through CLDR, and rejects the rest with the line', () => {
    const csv = [
      'email,name,manager_email,title,timezone',
      'boss@x.com,Boss,,CEO,Europe/Berlin',
      'a@x.com,A,boss@x.com,Engineer,W. Europe Standard Time',
      'b@x.com,B,boss@x.com,Engineer,Mars/Olympus',
      'c@x.com,C,boss@x.com,Engineer,',
      'd@x.com,D,boss@x.com,Engineer,Eastern Standard Time',
    ].join('\n')
    expect(issuesOf(csv)).toEqual([
      {
        code: 'invalid',
        line: 4,
        message:
          'timezone: timezone is neither an IANA time zone such as Europe/Berlin nor a Windows zone name (got "Mars/Olympus")',
      },
    ])
    const ok = parseOrg(
      csv
        .split('\n')
        .filter((_, i) => i !== 3)
        .join('\n'),
      'csv',
    )
    expect(ok.map((r) => r.timezone)).toEqual([
      'Europe/Berlin',
      'Europe/Berlin',
      undefined,
      'America/New_York',
    ])
  })
})
