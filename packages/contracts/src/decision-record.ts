import { z } from 'zod'
import { storableString } from './storable.ts'
import { instant } from './time.ts'

export const DECISION_STATUSES = [
  'proposed',
  'decided',
  'rejected',
  'withdrawn',
  'reversed',
  'superseded',
] as const
export type DecisionStatus = (typeof DECISION_STATUSES)[number]

const emailOrHandle = storableString().trim().min(1, 'must not be empty')

const stringList = z
  .union([z.array(storableString()), storableString()])
  .transform((v) => (Array.isArray(v) ? v : v.split(/[;,]/)).map((s) => s.trim()).filter((s) => s.length > 0))

/** Statuses where a call was made: they need a decider and a time. */
const CALLED: readonly DecisionStatus[] = ['decided', 'rejected', 'reversed', 'superseded']

/**
 * The decision-record input (DESIGN.md "Inputs with a fixed shape"). Every rule is checked and
 * every failure reported, so one bad record yields one complete list of problems.
 */
export const decisionRecordSchema = z
  .object({
    id: storableString({ error: 'id is required' }).trim().min(1, 'id is required'),
    title: storableString({ error: 'title is required' }).trim().min(1, 'title is required'),
    raisedBy: emailOrHandle,
    raisedAt: instant,
    status: z.enum(DECISION_STATUSES, {
      error: `status must be one of ${DECISION_STATUSES.join(', ')}`,
    }),
    decidedBy: emailOrHandle.optional(),
    decidedAt: instant.optional(),
    /** who is expected to make the call (email or handle); a version without it has none */
    expectedDecider: emailOrHandle.optional(),
    escalatedTo: stringList.optional(),
    escalatedAt: instant.optional(),
    team: storableString().trim().min(1).optional(),
    tags: stringList.optional(),
    links: stringList.optional(),
    updatedAt: instant.optional(),
  })
  .superRefine((r, ctx) => {
    if (CALLED.includes(r.status)) {
      if (!r.decidedBy)
        ctx.addIssue({
          code: 'custom',
          path: ['decidedBy'],
          message: `status ${r.status} requires decidedBy`,
        })
      if (!r.decidedAt)
        ctx.addIssue({
          code: 'custom',
          path: ['decidedAt'],
          message: `status ${r.status} requires decidedAt`,
        })
    }
    if (r.decidedAt && r.decidedAt < r.raisedAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['decidedAt'],
        message: `decidedAt ${r.decidedAt} is before raisedAt ${r.raisedAt}`,
      })
    }
    if (r.escalatedAt && r.escalatedAt < r.raisedAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalatedAt'],
        message: `escalatedAt ${r.escalatedAt} is before raisedAt ${r.raisedAt}`,
      })
    }
    if (r.escalatedAt && (!r.escalatedTo || r.escalatedTo.length === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalatedTo'],
        message: 'escalatedAt given without escalatedTo',
      })
    }
  })
export type DecisionRecord = z.infer<typeof decisionRecordSchema>
export type DecisionRecordInput = z.input<typeof decisionRecordSchema>
