import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { queryRows } from '@orgpulse/clickhouse'
import { configSchema, parseEnv, rawTopic, TOPICS } from '@orgpulse/contracts'
import { type DemoLoadResult, loadDemo } from '@orgpulse/demo'
import { MemoryBus } from '@orgpulse/kafka'
import { computeOrgMetrics, METRIC_IDS, type OrgMetricsResult } from '@orgpulse/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { openRuntime, type Runtime } from '../src/runtime.ts'

/**
 * The demo through the real edges: fake Jira, Linear and Google Calendar servers seeded from the
 * generated company, the connectors syncing them onto the bus, the transformer and sink into
 * chDB. The same demo loaded with `edges: 'direct'` (the generator's canonical events straight
 * into the sink) runs in a child process (chDB allows one data directory per process), and the
 * two must give the same metrics.
 */

const CLI = join(import.meta.dirname, '..')
const DEMO = { people: 60, weeks: 8, seed: 1, end: new Date('2026-11-23T00:00:00Z') }
const FROM = '2026-09-28'
const TO = '2026-11-23'

let dir: string
let rt: Runtime
let demo: DemoLoadResult
let viaConnectors: OrgMetricsResult
let viaDirect: OrgMetricsResult

const rows = <T>(sql: string) => queryRows<T>(rt.client, sql)
const metricsOf = (r: Runtime, director: string) =>
  computeOrgMetrics(r.client, r.config, { director, from: FROM, to: TO, grain: 'week' })

/** the same demo with edges 'direct', in its own process and data dir; answers the org metrics as JSON */
function directInChildProcess(director: string): Promise<OrgMetricsResult> {
  const url = (p: string) => JSON.stringify(pathToFileURL(join(CLI, p)).href)
  const script = `
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { openRuntime } = await import(${url('src/runtime.ts')})
    const { loadDemo } = await import(${url('../../packages/demo/src/index.ts')})
    const { computeOrgMetrics } = await import('@orgpulse/metrics')
    const { parseEnv } = await import('@orgpulse/contracts')
    const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-demo-direct-'))
    const rt = await openRuntime({ env: parseEnv(process.env), dataDir, logLevel: 'error' })
    try {
      await loadDemo(rt, { ...${JSON.stringify(DEMO)}, end: new Date(${JSON.stringify(DEMO.end.toISOString())}), edges: 'direct' })
      const m = await computeOrgMetrics(rt.client, rt.config, { director: ${JSON.stringify(director)}, from: '${FROM}', to: '${TO}', grain: 'week' })
      process.stdout.write(JSON.stringify(m))
    } finally {
      await rt.close()
      rmSync(dataDir, { recursive: true, force: true })
    }`
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@orgpulse/source', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: CLI,
        env: { ...process.env, ORGPULSE_CONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8')
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as OrgMetricsResult)
      else reject(new Error(`direct demo exited with ${code}:\n${err.slice(-4000)}`))
    })
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-demo-'))
  rt = await openRuntime({ env: parseEnv(process.env), dataDir: dir, logLevel: 'error' })
  // the planted director is known before loading: the generator is deterministic
  const director = (await import('@orgpulse/demo')).generateDemo(DEMO).stories.centralisingDirector
  const direct = directInChildProcess(director)
  demo = await loadDemo(rt, { ...DEMO, edges: 'connectors' })
  viaConnectors = JSON.parse(JSON.stringify(await metricsOf(rt, director))) as OrgMetricsResult
  viaDirect = await direct
})

