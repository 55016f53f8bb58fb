import type { OrgpulseConfig } from '@orgpulse/contracts'
import { METRICS, type MetricDef, metricById } from '@orgpulse/metrics'
import type { ChQueryType } from './datasource.ts'
import { orgSeriesSql, teamSeriesSql, teamTableSql, whoDecidesSql, worstPairsSql } from './sql.ts'

/**
 * The dashboards as data, independent of Grafana: the Grafana generator and the built-in pages
 * both render these specs, so a panel is defined once.
 */
export type PanelKind = 'stat' | 'timeseries' | 'table'

export interface PanelSpec {
  /** stable within its dashboard: Grafana panel ids and refIds derive from the position */
  key: string
  kind: PanelKind
  title: string
  description: string
  sql: string
  queryType: ChQueryType
  /** columns the query returns, in order (tests assert them against ClickHouse) */
  columns: string[]
  /** catalog metrics shown (units, thresholds) */
  metrics: MetricDef[]
  /** a horizontal line, e.g. the alert threshold the series is judged against */
  thresholdLine?: { value: number; label: string }
  /** time series split by a label column (team panels) */
  seriesLabel?: string
  width: number
  height: number
}

export interface DashboardSpec {
  key: 'overview' | 'decisions' | 'dependencies' | 'load' | 'planning'
  title: string
  description: string
  panels: PanelSpec[]
}

const m = (id: string): MetricDef => metricById(id)

function stat(metric: MetricDef): PanelSpec {
  return {
    key: `stat_${metric.id}`,
    kind: 'stat',
    title: metric.title,
    description: metric.description,
    sql: orgSeriesSql([metric]),
    queryType: 'timeSeries',
    columns: ['time', metric.title],
    metrics: [metric],
    width: 6,
    height: 4,
  }
}

function series(
  key: string,
  title: string,
  description: string,
  metrics: MetricDef[],
  extra: Partial<PanelSpec> = {},
): PanelSpec {
  return {
    key,
    kind: 'timeseries',
    title,
    description,
    sql: orgSeriesSql(metrics),
    queryType: 'timeSeries',
    columns: ['time', ...metrics.map((x) => x.title)],
    metrics,
    width: 12,
    height: 8,
    ...extra,
  }
}

function byTeam(metric: MetricDef): PanelSpec {
  return {
    key: `team_${metric.id}`,
    kind: 'timeseries',
    title: `${metric.title} by team`,
    description: `${metric.description} Per team selected in the team variable.`,
    sql: teamSeriesSql(metric),
    queryType: 'timeSeries',
    columns: ['time', 'team', 'value'],
    metrics: [metric],
    seriesLabel: 'team',
    width: 12,
    height: 8,
  }
}

function teamTable(key: string, title: string, metrics: MetricDef[]): PanelSpec {
  return {
    key,
    kind: 'table',
    title,
    description: 'Latest week in the range, per team selected in the team variable.',
    sql: teamTableSql(metrics),
    queryType: 'table',
    columns: ['team', ...metrics.map((x) => x.title)],
    metrics,
    width: 24,
    height: 8,
  }
}

