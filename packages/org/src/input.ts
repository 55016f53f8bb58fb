import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import type { HrRow } from '@orgpulse/contracts'
import { OrgValidationError } from './errors.ts'
import { parseHrCsv } from './parse-csv.ts'
import { parseOrgYaml } from './parse-yaml.ts'
import type { ParsedInput } from './rows.ts'
import { checkStructure, type OutsideRoot, type StructureOptions } from './validate.ts'

export type OrgInputFormat = 'csv' | 'yaml'

/** `.yaml`/`.yml` is org.yaml; anything else is treated as an HR CSV export. */
export function formatOf(file: string): OrgInputFormat {
  const ext = extname(file).toLowerCase()
  return ext === '.yaml' || ext === '.yml' ? 'yaml' : 'csv'
}

/**
 * Parses and validates an org (all checks run; every problem is reported in one
 * `OrgValidationError`, with line numbers). `source` names the input in messages.
 */
export function parseOrg(
  text: string,
  format: OrgInputFormat,
  source = `org ${format}`,
  options: StructureOptions = {},
): HrRow[] {
  return parseOrgWithRoot(text, format, source, options).rows
}

/** parseOrg, and the top person whose manager is outside the file (`rootsOutside`) */
export function parseOrgWithRoot(
  text: string,
  format: OrgInputFormat,
  source = `org ${format}`,
  options: StructureOptions = {},
): { rows: HrRow[]; outsideRoot: OutsideRoot | null } {
  const parsed = format === 'yaml' ? parseOrgYaml(text) : parseHrCsv(text)
  return validateParsed(parsed, source, options)
}

/**
 * The structural checks over rows a parser (or an HR source) produced; every problem is reported
 * in one `OrgValidationError` naming `source`.
 */
export function validateParsed(
  parsed: ParsedInput,
  source: string,
  options: StructureOptions = {},
): { rows: HrRow[]; outsideRoot: OutsideRoot | null } {
  const structure = checkStructure(parsed.rows, parsed.rejected, options)
  if (parsed.issues.length === 0 && structure.issues.length === 0)
    return { rows: structure.rows, outsideRoot: structure.outsideRoot }
  // When the file could not be read as a whole, structural findings would only be noise.
  const unreadable = parsed.issues.some(
    (i) => i.code === 'empty' || i.code === 'header' || i.code === 'syntax',
  )
  const issues = unreadable ? parsed.issues : [...parsed.issues, ...structure.issues]
  issues.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER))
  throw new OrgValidationError(source, issues)
}

export async function readOrgFile(
  file: string,
  format: OrgInputFormat = formatOf(file),
  options: StructureOptions = {},
): Promise<HrRow[]> {
  return (await readOrgFileWithRoot(file, format, options)).rows
}

export async function readOrgFileWithRoot(
  file: string,
  format: OrgInputFormat = formatOf(file),
  options: StructureOptions = {},
): Promise<{ rows: HrRow[]; outsideRoot: OutsideRoot | null }> {
  const text = await readFile(file, 'utf8')
  return parseOrgWithRoot(text, format, file, options)
}
