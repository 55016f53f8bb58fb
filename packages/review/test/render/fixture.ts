import { type ReviewReport, reviewReportSchema } from '../../src/model.ts'

/**
 * A hand-written ReviewReport for the renderers' tests (HTML, PDF, review-zip, xlsx): one table per
 * section with every kind of cell the model allows — a figure with a change and a status, a
 * too-few figure (n = 2), no data, a withheld figure, text, dates and emails — one refused
 * comparison, and a running quarter (partial through 2026-08-15). Values are raw (unrounded), as
 * the builder hands them over; the expected renderings in the tests are computed by hand from them.
 */
export const FIXTURE: ReviewReport = reviewReportSchema.parse({
  org: 'dana@example.com',
  orgName: 'Dana <Product & Eng>’s org',
  quarter: '2026-Q3',
  window: { from: '2026-07-01T00:00:00.000Z', to: '2026-08-15T00:00:00.000Z' },
  base: { quarter: '2026-Q2', from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
  partial: { partial: true, through: '2026-08-15T00:00:00.000Z', daysElapsed: 45, days: 92 },
  generatedAt: '2026-08-15T09:30:00.000Z',
  people: 42,
  minGroupSize: 5,
  sections: [
    {
      key: 'structure_changes',
      question: 'What improved because of better structure?',
      title: 'Re-orgs and what changed after them',
      coverage: [
        {
          source: 'org',
          period: { from: '2026-04-01T00:00:00.000Z', to: '2026-08-15T00:00:00.000Z' },
          daysCovered: 136,
          days: 136,
          share: 1,
          enough: true,
        },
        {
          source: 'decisions',
          period: { from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
          daysCovered: 91,
          days: 91,
          share: 1,
          enough: true,
        },
      ],
      refused: null,
      tables: [
        {
          key: 'reorgs',
          title: 'Teams affected by the re-org of 2026-07-20',
          comparison: '4 weeks before vs after 2026-07-20',
          columns: [
            { key: 'team', title: 'Team', unit: 'text' },
            { key: 'effective', title: 'Re-org', unit: 'date' },
            { key: 'latency', title: 'Decision latency', unit: 'hours', metric: 'decision_latency_p50' },
            { key: 'escalation', title: 'Escalation rate', unit: 'ratio', metric: 'escalation_rate' },
          ],
          rows: [
            {
              team: { value: 'Payments' },
              effective: { value: '2026-07-20' },
              latency: { value: 31.46, sample: 14, previous: 41.2, change: -0.23641, status: 'ok' },
              escalation: { value: 0.2857, sample: 14, previous: 0.25, change: 0.1428, status: 'warn' },
            },
            {
              team: { value: 'Checkout' },
              effective: { value: '2026-07-20' },
              latency: { value: null, reason: 'too_few: n = 2 < 5', sample: 2, status: 'too_few' },
              escalation: { value: null, reason: 'too_few: n = 2 < 5', sample: 2, status: 'too_few' },
            },
          ],
        },
      ],
      notes: ['Windows are equal: 4 weeks on each side of the re-org.'],
    },
    {
      key: 'teams',
      question: 'Which managers got stronger, and what evidence shows it?',
      title: 'Teams that got stronger',
      coverage: [
        {
          source: 'jira',
          period: { from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
          daysCovered: 30,
          days: 91,
          share: 0.32967,
          enough: false,
        },
      ],
      refused: 'jira covered 30 of the 91 days of 2026-Q2 (33 %, under 90 %): no comparison with 2026-Q2',
      tables: [
        {
          key: 'team_change',
          title: 'Per team, this quarter',
          comparison: 'Q3 2026 vs Q2 2026',
          columns: [
            { key: 'team', title: 'Team', unit: 'text' },
            { key: 'blockers', title: 'Open blockers', unit: 'count', metric: 'open_blockers' },
            { key: 'completion', title: 'Cycle completion', unit: 'ratio', metric: 'cycle_completion' },
            { key: 'blocked', title: 'Blocked item-days', unit: 'item_days', metric: 'blocked_item_days' },
          ],
          rows: [
            {
              team: { value: 'Payments' },
              blockers: { value: 3, sample: 3, status: 'ok' },
              completion: { value: 0.8123, sample: 40, status: 'ok' },
              blocked: { value: 12.25, sample: 3, status: 'warn' },
            },
            {
              team: { value: 'Platform' },
              blockers: { value: null, reason: 'no_data: no tracker synced', status: 'no_data' },
              completion: { value: null, reason: 'no_data: no tracker synced', status: 'no_data' },
              blocked: { value: null, reason: 'no_data: no tracker synced', status: 'no_data' },
            },
          ],
        },
      ],
      notes: [],
    },
    {
      key: 'centralisation',
      question: 'Where are decisions still too centralized?',
      title: 'Where decisions are still too centralised',
      coverage: [
        {
          source: 'decisions',
          period: { from: '2026-07-01T00:00:00.000Z', to: '2026-08-15T00:00:00.000Z' },
          daysCovered: 45,
          days: 45,
          share: 1,
          enough: true,
        },
      ],
      refused: null,
      tables: [
        {
          key: 'who_decides',
          title: 'Who decides',
          comparison: 'Q3 2026 vs Q2 2026',
          columns: [
            { key: 'decider', title: 'Decider', unit: 'email' },
            { key: 'decisions', title: 'Decisions', unit: 'count' },
            { key: 'share', title: 'Share of decisions', unit: 'ratio', metric: 'decision_centralisation' },
            { key: 'depth', title: 'Decision depth', unit: 'level', metric: 'decision_depth' },
            { key: 'latency', title: 'Latency', unit: 'days' },
          ],
          rows: [
            {
              decider: { value: 'dana@example.com' },
              decisions: { value: 27, sample: 27, previous: 18, change: 0.5, status: 'none' },
              share: { value: 0.6136, sample: 44, previous: 0.45, change: 0.36356, status: 'critical' },
              depth: { value: 1.345, sample: 44, previous: 1.5, change: -0.10333, status: 'warn' },
              latency: { value: 2.04, sample: 27, previous: 2.04, change: 0, status: 'none' },
            },
            {
              decider: { value: null, reason: 'withheld: individual figures need the individual viewer' },
              decisions: { value: null, reason: 'withheld: individual', status: 'withheld' },
              share: { value: null, reason: 'withheld: individual', status: 'withheld' },
              depth: { value: null, reason: 'withheld: individual', status: 'withheld' },
              latency: { value: null, reason: 'withheld: individual', status: 'withheld' },
            },
          ],
        },
      ],
      notes: ['<script>alert("escaped")</script> is a note, not markup.'],
    },
    {
      key: 'shape',
      question: 'Which team is under-scoped, over-scoped, or poorly placed?',
      title: 'Team shape and load',
      coverage: [
        {
          source: 'calendar',
          period: { from: '2026-07-01T00:00:00.000Z', to: '2026-08-15T00:00:00.000Z' },
          daysCovered: 45,
          days: 45,
          share: 1,
          enough: true,
        },
      ],
      refused: null,
      tables: [
        {
          key: 'load',
          title: 'Span and load per team',
          columns: [
            { key: 'team', title: 'Team', unit: 'text' },
            { key: 'people', title: 'People', unit: 'people' },
            { key: 'meetings', title: 'Meeting load', unit: 'hours_per_week', metric: 'meeting_load' },
          ],
          rows: [
            {
              team: { value: 'Payments' },
              people: { value: 7 },
              meetings: { value: 11.333, sample: 7, previous: 9.5, change: 0.19295, status: 'warn' },
            },
            {
              team: { value: 'Platform' },
              people: { value: 9 },
              meetings: { value: 6.04, sample: 9, previous: 6.5, change: -0.07077, status: 'ok' },
            },
          ],
        },
      ],
      notes: [],
    },
    {
      key: 'portfolio',
      question: 'Which portfolio bet is consuming attention without enough strategic return?',
      title: 'Portfolio',
      coverage: [],
      refused: 'no_data: no portfolio configured (portfolio: in orgpulse.yaml)',
      tables: [],
      notes: [],
    },
    {
      key: 'stability',
      question: 'How stable is the org?',
      title: 'Org stability',
      coverage: [
        {
          source: 'org',
          period: { from: '2026-07-01T00:00:00.000Z', to: '2026-08-15T00:00:00.000Z' },
          daysCovered: 45,
          days: 45,
          share: 1,
          enough: true,
        },
      ],
      refused: null,
      tables: [
        {
          key: 'stability',
          title: 'Org stability',
          columns: [
            { key: 'group', title: 'Group', unit: 'text' },
            { key: 'reorgs', title: 'Re-orgs', unit: 'count' },
            { key: 'churn', title: 'Team size churn', unit: 'ratio' },
          ],
          rows: [
            {
              group: { value: 'Whole org' },
              reorgs: { value: 1, previous: 0, change: null },
              churn: { value: 0.0952, sample: 42, previous: 0.05, change: 0.904 },
            },
          ],
        },
      ],
      notes: [],
    },
  ],
})