/** Every dashboard of a director's org. `config` supplies the alert thresholds drawn on the series. */
export function dashboardSpecs(config: OrgpulseConfig): DashboardSpec[] {
  return [
    {
      key: 'overview',
      title: 'Org health',
      description:
        'Every catalog metric for the director’s org: the latest week and its trend, coloured by the catalog thresholds.',
      panels: [
        // a metric about one person is not in the rollups these panels read (DESIGN, Privacy): the
        // api shows it to that director's own token and to admins
        ...METRICS.filter((m) => !m.individual).map(stat),
        teamTable('teams', 'Teams this week', [
          m('decisions_decided'),
          m('decision_latency_p90_hours'),
          m('escalation_rate'),
          m('blockers_open'),
          m('cycle_completion_rate'),
        ]),
      ],
    },
    {
      key: 'decisions',
      title: 'Decisions',
      description:
        'Do we make important calls without endless escalation, and where are they still too centralised?',
      panels: [
        series(
          'velocity',
          'Decision velocity',
          'Hours from raised to decided, p50 and p90, week by week.',
          [m('decision_latency_p50_hours'), m('decision_latency_p90_hours')],
          {
            thresholdLine: { value: config.alerts.latencyP90MaxHours, label: 'p90 alert threshold' },
          },
        ),
        series('decided', 'Decisions decided per week', m('decisions_decided').description, [
          m('decisions_decided'),
        ]),
        series(
          'backlog',
          'Open decisions and their age',
          'Open decisions at the end of each week and the median age (days) of the open ones.',
          [m('decisions_open'), m('decision_open_age_p50_days')],
        ),
        series('escalation', 'Escalation rate', m('escalation_rate').description, [m('escalation_rate')]),
        series(
          'centralisation',
          'Decision centralisation',
          m('centralization').description,
          [m('centralization')],
          {
            thresholdLine: {
              value: config.alerts.centralizationMax,
              label: 'centralisation alert threshold',
            },
          },
        ),
        series('depth', 'Decision depth', m('decision_depth').description, [m('decision_depth')]),
        {
          key: 'who_decides',
          kind: 'table',
          title: 'Who decides',
          description:
            'Deciders of the decisions raised in the org and decided in the range: how many, their share, how many were escalated.',
          sql: whoDecidesSql(),
          queryType: 'table',
          columns: ['decider', 'name', 'level', 'decisions', 'share', 'escalated'],
          metrics: [],
          width: 12,
          height: 8,
        },
        byTeam(m('decision_latency_p90_hours')),
        byTeam(m('escalation_rate')),
      ],
    },
    {
      key: 'dependencies',
      title: 'Dependencies',
      description: 'Are cross-team dependencies managed early instead of reactively?',
      panels: [
        series('blockers_open', 'Open cross-team blockers', m('blockers_open').description, [
          m('blockers_open'),
        ]),
        series(
          'blocker_age',
          'Blocker age',
          'Age in days of the open cross-team blockers at the end of each week, p50 and p90.',
          [m('blocker_age_p50_days'), m('blocker_age_p90_days')],
          {
            thresholdLine: { value: config.alerts.blockerMaxAgeDays, label: 'blocker age alert threshold' },
          },
        ),
        series(
          'resolved_14d',
          'Blockers resolved within 14 days',
          m('blockers_resolved_14d_rate').description,
          [m('blockers_resolved_14d_rate')],
        ),
        series('blocked_days', 'Blocked item-days', m('blocked_item_days').description, [
          m('blocked_item_days'),
        ]),
        {
          key: 'worst_pairs',
          kind: 'table',
          title: 'Worst team pairs',
          description:
            'Team pairs with the most cross-team blockers open at the end of the range, with their age in days.',
          sql: worstPairsSql(),
          queryType: 'table',
          columns: ['blocking_team', 'blocked_team', 'open_blockers', 'age_p50_days', 'oldest_days'],
          metrics: [],
          width: 12,
          height: 8,
        },
        byTeam(m('blockers_open')),
      ],
    },
    {
      key: 'load',
      title: 'Load and rituals',
      description:
        'Is the load sustainable? Are the rituals happening? (People-based: withheld for groups under the privacy minimum.)',
      panels: [
        series(
          'meetings',
          'Meeting and focus hours per person per week',
          'Mean weekly hours per person in meetings and in focus blocks of at least 2 h.',
          [m('meeting_hours_per_person_week'), m('focus_hours_per_person_week')],
        ),
        series('rituals', 'Ritual adherence', m('ritual_adherence').description, [m('ritual_adherence')]),
        byTeam(m('meeting_hours_per_person_week')),
      ],
    },
    {
      key: 'planning',
      title: 'Planning',
      description: 'Were plans realistic?',
      panels: [
        series('completion', 'Cycle completion rate', m('cycle_completion_rate').description, [
          m('cycle_completion_rate'),
        ]),
        series('scope_added', 'Scope added mid-cycle', m('scope_added_rate').description, [
          m('scope_added_rate'),
        ]),
        byTeam(m('cycle_completion_rate')),
      ],
    },
  ]
}
