import { z } from 'zod'

/**
 * The quarterly review (issue 19), as data: what `orgpulse review`, the api, the pages, the HTML
 * and PDF report and the review-zip/xlsx exports all render. Every section answers one of the
 * quarterly-review questions (seed essay) with tables whose cells carry their unit, so a renderer
 * never guesses how to format a figure; a section that cannot compare honestly says why in
 * `refused` instead of showing numbers.
 */

export const reviewUnitSchema = z.enum([
  'count',
  'hours',
  'days',
  'ratio',
  'level',
  'hours_per_week',
  'item_days',
  'people',
  'text',
  'date',
  'email',
])
export type ReviewUnit = z.infer<typeof reviewUnitSchema>

/** good/bad against the catalog thresholds (and direction), or none for a figure without them */
export const reviewStatusSchema = z.enum(['ok', 'warn', 'critical', 'too_few', 'no_data', 'withheld', 'none'])

export const reviewColumnSchema = z.object({
  key: z.string(),
  title: z.string(),
  unit: reviewUnitSchema,
  /** the catalog metric this column shows, when it shows one (thresholds, direction) */
  metric: z.string().optional(),
})
export type ReviewColumn = z.infer<typeof reviewColumnSchema>

/**
 * One cell: `value` is the raw figure (unrounded; renderers round by unit), null with `reason`
 * when there is no honest number (`no_data: …`, `too_few: n = 2 …`, `withheld: …`); `sample` is the
 * n it rests on; `change` the relative change against the comparison period (0.25 = +25 %), null
 * when either side is null or the base is 0; `status` good/bad.
 */
export const reviewCellSchema = z.object({
  value: z.union([z.number(), z.string(), z.null()]),
  reason: z.string().optional(),
  sample: z.number().nullable().optional(),
  previous: z.union([z.number(), z.null()]).optional(),
  change: z.number().nullable().optional(),
  status: reviewStatusSchema.optional(),
  /** a page that lists the items behind the figure (relative URL of the built-in pages) */
  link: z.string().optional(),
})
export type ReviewCell = z.infer<typeof reviewCellSchema>

export const reviewTableSchema = z.object({
  /** stable id: the CSV file / worksheet name in exports (`section.table`) */
  key: z.string().regex(/^[a-z0-9_]+$/),
  title: z.string(),
  columns: z.array(reviewColumnSchema),
  rows: z.array(z.record(z.string(), reviewCellSchema)),
  /** what the table compares, in words ("Q3 2026 vs Q2 2026", "4 weeks before vs after 2026-08-31") */
  comparison: z.string().optional(),
})
export type ReviewTable = z.infer<typeof reviewTableSchema>

/** one source's coverage of a period: days of the period it was connected and synced */
export const sourceCoverageSchema = z.object({
  source: z.enum(['decisions', 'jira', 'linear', 'calendar', 'org']),
  period: z.object({ from: z.string(), to: z.string() }),
  daysCovered: z.number(),
  days: z.number(),
  share: z.number().nullable(),
  /** share >= 0.9 (DESIGN "No data is not zero": a comparison needs 90 % of the base period's days) */
  enough: z.boolean(),
})
export type SourceCoverage = z.infer<typeof sourceCoverageSchema>

export const reviewSectionSchema = z.object({
  key: z.enum(['structure_changes', 'teams', 'centralisation', 'shape', 'portfolio', 'stability']),
  /** the review question this section answers, verbatim from the essay */
  question: z.string(),
  title: z.string(),
  /** the sources this section reads, for the quarter and for its comparison period */
  coverage: z.array(sourceCoverageSchema),
  /** why the section shows no comparison (a source under 90 % of the base period, no data, …) */
  refused: z.string().nullable(),
  tables: z.array(reviewTableSchema),
  notes: z.array(z.string()),
})
export type ReviewSection = z.infer<typeof reviewSectionSchema>

export const reviewReportSchema = z.object({
  org: z.string(),
  orgName: z.string(),
  quarter: z.string().regex(/^\d{4}-Q[1-4]$/),
  /** [from, to) of the quarter (ISO instants, UTC) */
  window: z.object({ from: z.string(), to: z.string() }),
  /** the quarter before, the comparison base */
  base: z.object({ quarter: z.string(), from: z.string(), to: z.string() }),
  /** a running quarter: figures through `through` only, said on every rendering */
  partial: z.object({ partial: z.boolean(), through: z.string(), daysElapsed: z.number(), days: z.number() }),
  generatedAt: z.string(),
  people: z.number(),
  minGroupSize: z.number(),
  sections: z.array(reviewSectionSchema),
})
export type ReviewReport = z.infer<typeof reviewReportSchema>
