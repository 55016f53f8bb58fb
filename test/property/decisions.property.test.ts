import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkRecord, readDecisionFile, type SourceRecord } from '@orgpulse/connector-decisions'
import { decisionRecordSchema } from '@orgpulse/contracts'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * Properties of the decision-log importers (JSON, JSONL, CSV, MADR) and the validator: they never
 * throw; every record read is either valid or carries at least one error; line numbers point at
 * the line the record starts on.
 */

const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const runs = (n: number): number => Math.ceil(n * SCALE)

/**
 * Front matter text: JSON is YAML (flow style), and a plain scalar now and then (`key: text`)
 * exercises YAML's own typing (dates, numbers, `yes`) and its errors.
 */
function toYaml(fm: Record<string, unknown>, plain: boolean): string {
  return Object.entries(fm)
    .map(([k, v]) => `${k}: ${plain && typeof v === 'string' && !/[\r\n]/.test(v) ? v : JSON.stringify(v)}\n`)
    .join('')
}

const dir = mkdtempSync(join(tmpdir(), 'orgpulse-prop-decisions-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileNo = 0
function writeTemp(ext: string, text: string): string {
  const f = join(dir, `f${fileNo++}${ext}`)
  writeFileSync(f, text, 'utf8')
  return f
}

// ---- values ----

const WEIRD = [
  '',
  ' ',
  'null',
  '2026-02-30',
  '2026-07-01T25:00:00Z',
  '2026-07-01T09:30:00',
  '2026-07-01 09:30+02',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59+23:59',
  '+275760-09-13T00:00:00Z',
  'yesterday',
  'superseded by D9',
  'Accepted',
  '__proto__',
  'constructor',
  'a,b;c',
  '"quoted"',
  '𝔘𝔫𝔦 ünï 🧪',
  '\uD800',
  'x'.repeat(20_000),
]
const weird = fc.oneof(
  fc.constantFrom(...WEIRD),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
)
const junk: fc.Arbitrary<unknown> = fc.oneof(
  weird,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(weird, { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
)

const email = fc.constantFrom('ann@x.io', 'Mia@X.io', 'dir@x.io', ' ceo@x.io ', 'jira:acc-1', 'linear:u-2')
const day = fc.integer({ min: 0, max: 3650 }).map((d) => new Date(Date.UTC(2020, 0, 1) + d * 86_400_000))
const dateText = fc
  .tuple(day, fc.constantFrom('day', 'iso', 'offset'))
  .map(([d, f]) =>
    f === 'day'
      ? d.toISOString().slice(0, 10)
      : f === 'iso'
        ? d.toISOString()
        : d.toISOString().replace('.000Z', '+02:00'),
  )

/** A record with DESIGN.md's fields, mostly well-formed. */
const validish = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/),
    title: fc.string({ minLength: 1, maxLength: 30 }),
    raisedBy: email,
    raisedAt: dateText,
    status: fc.constantFrom('proposed', 'decided', 'rejected', 'withdrawn', 'reversed', 'superseded'),
    decidedBy: email,
    decidedAt: dateText,
    escalatedTo: fc.oneof(
      fc.array(email, { maxLength: 3 }),
      email.map((e) => `${e};dir@x.io`),
    ),
    escalatedAt: dateText,
    team: fc.constantFrom('u:dir@x.io', 'Platform'),
    tags: fc.oneof(fc.array(fc.constantFrom('infra', 'queues', ''), { maxLength: 3 }), fc.constant('a, b')),
    links: fc.array(fc.constantFrom('superseded-by:D9', 'https://x.io/adr/1'), { maxLength: 2 }),
    updatedAt: dateText,
  },
  { requiredKeys: ['id', 'title', 'raisedBy', 'raisedAt', 'status'] },
)

/** ... then with some fields dropped, nulled or replaced by junk. */
const nearValid: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(validish, fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(undefined), junk)), { maxLength: 3 }))
  .map(([r, edits]) => {
    const out: Record<string, unknown> = { ...r }
    const keys = Object.keys(out)
    for (const [at, value] of edits) {
      const k = keys[at % keys.length]!
      if (value === undefined) delete out[k]
      else out[k] = value
    }
    return out
  })

// ---- the property every importer result must satisfy ----

