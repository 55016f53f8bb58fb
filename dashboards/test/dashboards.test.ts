import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { configSchema } from '@orgpulse/contracts'
import { ALERT_RULES, METRICS } from '@orgpulse/metrics'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { grafanaAlertRules, provisionedAlertRuleSchema } from '../src/alert-rules.ts'
import { buildArtifacts, staleArtifacts } from '../src/build.ts'
import { CLICKHOUSE_DS_TYPE, clickHouseQuerySchema } from '../src/datasource.ts'
import { BACKEND_MACROS, expandQuery, interpolateVariables, QueryExpansionError } from '../src/expand.ts'
import { dashboardUid, directorHash, grafanaDashboards, thresholdSteps } from '../src/grafana.ts'
import { dashboardSpecs } from '../src/model.ts'

const config = configSchema.parse({})

/** Grafana's dashboard model (schema v42) as the foundation SDK types it, for the fields Grafana requires */
const gridPos = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
})
const panelSchema = z.object({
  id: z.number().int().positive(),
  type: z.enum(['stat', 'timeseries', 'table']),
  title: z.string().min(1),
  datasource: z.object({ type: z.literal(CLICKHOUSE_DS_TYPE), uid: z.string() }),
  gridPos,
  targets: z.array(clickHouseQuerySchema).length(1),
  fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }),
  options: z.record(z.string(), z.unknown()),
})
const variableSchema = z.object({
  type: z.enum(['query', 'constant']),
  name: z.string(),
  datasource: z.unknown().optional(),
  query: z.string(),
})
const dashboardSchema = z.object({
  uid: z.string().min(1).max(40),
  title: z.string(),
  schemaVersion: z.number().int().min(39),
  editable: z.boolean(),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(variableSchema) }),
  annotations: z.object({}).passthrough(),
  panels: z.array(panelSchema).min(1),
})

describe('generated dashboards', () => {
  it('the committed files are what `orgpulse dashboards build` generates (run it when this fails)', () => {
    expect(staleArtifacts(config)).toEqual([])
  })

  it('generation is deterministic: same bytes twice, keys sorted', () => {
    const a = buildArtifacts(config)
    const b = buildArtifacts(config)
    expect([...a.keys()]).toEqual([...b.keys()])
    for (const [k, v] of a) expect(b.get(k)).toBe(v)
    const overview = JSON.parse(a.get('generated/orgpulse-overview.json')!) as Record<string, unknown>
    expect(Object.keys(overview)).toEqual([...Object.keys(overview)].sort())
  })

  const flavours = [
    { name: 'template', director: undefined },
    { name: 'per director', director: { email: 'Ben.Adams@demo.orgpulse.dev', name: 'Ben Adams' } },
  ]
  for (const f of flavours) {
    it(`${f.name}: every dashboard matches Grafana's model, panels tile the grid, queries are v4 raw SQL`, () => {
      for (const { dashboard: d } of grafanaDashboards(config, f.director)) {
        const typed: dashboard.Dashboard = d
        const parsed = dashboardSchema.parse(JSON.parse(JSON.stringify(typed)))
        // no two panels overlap
        const cells = new Set<string>()
        for (const p of parsed.panels) {
          expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24)
          for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
            for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
              expect(cells.has(`${x},${y}`)).toBe(false)
              cells.add(`${x},${y}`)
            }
          const sql = p.targets[0]!.rawSql
          expect(sql).not.toContain('$__conditionalAll')
          for (const macro of sql.match(/\$__\w+/g) ?? []) expect(BACKEND_MACROS).toContain(macro.slice(3))
          // every variable a query uses is defined on the dashboard
          const names = parsed.templating.list.map((v) => v.name)
          for (const v of sql.match(/\$\{(\w+)/g) ?? []) expect(names).toContain(v.slice(2))
        }
        expect(new Set(parsed.panels.map((p) => p.id)).size).toBe(parsed.panels.length)
      }
    })
  }

  it('per-director dashboards fix the director as a hidden constant and derive uids from the email hash', () => {
    const ds = grafanaDashboards(config, { email: 'Ben.Adams@demo.orgpulse.dev' })
    const hash = directorHash('ben.adams@demo.orgpulse.dev')
    expect(hash).toMatch(/^[0-9a-f]{12}$/)
    for (const { spec, dashboard: d } of ds) {
      expect(d.uid).toBe(`op-${hash}-${spec.key}`)
      const director = d.templating.list!.find((v) => v.name === 'director')!
      expect(director.type).toBe('constant')
      expect(director.query).toBe('u:ben.adams@demo.orgpulse.dev')
    }
    expect(dashboardUid(dashboardSpecs(config)[0]!)).toBe('orgpulse-overview')
  })

  it('the overview has a stat per catalog metric (none for a metric about one person), coloured by the catalog thresholds', () => {
    const overview = grafanaDashboards(config).find((x) => x.spec.key === 'overview')!.dashboard
    const stats = (overview.panels ?? []).filter((p) => p.type === 'stat') as dashboard.Panel[]
    // a metric about one person has no panel: the rollups the panels read never store it (issue 17)
    expect(stats.map((p) => p.title)).toEqual(METRICS.filter((m) => !m.individual).map((m) => m.title))
    expect(METRICS.filter((m) => m.individual).map((m) => m.id)).toEqual([
      'director_escalation_meeting_hours_week',
    ])
    const central = stats.find((p) => p.title === 'Decision centralisation')!
    expect(central.fieldConfig!.defaults.thresholds!.steps).toEqual([
      { value: null, color: 'green' },
      { value: 0.3, color: 'yellow' },
      { value: 0.5, color: 'red' },
    ])
    expect(central.fieldConfig!.defaults.unit).toBe('percentunit')
    // higher is better: red below critical, green from warn
    expect(thresholdSteps(METRICS.find((m) => m.id === 'cycle_completion_rate')!)).toEqual([
      { value: null, color: 'red' },
      { value: 0.5, color: 'yellow' },
      { value: 0.7, color: 'green' },
    ])
  })

  it('the centralisation series draws the alert threshold from config', () => {
    const custom = configSchema.parse({ alerts: { centralizationMax: 0.42 } })
    const decisions = grafanaDashboards(custom).find((x) => x.spec.key === 'decisions')!.dashboard
    const panel = (decisions.panels ?? []).find(
      (p) => p.title === 'Decision centralisation',
    ) as dashboard.Panel
    expect(panel.fieldConfig!.defaults.thresholds!.steps.map((s) => s.value)).toEqual([null, 0.42])
  })
})

