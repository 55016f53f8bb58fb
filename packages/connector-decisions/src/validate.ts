import { type DecisionRecord, decisionRecordSchema, formatIssues } from '@orgpulse/contracts'

export type Checked =
  | { ok: true; record: DecisionRecord; input: Record<string, unknown> }
  | { ok: false; errors: string[] }

/** Validates one record and lists every problem (not just the first). */
export function checkRecord(input: unknown): Checked {
  const parsed = decisionRecordSchema.safeParse(input)
  if (parsed.success) return { ok: true, record: parsed.data, input: input as Record<string, unknown> }
  return { ok: false, errors: formatIssues(parsed.error) }
}