/** `lines`: the file's line count; for JSON the importer numbers items instead (`line` = item index + 1) */
function checkSourceRecords(
  records: SourceRecord[],
  file: string,
  text: string,
  lines = text.split(/\r?\n/).length,
): void {
  for (const r of records) {
    expect(r.file).toBe(file)
    expect(Number.isInteger(r.line) && r.line >= 1).toBe(true)
    if (text.length > 0) expect(r.line).toBeLessThanOrEqual(lines)
    if (r.record === null) {
      expect(
        r.error?.trim().length ?? 0,
        `unreadable record without a reason: ${JSON.stringify(r)}`,
      ).toBeGreaterThan(0)
      continue
    }
    const checked = checkRecord(r.record)
    if (checked.ok) {
      // what the validator accepts, the schema accepts, to the same record
      expect(decisionRecordSchema.parse(r.record)).toEqual(checked.record)
    } else {
      expect(checked.errors.length).toBeGreaterThan(0)
      for (const e of checked.errors) expect(e.trim().length).toBeGreaterThan(0)
    }
  }
}

describe('checkRecord', () => {
  it('never throws: valid, or at least one non-empty error', () => {
    fc.assert(
      fc.property(fc.oneof(nearValid, validish, junk, fc.anything({ maxDepth: 2 })), (input) => {
        const checked = checkRecord(input)
        if (checked.ok) expect(decisionRecordSchema.safeParse(input).success).toBe(true)
        else {
          expect(checked.errors.length).toBeGreaterThan(0)
          for (const e of checked.errors) expect(e.trim().length).toBeGreaterThan(0)
        }
      }),
      { numRuns: runs(1000) },
    )
  })

  it('a well-formed record with a call and consistent dates is accepted', () => {
    fc.assert(
      fc.property(validish, day, day, (r, a, b) => {
        const [raised, decided] = a <= b ? [a, b] : [b, a]
        const record = {
          id: r.id,
          title: r.title.trim() || 'x',
          raisedBy: 'ann@x.io',
          raisedAt: raised.toISOString(),
          status: r.status,
          decidedBy: 'dir@x.io',
          decidedAt: decided.toISOString(),
        }
        const checked = checkRecord(record)
        expect(checked.ok ? [] : checked.errors).toEqual([])
      }),
      { numRuns: runs(200) },
    )
  })
})