afterAll(async () => {
  await rt?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('demo through the connectors (60 people × 8 weeks)', () => {
  it('went through every connector: raw records on each vendor topic, cursors stored, the fakes synced', async () => {
    expect(demo.edges).toBe('connectors')
    const bus = rt.bus as MemoryBus
    expect(bus).toBeInstanceOf(MemoryBus)
    // the vendor records, and behind them one coverage record per project / calendar synced
    const entities = (source: 'jira' | 'calendar' | 'linear') =>
      bus.messages(rawTopic(source)).map((m) => (JSON.parse(m.value.toString()) as { entity: string }).entity)
    const synced = (source: 'jira' | 'calendar' | 'linear') =>
      entities(source).filter((e) => e === 'synced').length
    expect(entities('jira').length - synced('jira')).toBe(demo.connectors!.jira!.issues)
    expect(synced('jira')).toBe(demo.config.jira!.projects.length)
    expect(demo.connectors!.jira!.issues).toBe(44)
    expect(demo.connectors!.linear!.cycles).toBe(36)
    expect(synced('linear')).toBe(Object.keys(demo.config.linear!.teams).length)
    expect(demo.connectors!.calendar).toMatchObject({ calendars: 60, failed: [] })
    expect(entities('calendar').length - synced('calendar')).toBe(demo.connectors!.calendar.events)
    expect(synced('calendar')).toBe(60)
    const connectors = await rows<{ connector: string }>(
      'SELECT DISTINCT connector FROM ingest_cursors ORDER BY connector',
    )
    expect(connectors.map((c) => c.connector)).toEqual(['calendar-google', 'jira', 'linear'])
  })

  it('stores Jira-sourced dependency events, one pair of Jira issues per link', async () => {
    // one change of a link counts once however many of its two issues record it (Jira records a
    // link on both; the demo's fake Jira does too)
    const deps = await rows<{ type: string; n: number; items: number; jira_keys: number }>(
      `SELECT type, toInt32(uniqExact(link_id, occurred_at)) AS n, toInt32(uniqExact(blocked_item)) AS items,
         toInt32(uniqExactIf((link_id, occurred_at), match(blocker_item, '^jira:[A-Z][A-Z0-9_]*-[0-9]+$'))) AS jira_keys
       FROM dependency_events FINAL WHERE source = 'jira' GROUP BY type ORDER BY type`,
    )
    const expected = (type: string) => demo.company.events.filter((e) => e.type === type).length
    expect(deps).toEqual([
      {
        type: 'dependency.linked',
        n: expected('dependency.linked'),
        items: expected('dependency.linked'),
        jira_keys: expected('dependency.linked'),
      },
      {
        type: 'dependency.resolved',
        n: expected('dependency.resolved'),
        items: expected('dependency.resolved'),
        jira_keys: expected('dependency.resolved'),
      },
    ])
    expect(deps.map((d) => d.n)).toEqual([22, 13])
    expect(
      await rows("SELECT DISTINCT reason FROM dependency_events FINAL WHERE type = 'dependency.resolved'"),
    ).toEqual([{ reason: 'blocker_done' }])
    expect(
      await rows(
        "SELECT toInt32(count()) AS n FROM dependency_events FINAL WHERE source != 'jira' OR blocker_team = '' OR blocked_team = ''",
      ),
    ).toEqual([{ n: 0 }])
  })

  it('stores Linear-sourced cycle snapshots with the generated scope', async () => {
    const cycles = await rows<{
      source: string
      n: number
      committed: number
      completed: number
      added: number
    }>(
      `SELECT source, toInt32(count()) AS n, sum(committed) AS committed, sum(completed) AS completed, sum(added) AS added
       FROM cycles FINAL GROUP BY source`,
    )
    const snaps = demo.company.events.flatMap((e) => (e.type === 'cycle.snapshot' ? [e] : []))
    const sum = (f: (s: (typeof snaps)[number]) => number) => snaps.reduce((n, s) => n + f(s), 0)
    expect(cycles).toEqual([
      {
        source: 'linear',
        n: snaps.length,
        committed: sum((s) => s.committedScope),
        completed: sum((s) => s.completedScope),
        added: sum((s) => s.addedScope),
      },
    ])
    expect(
      await rows(
        "SELECT toInt32(count()) AS n FROM cycles FINAL WHERE NOT startsWith(cycle_id, 'linear:cycle-') OR team = ''",
      ),
    ).toEqual([{ n: 0 }])
  })

  it('stores calendar-sourced meetings, one per occurrence, classified as the generator meant', async () => {
    const byClass = await rows<{ class: string; n: number }>(
      "SELECT class, toInt32(count()) AS n FROM meetings FINAL WHERE source = 'calendar' GROUP BY class ORDER BY class",
    )
    const expected = new Map<string, number>()
    for (const e of demo.company.events)
      if (e.type === 'meeting.held') expected.set(e.class, (expected.get(e.class) ?? 0) + 1)
    expect(byClass).toEqual(
      [...expected].sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => ({ class: c, n })),
    )
    expect(byClass).toEqual([
      { class: 'escalation', n: 40 },
      { class: 'one_on_one', n: 384 },
      { class: 'ritual', n: 4 },
      { class: 'team', n: 72 },
    ])
    expect(await rows("SELECT DISTINCT ritual FROM meetings FINAL WHERE class = 'ritual'")).toEqual([
      { ritual: 'weekly product-engineering director sync' },
    ])
  })

  it('no meeting title reaches a topic or any ClickHouse table', async () => {
    const titles = demo.connectors!.titles
    expect(titles).toContain('Weekly product-engineering director sync')
    expect(titles.length).toBeGreaterThan(20)
    const bus = rt.bus as MemoryBus
    const topics = [rawTopic('calendar'), TOPICS.events, TOPICS.dlq].map((t) =>
      bus
        .messages(t)
        .map((m) => m.value.toString('utf8'))
        .join('\n'),
    )
    const tables = await rows<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View%'",
    )
    expect(tables.map((t) => t.name)).toContain('meetings')
    const texts = [...topics]
    for (const { name } of tables) {
      const rs = await rt.client.query({ query: `SELECT * FROM \`${name}\``, format: 'JSONEachRow' })
      texts.push(await rs.text())
    }
    // case-sensitive on purpose: the ritual's name (lower case) is stored, its calendar title is not
    const leaks = titles.filter((title) => texts.some((t) => t.includes(title)))
    expect(leaks).toEqual([])
  })

  it('the org metrics of the centralising director agree with the direct load, metric by metric and week by week', () => {
    expect(viaConnectors.org).toBe(demo.company.stories.centralisingDirector)
    expect(Object.keys(viaConnectors.metrics).sort()).toEqual([...METRIC_IDS].sort())
    for (const id of METRIC_IDS)
      expect({ id, value: viaConnectors.metrics[id] }).toEqual({ id, value: viaDirect.metrics[id] })
    expect(viaConnectors.teams).toEqual(viaDirect.teams)
    expect(viaConnectors.series).toEqual(viaDirect.series)
    expect(viaConnectors).toEqual(viaDirect)
    // the figures are real data, not two agreeing nulls: a null is only ever a value resting on
    // real items, too few of them for the catalog's minimum (the same n both ways)
    const nulls = METRIC_IDS.filter((id) => viaConnectors.metrics[id] === null)
    for (const id of nulls) {
      expect(viaConnectors.withheld[id], id).toMatch(/^too_few: n = [1-9]\d* /)
      expect(viaConnectors.samples[id], id).toBeGreaterThan(0)
    }
    expect(nulls.length).toBeLessThanOrEqual(1)
    // every calendar of the org synced over the window, and the org's trackers too
    const cal = viaConnectors.coverage.calendar
    expect([cal.covered, cal.share]).toEqual([cal.people, 1])
    expect(viaConnectors.coverage.trackers.synced).toBeGreaterThan(0)
  })

  it("its open decisions name who they wait on: in the centralising director's org, the director", async () => {
    const open = demo.company.decisions.filter((d) => d.status === 'proposed')
    expect(open.length).toBeGreaterThan(0)
    const stored = await rows<{ id: string; expected: string }>(
      `SELECT source_id AS id, any(expected_decider) AS expected FROM decision_events FINAL
       WHERE type = 'decision.raised' AND expected_decider != '' GROUP BY source_id ORDER BY source_id`,
    )
    expect(stored).toEqual(
      open.map((d) => ({ id: d.id, expected: d.expectedDecider })).sort((a, b) => (a.id < b.id ? -1 : 1)),
    )
    expect(stored.map((r) => r.expected)).toContain(demo.company.stories.centralisingDirector)
  })

  it('the stopped ritual is expected and shows: held in 4 of the 8 weeks', () => {
    expect(demo.config.calendar?.rituals).toEqual([
      {
        name: 'weekly product-engineering director sync',
        cadence: 'weekly',
        titleKeywords: ['weekly product-engineering director sync'],
      },
    ])
    expect(rt.config).toBe(demo.config)
    expect(viaConnectors.metrics.ritual_adherence).toBe(0.5)
    expect(viaConnectors.series!.map((w) => w.metrics.ritual_adherence)).toEqual([1, 1, 1, 1, 0, 0, 0, 0])
  })

  it('writes the demo config as an orgpulse.yaml that other processes can load', () => {
    const text = readFileSync(demo.configFile, 'utf8')
    expect(demo.configFile).toBe(join(rt.dataDir, 'demo', 'orgpulse.demo.yaml'))
    const parsed = configSchema.parse(parseYaml(text))
    expect(parsed.calendar).toEqual(demo.config.calendar)
    expect(parsed.jira?.teams).toEqual(demo.config.jira?.teams)
    expect(parsed.linear?.teams).toEqual(demo.config.linear?.teams)
    expect(text).not.toMatch(/127\.0\.0\.1|token|apiKey/i)
  })

  it('a second load into the same data dir syncs every calendar in full again, changing no fact', async () => {
    const count = () =>
      rows(`SELECT (SELECT toInt32(count()) FROM meetings FINAL) AS meetings,
        (SELECT toInt32(count()) FROM dependency_events FINAL) AS dependencies,
        (SELECT toInt32(count()) FROM cycles FINAL) AS cycles`)
    const before = await count()
    const again = await loadDemo(rt, { ...DEMO, edges: 'connectors' })
    // without starting over, the old sync tokens would have made this 0
    expect(again.connectors!.calendar.events).toBe(demo.connectors!.calendar.events)
    expect(again.connectors!.jira!.issues).toBe(44)
    expect(await count()).toEqual(before)
  })
})
