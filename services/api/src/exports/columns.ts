/**
 * The quarterly export's columns: the public contract of every format (documented in
 * services/api/EXPORTS.md, which a test keeps in sync with this list). Every row carries all
 * columns; columns of another section are NULL (empty in CSV).
 */
export interface ExportColumn {
  name: string
  /** ClickHouse type of the staging table column */
  type: string
  section: 'all' | 'metrics' | 'decisions' | 'dependencies'
  doc: string
}

export const EXPORT_COLUMNS: readonly ExportColumn[] = [
  { name: 'section', type: 'String', section: 'all', doc: '`metrics`, `decisions` or `dependencies`' },
  { name: 'org', type: 'String', section: 'all', doc: "the director's email" },
  {
    name: 'quarter',
    type: 'String',
    section: 'all',
    doc: 'the exported quarter, e.g. `2026-Q3` ([2026-07-01, 2026-10-01) UTC)',
  },
  {
    name: 'scope_id',
    type: 'Nullable(String)',
    section: 'all',
    doc: "metrics: the org's or team's unit id (`u:<manager email>`); decisions: the raiser's team when raised",
  },
  { name: 'scope_name', type: 'Nullable(String)', section: 'all', doc: 'the name of `scope_id`' },
  {
    name: 'scope_kind',
    type: 'Nullable(String)',
    section: 'all',
    doc: 'metrics: `org` (the whole org) or `team` (a unit inside it); decisions: `team`',
  },
  {
    name: 'people',
    type: 'Nullable(UInt32)',
    section: 'metrics',
    doc: 'people in the scope at the end of the quarter (the privacy threshold applies to this count)',
  },
  { name: 'metric', type: 'Nullable(String)', section: 'metrics', doc: 'metric id from the catalog' },
  { name: 'metric_title', type: 'Nullable(String)', section: 'metrics', doc: 'its title' },
  {
    name: 'unit',
    type: 'Nullable(String)',
    section: 'metrics',
    doc: 'count, hours, days, ratio, level, hours_per_week, item_days',
  },
  {
    name: 'value',
    type: 'Nullable(Float64)',
    section: 'metrics',
    doc: 'the value for the quarter; NULL when withheld or no data',
  },
  {
    name: 'previous_quarter',
    type: 'Nullable(String)',
    section: 'metrics',
    doc: 'the quarter before, e.g. `2026-Q2`',
  },
  {
    name: 'previous_value',
    type: 'Nullable(Float64)',
    section: 'metrics',
    doc: 'the same metric and scope in the previous quarter (NULL when the scope did not exist then)',
  },
  {
    name: 'change',
    type: 'Nullable(Float64)',
    section: 'metrics',
    doc: '`value - previous_value`; NULL unless both are known',
  },
  {
    name: 'sample',
    type: 'Nullable(UInt32)',
    section: 'metrics',
    doc: "the n `value` rests on (the catalog's sample: decisions decided, open blockers, people with calendars synced, …); NULL when withheld for privacy",
  },
  {
    name: 'withheld',
    type: 'Nullable(String)',
    section: 'metrics',
    doc: "why `value` is NULL, starting with the reason: `withheld:` (privacy threshold), `no_data:` (sources not connected or synced for the quarter, or nothing in it), `partial_coverage:` (too few calendars synced), `too_few:` (the sample is under the metric's minimum, e.g. `too_few: n = 2 decisions decided (minimum 3)`); empty otherwise",
  },
  {
    name: 'coverage_covered',
    type: 'Nullable(UInt32)',
    section: 'metrics',
    doc: 'meetings metrics: people in the scope whose own calendar is synced over the whole quarter (the means are over them only); dependency and planning metrics: Jira projects and Linear teams mapped into the scope and synced over the quarter; NULL for decision metrics',
  },
  {
    name: 'coverage_people',
    type: 'Nullable(UInt32)',
    section: 'metrics',
    doc: 'meetings metrics: people in the scope during the quarter; NULL otherwise',
  },
  {
    name: 'coverage_share',
    type: 'Nullable(Float64)',
    section: 'metrics',
    doc: 'meetings metrics: `coverage_covered / coverage_people`; below `calendar.minCoverage` the value is NULL (`partial_coverage`); NULL otherwise',
  },
  {
    name: 'decision_id',
    type: 'Nullable(String)',
    section: 'decisions',
    doc: 'the decision id from its source',
  },
  { name: 'title', type: 'Nullable(String)', section: 'decisions', doc: 'the decision title' },
  {
    name: 'status',
    type: 'Nullable(String)',
    section: 'decisions',
    doc: 'latest status: proposed, decided, rejected, withdrawn, reversed, superseded',
  },
  { name: 'raised_by', type: 'Nullable(String)', section: 'decisions', doc: "the raiser's email" },
  {
    name: 'raised_at',
    type: "Nullable(DateTime64(3, 'UTC'))",
    section: 'decisions',
    doc: 'when it was raised (UTC)',
  },
  {
    name: 'decided_by',
    type: 'Nullable(String)',
    section: 'decisions',
    doc: 'who made the call (decided or rejected); NULL while open',
  },
  {
    name: 'decided_at',
    type: "Nullable(DateTime64(3, 'UTC'))",
    section: 'decisions',
    doc: 'when the call was made; a later reversal keeps the original call time',
  },
  {
    name: 'escalated',
    type: 'Nullable(Bool)',
    section: 'decisions',
    doc: "escalated explicitly, or decided above the raiser's home",
  },
  {
    name: 'decider_level',
    type: 'Nullable(UInt8)',
    section: 'decisions',
    doc: 'org level of the decider when deciding: IC 0, manager 1, director 2, above 3+',
  },
  {
    name: 'latency_hours',
    type: 'Nullable(Float64)',
    section: 'decisions',
    doc: 'hours from raised to decided',
  },
  {
    name: 'link_id',
    type: 'Nullable(String)',
    section: 'dependencies',
    doc: 'the blocking link id from its source',
  },
  { name: 'blocker_item', type: 'Nullable(String)', section: 'dependencies', doc: 'the blocking work item' },
  { name: 'blocked_item', type: 'Nullable(String)', section: 'dependencies', doc: 'the blocked work item' },
  {
    name: 'blocker_team',
    type: 'Nullable(String)',
    section: 'dependencies',
    doc: "the blocking item's team (unit id)",
  },
  {
    name: 'blocked_team',
    type: 'Nullable(String)',
    section: 'dependencies',
    doc: "the blocked item's team (unit id)",
  },
  {
    name: 'created_at',
    type: "Nullable(DateTime64(3, 'UTC'))",
    section: 'dependencies',
    doc: 'when the link was created',
  },
  {
    name: 'resolved_at',
    type: "Nullable(DateTime64(3, 'UTC'))",
    section: 'dependencies',
    doc: 'when it was resolved; NULL while open',
  },
  {
    name: 'open_at_end',
    type: 'Nullable(Bool)',
    section: 'dependencies',
    doc: 'still open at the end of the quarter',
  },
  {
    name: 'age_days',
    type: 'Nullable(Float64)',
    section: 'dependencies',
    doc: 'open: age at the end of the quarter; resolved: days from created to resolved',
  },
]

export const EXPORT_COLUMN_NAMES = EXPORT_COLUMNS.map((c) => c.name)

/** staging-only ordering columns, never exported */
export const SORT_COLUMNS = "_rank UInt8, _seq UInt32, _t DateTime64(3, 'UTC'), _id String"
