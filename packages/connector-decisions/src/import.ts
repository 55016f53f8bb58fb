import { createHash } from 'node:crypto'
import { relative } from 'node:path'
import { arrivalStamp, type DlqRecord, type RawEnvelope } from '@orgpulse/contracts'
import { type Bus, publishDeadLetters, publishRaw } from '@orgpulse/kafka'
import { readDecisionSourceWithText, type SourceRecordWithText, withText } from './parse.ts'
import { checkRecord } from './validate.ts'

export interface ImportRejection {
  file: string
  line: number
  errors: string[]
}

export interface ImportResult {
  files: number
  accepted: number
  rejected: ImportRejection[]
  /** MADR files whose dates did not come from explicit fields */
  notes: string[]
}

export const decisionEnvelope = (
  record: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): RawEnvelope => ({
  source: 'decisions',
  entity: 'decision',
  sourceId: String(record.id ?? 'unknown'),
  // strictly increasing: of two versions with one updatedAt, the later line or request wins
  fetchedAt: arrivalStamp(),
  meta,
  payload: record,
})

/**
 * Imports a decision-log file or directory: valid records go to the raw topic; invalid ones are
 * reported (file, line, every error) and dead-lettered with their reason and their original text
 * (the line, CSV row under its header, JSON element or MADR file), so nothing is lost and
 * `orgpulse dlq replay` can import exactly those bytes again.
 */
export async function importDecisions(bus: Bus, path: string, cwd = process.cwd()): Promise<ImportResult> {
  const read = readDecisionSourceWithText(path)
  return publishRecords(
    bus,
    read.map((r) => {
      const rel = relative(cwd, r.record.file)
      return { ...r, where: rel && !rel.startsWith('..') ? rel : r.record.file, line: r.record.line }
    }),
  )
}

/**
 * `dlq replay` of a dead letter from a decision import: its original text, read again as a record
 * of `where` (whose extension says the format), with the current parser and validation. Accepted:
 * to the raw topic like any import; rejected again: a new dead letter with the same bytes.
 */
export async function importDecisionText(
  bus: Bus,
  source: { where: string; line: number; text: string },
): Promise<ImportResult> {
  const read = withText(source.where, source.text)
  // one record's text re-reads as that record (a CSV row sits under its header: its line shifts)
  return publishRecords(
    bus,
    read.map((r) => ({ ...r, where: source.where, line: read.length === 1 ? source.line : r.record.line })),
  )
}

async function publishRecords(
  bus: Bus,
  read: (SourceRecordWithText & { where: string; line: number })[],
): Promise<ImportResult> {
  const result: ImportResult = {
    files: new Set(read.map((r) => r.where)).size,
    accepted: 0,
    rejected: [],
    notes: [],
  }
  const good: RawEnvelope[] = []
  const dead: DlqRecord[] = []
  for (const { record: r, text, where, line } of read) {
    const errors =
      r.record === null
        ? [r.error ?? 'unreadable record']
        : (() => {
            const c = checkRecord(r.record)
            return c.ok ? [] : c.errors
          })()
    if (errors.length > 0) {
      result.rejected.push({ file: where, line, errors })
      dead.push(dlqFor(where, line, text, errors))
      continue
    }
    const meta: Record<string, unknown> = { file: where, line }
    if (r.provenance) {
      meta.provenance = r.provenance
      const inferred = Object.entries(r.provenance).filter(([, p]) => p !== 'front matter')
      if (inferred.length > 0)
        result.notes.push(`${where}: ${inferred.map(([f, p]) => `${f} from ${p}`).join(', ')}`)
    }
    good.push(decisionEnvelope(r.record!, meta))
  }
  if (good.length > 0) await publishRaw(bus, good)
  if (dead.length > 0) await publishDeadLetters(bus, dead)
  result.accepted = good.length
  return result
}

function dlqFor(where: string, line: number, text: string, errors: string[]): DlqRecord {
  return {
    reason: errors.join('; '),
    stage: 'ingest-decisions',
    // not a topic: `dlq replay` imports the bytes again as a record of this file
    topic: `file:${where}`,
    partition: 0,
    offset: String(line),
    key: createHash('sha256').update(`${where}:${line}`).digest('hex').slice(0, 16),
    // the record's original bytes, also when it could not be read at all
    value: Buffer.from(text).toString('base64'),
    failedAt: new Date().toISOString(),
  }
}

/**
 * A record an edge refused, as a dead letter: every reason, and the record as received (JSON,
 * base64; parsed and re-serialised, so the escapes of a lone surrogate stay as they came). The
 * topic names where it came from (`file:…`, `api:…`): there is no topic to replay it to.
 */
export function edgeDeadLetter(d: {
  topic: string
  offset: string
  key: string | null
  record: unknown
  errors: string[]
}): DlqRecord {
  const original = d.record === null || d.record === undefined ? '' : JSON.stringify(d.record)
  return {
    reason: d.errors.join('; '),
    stage: 'ingest-decisions',
    topic: d.topic,
    partition: 0,
    offset: d.offset,
    key: d.key,
    value: Buffer.from(original).toString('base64'),
    failedAt: new Date().toISOString(),
  }
}
