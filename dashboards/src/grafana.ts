import { createHash } from 'node:crypto'
import * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import * as stat from '@grafana/grafana-foundation-sdk/stat'
import * as table from '@grafana/grafana-foundation-sdk/table'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import type { MetricDef } from '@orgpulse/metrics'
import { CLICKHOUSE_DS_REF, ClickHouseQueryBuilder } from './datasource.ts'
import { type DashboardSpec, dashboardSpecs, type PanelSpec } from './model.ts'
import { DIRECTOR_VARIABLE_SQL, TEAM_VARIABLE_SQL } from './sql.ts'

/**
 * Grafana dashboards from the specs, through the foundation SDK's builders.
 *
 * Two flavours from the same generator:
 * - the template (committed in dashboards/generated, file-provisioned in full mode): a `director`
 *   query variable lists the org's directors, so one set of dashboards serves every org in a
 *   single Grafana organisation (no isolation: for admins and small installs);
 * - per director (`orgpulse grafana sync`): `director` is a hidden constant, uids derive from the
 *   director's email hash, and the dashboards live in the director's own Grafana organisation
 *   whose data source user sees only that org's rows.
 */
export interface DirectorRef {
  email: string
  name?: string
}

const GRAFANA_UNITS: Record<MetricDef['unit'], string> = {
  count: 'short',
  hours: 'h',
  days: 'd',
  ratio: 'percentunit',
  level: 'short',
  hours_per_week: 'h',
  item_days: 'short',
}

/** Grafana's fixed palette names */
const GREEN = 'green'
const YELLOW = 'yellow'
const RED = 'red'
const NEUTRAL = 'blue'

/** colour steps from the catalog thresholds, in the metric's bad direction */
export function thresholdSteps(metric: MetricDef): dashboard.Threshold[] {
  const { warn, critical } = metric.thresholds
  if (metric.direction === 'neutral' || (warn === null && critical === null))
    return [{ value: null, color: NEUTRAL }]
  if (metric.direction === 'lower_is_better') {
    return [
      { value: null, color: GREEN },
      ...(warn !== null ? [{ value: warn, color: YELLOW }] : []),
      ...(critical !== null ? [{ value: critical, color: RED }] : []),
    ]
  }
  return [
    { value: null, color: RED },
    ...(critical !== null ? [{ value: critical, color: YELLOW }] : []),
    ...(warn !== null ? [{ value: warn, color: GREEN }] : []),
  ]
}

export const directorHash = (email: string): string =>
  createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 12)

export function dashboardUid(spec: DashboardSpec, director?: DirectorRef): string {
  return director ? `op-${directorHash(director.email)}-${spec.key}` : `orgpulse-${spec.key}`
}

const thresholds = (steps: dashboard.Threshold[]) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps)

function panelBuilder(p: PanelSpec, id: number) {
  const target = new ClickHouseQueryBuilder('A', p.sql, p.queryType)
  const metric = p.metrics[0]
  const unit = metric ? GRAFANA_UNITS[metric.unit] : 'short'
  if (p.kind === 'stat') {
    return new stat.PanelBuilder()
      .id(id)
      .title(p.title)
      .description(p.description)
      .datasource(CLICKHOUSE_DS_REF)
      .withTarget(target)
      .unit(unit)
      .decimals(metric?.unit === 'ratio' ? 0 : 1)
      .thresholds(thresholds(metric ? thresholdSteps(metric) : [{ value: null, color: NEUTRAL }]))
      .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
      .graphMode(common.BigValueGraphMode.Area)
      .colorMode(common.BigValueColorMode.Value)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .noValue('withheld / no data')
  }
  if (p.kind === 'timeseries') {
    const b = new timeseries.PanelBuilder()
      .id(id)
      .title(p.title)
      .description(p.description)
      .datasource(CLICKHOUSE_DS_REF)
      .withTarget(target)
      .unit(unit)
      .lineWidth(2)
      .fillOpacity(10)
      .showPoints(common.VisibilityMode.Always)
      .spanNulls(true)
      .legend(
        new common.VizLegendOptionsBuilder()
          .displayMode(common.LegendDisplayMode.List)
          .placement(common.LegendPlacement.Bottom)
          .showLegend(true),
      )
    if (p.thresholdLine) {
      b.thresholds(
        thresholds([
          { value: null, color: 'transparent' },
          { value: p.thresholdLine.value, color: RED },
        ]),
      ).thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
      )
    }
    if (p.seriesLabel) b.displayName(`\${__field.labels.${p.seriesLabel}}`)
    return b
  }
  return new table.PanelBuilder()
    .id(id)
    .title(p.title)
    .description(p.description)
    .datasource(CLICKHOUSE_DS_REF)
    .withTarget(target)
    .cellHeight(common.TableCellHeight.Sm)
}

/** left-to-right, top-to-bottom packing on Grafana's 24-column grid */
function layout(panels: PanelSpec[]): dashboard.GridPos[] {
  const out: dashboard.GridPos[] = []
  let x = 0
  let y = 0
  let rowHeight = 0
  for (const p of panels) {
    if (x + p.width > 24) {
      x = 0
      y += rowHeight
      rowHeight = 0
    }
    out.push({ x, y, w: p.width, h: p.height })
    x += p.width
    rowHeight = Math.max(rowHeight, p.height)
  }
  return out
}

function variables(director?: DirectorRef) {
  const directorVar = director
    ? new dashboard.ConstantVariableBuilder('director')
        .value(`u:${director.email.toLowerCase()}`)
        .description('the director whose org this Grafana organisation shows')
    : new dashboard.QueryVariableBuilder('director')
        .label('Director')
        .description(
          'whose org to show (each director gets an isolated Grafana organisation through `orgpulse grafana sync`)',
        )
        .datasource(CLICKHOUSE_DS_REF)
        .query(DIRECTOR_VARIABLE_SQL)
        .definition(DIRECTOR_VARIABLE_SQL)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
  const teamVar = new dashboard.QueryVariableBuilder('team')
    .label('Team')
    .description("units inside the director's org (org chart valid at the end of the range)")
    .datasource(CLICKHOUSE_DS_REF)
    .query(TEAM_VARIABLE_SQL)
    .definition(TEAM_VARIABLE_SQL)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
  return [directorVar, teamVar]
}

export function grafanaDashboard(spec: DashboardSpec, director?: DirectorRef): dashboard.Dashboard {
  const title = director ? `${spec.title} · ${director.name ?? director.email}` : `orgpulse · ${spec.title}`
  const b = new dashboard.DashboardBuilder(title)
    .uid(dashboardUid(spec, director))
    .description(spec.description)
    .tags(['orgpulse', spec.key])
    .timezone('utc')
    .time({ from: 'now-26w', to: 'now' })
    .refresh('')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    .variables(variables(director))
    .link(
      new dashboard.DashboardLinkBuilder('orgpulse')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['orgpulse'])
        .asDropdown(false)
        .includeVars(true)
        .keepTime(true),
    )
  const grid = layout(spec.panels)
  spec.panels.forEach((p, i) => {
    b.withPanel(panelBuilder(p, i + 1).gridPos(grid[i]!))
  })
  return b.build()
}

export function grafanaDashboards(
  config: OrgpulseConfig,
  director?: DirectorRef,
): { spec: DashboardSpec; dashboard: dashboard.Dashboard }[] {
  return dashboardSpecs(config).map((spec) => ({ spec, dashboard: grafanaDashboard(spec, director) }))
}