describe('alert rules', () => {
  it('query → reduce → threshold, threshold from config, one per shared rule', () => {
    const rules = grafanaAlertRules(configSchema.parse({ alerts: { latencyP90MaxHours: 100 } }), {
      orgId: 7,
      director: 'ben.adams@demo.orgpulse.dev',
    })
    expect(rules.map((r) => r.title)).toEqual(ALERT_RULES.map((r) => r.title))
    for (const r of rules) {
      provisionedAlertRuleSchema.parse(r)
      expect(r.data.map((d) => [d.refId, d.datasourceUid, d.model.type ?? 'query'])).toEqual([
        ['A', 'orgpulse-clickhouse', 'query'],
        ['B', '__expr__', 'reduce'],
        ['C', '__expr__', 'threshold'],
      ])
      const { intervalMs: _i, maxDataPoints: _m, ...model } = r.data[0]!.model
      const a = clickHouseQuerySchema.parse(model)
      expect(a.queryType).toBe('table')
      // alert queries run in the backend: no template variables, no browser-only macros
      expect(() =>
        expandQuery(a.rawSql, { from: new Date(0), to: new Date(1e12), alert: true }),
      ).not.toThrow()
      expect(a.rawSql).toContain("scope = 'u:ben.adams@demo.orgpulse.dev'")
    }
    const latency = rules.find((r) => r.labels.orgpulse_rule === 'decision_latency_p90_high')!
    expect(latency.data[2]!.model).toMatchObject({
      conditions: [{ evaluator: { type: 'gt', params: [100] } }],
    })
  })
})

describe('the ritual_stopped rule', () => {
  it('is provisioned with its threshold from alerts.ritualsStoppedMax, in the committed rules file too', () => {
    const rules = grafanaAlertRules(configSchema.parse({ alerts: { ritualsStoppedMax: 2 } }), { orgId: 1 })
    const stopped = rules.find((r) => r.labels.orgpulse_rule === 'ritual_stopped')!
    expect(stopped.title).toBe('A ritual stopped')
    expect(stopped.data[2]!.model).toMatchObject({ conditions: [{ evaluator: { type: 'gt', params: [2] } }] })
    expect(String(stopped.data[0]!.model.rawSql)).toContain("metric = 'rituals_stopped'")
    const committed = readFileSync(
      join(import.meta.dirname, '..', 'provisioning', 'alerting', 'rules.yaml'),
      'utf8',
    )
    expect(committed).toContain('uid: orgpulse-ritual_stopped')
  })
})

describe('expansion like the ClickHouse plugin', () => {
  const range = {
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-11-23T00:00:00Z'),
    intervalMs: 3600_000,
  }

  it('backend macros expand to the plugin’s SQL', () => {
    // 2026-11-01 and 2026-11-23 UTC in unix seconds
    expect(expandQuery('$__timeFilter(t) AND $__fromTime < $__toTime_ms AND $__interval_s > 0', range)).toBe(
      't >= toDateTime(1793491200) AND t <= toDateTime(1795392000) AND toDateTime(1793491200) < fromUnixTimestamp64Milli(1795392000000) AND 3600 > 0',
    )
    expect(expandQuery('$__timeInterval(t)', range)).toBe(
      'toStartOfInterval(toDateTime(t), INTERVAL 3600 second)',
    )
  })

  it('multi-value variables: `singlequote` escapes, the plugin default does not (why orgpulse always names the format)', () => {
    const team = ["a'b", 'c']
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax under test
    expect(interpolateVariables('x IN (${team:singlequote})', { team })).toBe("x IN ('a\\'b','c')")
    expect(interpolateVariables('x IN ($team)', { team })).toBe("x IN ('a'b','c')")
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax under test
    expect(interpolateVariables('x = ${d}', { d: 'u:a' })).toBe('x = u:a')
  })

  it('rejects browser-only macros, unknown macros, and variables in alert queries', () => {
    expect(() =>
      expandQuery('$__conditionalAll(a IN ($t), $t)', { ...range, variables: { t: 'x' } }),
    ).toThrow(QueryExpansionError)
    expect(() => expandQuery('$__adHocFilters', range)).toThrow(QueryExpansionError)
    expect(() => expandQuery('$__nope', range)).toThrow(/unknown or unsupported macro/)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax under test
    expect(() => expandQuery('x = ${director:singlequote}', { ...range, alert: true })).toThrow(
      /never expands/,
    )
    expect(() => expandQuery('x = $missing', range)).toThrow(/has no value/)
  })
})