describe('readDecisionFile never throws, and every record is valid or explains itself', () => {
  it('JSON: an array, {decisions: [...]}, one object, or anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.oneof(nearValid, junk), { maxLength: 6 }).map((xs) => JSON.stringify(xs)),
          fc.array(nearValid, { maxLength: 4 }).map((xs) => JSON.stringify({ decisions: xs })),
          nearValid.map((x) => JSON.stringify(x, null, 2)),
          fc.jsonValue({ maxDepth: 3 }).map((x) => JSON.stringify(x)),
          fc.string({ maxLength: 60 }),
          fc.tuple(fc.array(nearValid, { minLength: 1, maxLength: 3 }), fc.nat()).map(([xs, n]) => {
            const s = JSON.stringify(xs)
            return s.slice(0, n % s.length)
          }),
        ),
        fc.boolean(),
        (text, bom) => {
          const body = bom ? `\uFEFF${text}` : text
          const f = writeTemp('.json', body)
          const records = readDecisionFile(f)
          // JSON records are numbered by item (1-based) in file order
          expect(records.map((r) => r.line)).toEqual(records.map((_, i) => i + 1))
          checkSourceRecords(records, f, text, Math.max(records.length, 1))
        },
      ),
      { numRuns: runs(300) },
    )
  })

  it('JSONL: each non-blank line is one record, reported on its own line', () => {
    const line = fc.oneof(
      { weight: 4, arbitrary: nearValid.map((x) => JSON.stringify(x)) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ', 'not json', '[1,2]', '"s"', '{"id":') },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)) },
    )
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 10 }),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('.jsonl', '.ndjson'),
        (lines, eol, ext) => {
          const text = lines.join(eol)
          const f = writeTemp(ext, text)
          const records = readDecisionFile(f)
          checkSourceRecords(records, f, text)
          const expectedLines = lines.flatMap((l, i) => (l.trim() ? [i + 1] : []))
          expect(records.map((r) => r.line)).toEqual(expectedLines)
        },
      ),
      { numRuns: runs(300) },
    )
  })

  it('CSV: line numbers point at the line each row starts on (blank lines, quoted commas, quotes and line breaks)', () => {
    const COLUMNS = [
      'id',
      'title',
      'raised_by',
      'raised_at',
      'status',
      'decided_by',
      'decided_at',
      'escalated_to',
      'team',
      'tags',
    ]
    const cell = fc.oneof(
      { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9@.:-]{0,10}$/) },
      {
        weight: 2,
        arbitrary: fc
          .array(fc.constantFrom('a', 'B', ' ', ',', '"', '\n', ';', 'é', '🧪', '2026-07-01'), {
            maxLength: 8,
          })
          .map((cs) => cs.join('')),
      },
    )
    const quote = (v: string): string => (/[",\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
    fc.assert(
      fc.property(
        fc.shuffledSubarray(COLUMNS, { minLength: 1 }),
        fc.array(
          fc.tuple(fc.array(cell, { minLength: COLUMNS.length, maxLength: COLUMNS.length }), fc.nat(2)),
          { maxLength: 8 },
        ),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (columns, rows, eol, trailingEol) => {
          const out: string[] = [columns.join(',')]
          const starts: number[] = []
          let lineNo = 1
          for (const [cells, blanksBefore] of rows) {
            for (let b = 0; b < blanksBefore; b++) {
              out.push('')
              lineNo++
            }
            const values = columns.map((_, i) => cells[i] ?? '')
            // a row whose every cell is empty still has commas, unless there is one column
            if (columns.length === 1 && values[0] === '') values[0] = 'x'
            const text = values.map(quote).join(',')
            starts.push(lineNo + 1)
            out.push(text)
            lineNo += 1 + (text.match(/\n/g)?.length ?? 0)
          }
          const body = out.join('\n').replace(/\n/g, eol) + (trailingEol ? eol : '')
          const f = writeTemp('.csv', body)
          const records = readDecisionFile(f)
          checkSourceRecords(records, f, body)
          if (records.length === 1 && records[0]!.record === null) {
            // the whole file was refused: say why (cannot happen for well-quoted CSV; shown if it does)
            throw new Error(`well-formed CSV refused: ${records[0]!.error}\n${body}`)
          }
          expect(records.map((r) => r.line)).toEqual(starts)
        },
      ),
      { numRuns: runs(300) },
    )
  })

  it('CSV: arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc
            .array(
              fc.constantFrom(
                'id',
                'title',
                ',',
                '"',
                '\n',
                '\r\n',
                'a',
                ' ',
                'raised_at',
                '2026-07-01',
                'decided',
              ),
              { maxLength: 30 },
            )
            .map((xs) => xs.join('')),
        ),
        (text) => {
          const f = writeTemp('.csv', text)
          checkSourceRecords(readDecisionFile(f), f, text)
        },
      ),
      { numRuns: runs(300) },
    )
  })

  it('MADR: front matter with fields of any type, statuses with "superseded by", headings, broken YAML', () => {
    const frontValue = fc.oneof(
      junk,
      fc.array(junk, { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 4 }), junk, { maxKeys: 2 }),
    )
    const statusText = fc.constantFrom(
      'superseded by ADR-9',
      'Superseded by [ADR-0009](0009-x.md)',
      'accepted',
      'deprecated',
      'proposed',
      'rejected',
      'withdrawn',
    )
    const anyOf = <T>(a: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 3, arbitrary: a }, { weight: 1, arbitrary: frontValue })
    // every key optional (about half present), each with its expected kind of value or anything
    const front = fc.record(
      {
        id: frontValue,
        title: anyOf(fc.string({ maxLength: 20 })),
        status: anyOf(statusText),
        date: anyOf(dateText),
        deciders: anyOf(fc.oneof(fc.array(email, { maxLength: 2 }), email)),
        'decision-makers': frontValue,
        raised_by: anyOf(email),
        raised_at: anyOf(dateText),
        decided_by: anyOf(email),
        decided_at: anyOf(dateText),
        updated_at: anyOf(dateText),
        links: frontValue,
        tags: frontValue,
        team: frontValue,
        escalated_to: anyOf(fc.array(email, { maxLength: 2 })),
        consulted: frontValue,
      },
      { requiredKeys: [] },
    )
    const madr = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(
            front,
            fc.boolean(),
            fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
            fc.option(fc.constantFrom('Accepted', 'Proposed', 'Superseded by 0009'), { nil: undefined }),
          )
          .map(([fm, plain, title, bodyStatus]) => {
            const yaml = toYaml(fm, plain)
            const heading = title === undefined ? '' : `# ${title}\n\n`
            const status = bodyStatus === undefined ? '' : `## Status\n\n${bodyStatus}\n\n`
            return `---\n${yaml}---\n${heading}${status}Context…\n`
          }),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => `---\n${s}\n---\n# T\n`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
    )
    fc.assert(
      fc.property(madr, (text) => {
        const f = writeTemp('.md', text)
        const records = readDecisionFile(f)
        expect(records).toHaveLength(1)
        checkSourceRecords(records, f, text)
      }),
      { numRuns: runs(120) },
    )
  })
})
