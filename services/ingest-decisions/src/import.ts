import { createHash } from 'node:crypto'
import { relative } from 'node:path'
import { arrivalStamp, type DlqRecord, type RawEnvelope } from '@orgpulse/contracts'
import { type Bus, publishDeadLetters, publishRaw } from '@orgpulse/kafka'
import { readDecisionSource, type SourceRecord } from './parse.ts'
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
 * reported (file, line, every error) and dead-lettered with their reason so nothing is lost.
 */
export async function importDecisions(bus: Bus, path: string, cwd = process.cwd()): Promise<ImportResult> {
  const read = readDecisionSource(path)
  const result: ImportResult = {
    files: new Set(read.map((r) => r.file)).size,
    accepted: 0,
    rejected: [],
    notes: [],
  }
  const good: RawEnvelope[] = []
  const dead: DlqRecord[] = []
  for (const r of read) {
    const rel = relative(cwd, r.file)
    const where = rel && !rel.startsWith('..') ? rel : r.file
    const errors =
      r.record === null
        ? [r.error ?? 'unreadable record']
        : (() => {
            const c = checkRecord(r.record)
            return c.ok ? [] : c.errors
          })()
    if (errors.length > 0) {
      result.rejected.push({ file: where, line: r.line, errors })
      dead.push(dlqFor(r, where, errors))
      continue
    }
    const meta: Record<string, unknown> = { file: where, line: r.line }
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

function dlqFor(r: SourceRecord, where: string, errors: string[]): DlqRecord {
  return edgeDeadLetter({
    topic: `file:${where}`,
    offset: String(r.line),
    key: createHash('sha256').update(`${where}:${r.line}`).digest('hex').slice(0, 16),
    record: r.record,
    errors,
  })
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
