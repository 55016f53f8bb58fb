import { OrgpulseError } from '@orgpulse/contracts'
/**
 * Org input problems are collected, never thrown one at a time: an HR export with twenty bad rows
 * should be fixed in one pass, so every check runs and reports all it finds.
 */
export type OrgIssueCode =
  | 'empty'
  | 'syntax'
  | 'header'
  | 'fields'
  | 'invalid'
  | 'duplicate'
  | 'unknown-manager'
  | 'cycle'
  | 'roots'

export interface OrgIssue {
  code: OrgIssueCode
  /** 1-based line in the input file, when the issue belongs to one place */
  line?: number
  message: string
}

export class OrgValidationError extends OrgpulseError {
  readonly issues: OrgIssue[]
  readonly source: string

  constructor(source: string, issues: OrgIssue[]) {
    const lines = issues.map((i) => `  - ${i.line !== undefined ? `line ${i.line}: ` : ''}${i.message}`)
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`
    super('invalid_input', `${source}: ${count}\n${lines.join('\n')}`)
    this.name = 'OrgValidationError'
    this.issues = issues
    this.source = source
  }
}

/** A query about a person or unit that the org valid at that time does not have. */
export class OrgLookupError extends OrgpulseError {
  override readonly name = 'OrgLookupError'

  constructor(message: string) {
    super('not_found', message)
  }
}
