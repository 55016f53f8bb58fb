import { createHash } from 'node:crypto'
import { relative } from 'node:path'
import { type DlqRecord, type RawEnvelope, TOPICS } from '@orgpulse/contracts'
import { type Bus, dlqId, publishRaw } from '@orgpulse/kafka'
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
  fetchedAt: new Date().toISOString(),
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
  if (dead.length > 0)
    await bus.publish(
      TOPICS.dlq,
      dead.map((d) => ({ key: dlqId(d), value: Buffer.from(JSON.stringify(d)) })),
    )
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
