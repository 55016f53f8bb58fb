import { rmSync } from 'node:fs'
import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { configSchema, eventId, toClickHouseTime } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METRICS } from '../src/catalog.ts'
import { type ForestUnit, judgeTree, treeOf, unitForest, weekWindows } from '../src/compute.ts'
import { MEETING_SHAPES } from '../src/families/meetings.ts'
import { SUPPRESSIBLE } from '../src/suppression.ts'
import type { ScopeMetrics } from '../src/types.ts'
import { freshClickHouse } from './helpers.ts'

/**
 * The optimised path of `judgeTree` (only the published units evaluated in full, the rest of the
 * tree only for what suppression reads) against the full evaluation of every unit, on random
 * org trees: random depths and fan-outs, 0–4 people besides the leader directly in each unit (so groups under
 * privacy.minGroupSize 5 and residuals are common), calendars covered, partly covered or not
 * synced at random, a re-org in the middle of the window (people move between units), rituals
 * expected everywhere or only in an owner's unit. For every unit as the director (the unit and
 * its children published, as computeOrgMetrics does) and for random published sets, both paths
 * must return the same figures, withheld reasons included.
 */

const SNAP1 = '2026-01-01'
const SNAP2 = '2026-03-09'
const FROM = new Date('2026-03-02T00:00:00Z')
const TO = new Date('2026-03-16T00:00:00Z')

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Unit {
  id: string
  manager: string
  parent: string
  ancestors: string[]
}

let client: ClickHouseClient
let dir: string
let forest: ForestUnit[]
const managers: string[] = []

let config = configSchema.parse({})

beforeAll(async () => {
  ;({ client, dir } = await freshClickHouse())
  const r = rng(20)
  const units: Unit[] = []
  const people: { email: string; manager: string; level: number; home: string }[] = []
  // four trees, each 2–3 levels deep with 1–3 children per unit above the bottom
  for (let t = 0; t < 4; t++) {
    let seq = 0
    const grow = (parent: Unit | null, depth: number): void => {
      const manager = `lead-t${t}-${seq++}@acme.com`
      const u: Unit = {
        id: `u:${manager}`,
        manager,
        parent: parent?.id ?? '',
        ancestors: [...(parent ? [parent.id, ...parent.ancestors] : [])],
      }
      units.push(u)
      managers.push(manager)
      people.push({ email: manager, manager: parent?.manager ?? '', level: depth, home: u.id })
      const members = Math.floor(r() * 5)
      for (let i = 0; i < members; i++)
        people.push({ email: `p-t${t}-${seq++}@acme.com`, manager, level: 0, home: u.id })
      const kids = depth <= 1 ? 0 : 1 + Math.floor(r() * 3)
      for (let k = 0; k < kids; k++) grow(u, depth - 1)
    }
    grow(null, 2 + Math.floor(r() * 2))
  }
  const insert = (table: string, values: Record<string, unknown>[]) =>
    client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
  const byId = new Map(units.map((u) => [u.id, u]))
  // the re-org: a fifth of the people without a unit of their own move to another unit of their tree
  const moved = people.map((p) => {
    if (p.home === `u:${p.email}` || r() >= 0.2) return p
    const tree = p.email.split('-')[1]
    const options = units.filter((u) => u.manager.split('-')[1] === tree)
    const to = options[Math.floor(r() * options.length)]!
    return { ...p, home: to.id, manager: to.manager }
  })
  for (const [effective, list] of [
    [SNAP1, people],
    [SNAP2, moved],
  ] as const) {
    await insert('org_snapshots', [
      {
        effective,
        imported_at: `${effective} 00:00:00.000`,
        people: list.length,
        units: units.length,
        source: 'test',
      },
    ])
    await insert(
      'org_people',
      list.map((p) => ({
        effective,
        person_id: p.email,
        email: p.email,
        name: p.email,
        title: '',
        manager_id: p.manager,
        employee_id: '',
        level: p.level,
        home_unit: p.home,
        timezone: '',
      })),
    )
    await insert(
      'org_units',
      units.map((u) => ({
        effective,
        unit_id: u.id,
        name: u.id,
        kind: u.parent ? 'team' : 'org',
        manager_id: u.manager,
        parent_id: u.parent,
      })),
    )
    await insert(
      'org_closure',
      units.flatMap((u) =>
        [u.id, ...u.ancestors].map((a, depth) => ({ effective, unit_id: u.id, ancestor_id: a, depth })),
      ),
    )
  }
  expect(byId.size).toBe(units.length)
  // an owned ritual is expected only in the units containing its owner's home unit: a mid-level one
  const owner = units.find((u) => u.parent !== '' && units.some((k) => k.parent === u.id))!
  config = configSchema.parse({
    calendar: {
      internalDomains: ['acme.com'],
      rituals: [
        { name: 'weekly sync', cadence: 'weekly' },
        { name: 'staff review', cadence: 'weekly', owner: owner.manager },
      ],
    },
  })
  // calendars: 90 % synced over the whole window, 5 % only over its first week, the rest never
  const coverage = people.flatMap((p) => {
    const x = r()
    if (x >= 0.95) return []
    return [
      {
        id: eventId('calendar', `synced:calendar:${p.email}`, 'full'),
        source: 'calendar',
        source_id: `calendar:${p.email}`,
        scope_kind: 'calendar',
        scope_id: p.email,
        mode: 'full',
        covered_from: '2026-01-01 00:00:00.000',
        covered_to: x < 0.9 ? '2026-06-01 00:00:00.000' : '2026-03-09 00:00:00.000',
        teams: [],
        occurred_at: '2026-06-01 00:00:00.000',
        version: 1,
      },
    ]
  })
  await insert('source_coverage', coverage)
  // a few meetings, rituals among them, so the published units' values are not all empty
  const meetings = managers.flatMap((m, i) =>
    [0, 1].map((week) => {
      const start = new Date(FROM.getTime() + week * 7 * 86400000 + (1 + (i % 4)) * 86400000 + 10 * 3600000)
      return {
        id: eventId('calendar', `m:${m}:${week}`, '1'),
        source: 'calendar',
        source_id: `m:${m}:${week}`,
        meeting_id: `m:${m}:${week}`,
        start: toClickHouseTime(start),
        end: toClickHouseTime(new Date(start.getTime() + 3600000)),
        all_day: 0,
        cancelled: 0,
        class: i % 3 === 0 ? 'ritual' : 'team',
        ritual: i % 3 === 0 ? 'weekly sync' : '',
        organizer: m,
        attendees: people.filter((p) => p.manager === m).map((p) => p.email),
        responses: people.filter((p) => p.manager === m).map(() => 'accepted'),
        external_attendees: 0,
        occurred_at: toClickHouseTime(start),
        version: 1,
      }
    }),
  )
  await insert('meetings', meetings)
  forest = await unitForest(client, TO)
}, 120_000)

afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

const windows = [{ from: FROM, to: TO }, ...weekWindows(FROM, TO)]

const comparable = (m: Map<string, Map<string, ScopeMetrics>>, ids: Iterable<string>) =>
  Object.fromEntries([...ids].map((id) => [id, Object.fromEntries(m.get(id) ?? new Map())]))

const complementary = (figures: Record<string, Record<string, ScopeMetrics>>): number =>
  Object.values(figures)
    .flatMap((per) => Object.values(per))
    .flatMap((s) => Object.values(s.withheld))
    .filter((reason) => reason.startsWith('withheld: complementary suppression')).length

describe('judgeTree: publishing a few units withholds exactly what judging every unit in full withholds', () => {
  it('every suppressible metric has a shape (else the whole tree is evaluated in full)', () => {
    expect(SUPPRESSIBLE.map((m) => m.id).sort()).toEqual(Object.keys(MEETING_SHAPES).sort())
  })

  it('every unit as the director (it and its children published), random trees, both windows and weeks', async () => {
    const roots = forest.filter((u) => u.parent_id === '')
    expect(roots).toHaveLength(4)
    let compared = 0
    let suppressed = 0
    for (const root of roots) {
      const tree = treeOf(forest, root.unit_id)
      const full = await judgeTree(client, config, tree, windows)
      for (const u of tree) {
        const publish = new Set([
          u.unit_id,
          ...tree.filter((k) => k.parent_id === u.unit_id).map((k) => k.unit_id),
        ])
        const fast = await judgeTree(client, config, tree, windows, METRICS, publish)
        const expected = comparable(full, publish)
        expect(comparable(fast, publish)).toEqual(expected)
        // only the published units come back
        expect([...fast.keys()].sort()).toEqual([...publish].filter((id) => full.has(id)).sort())
        compared++
        suppressed += complementary(expected)
      }
    }
    expect(compared).toBe(forest.length)
    // the trees do exercise complementary suppression in the published units
    expect(suppressed).toBeGreaterThanOrEqual(5)
  }, 600_000)

  it('random published sets and a subset of the metrics (as the rollups ask for)', async () => {
    const r = rng(7)
    const subset = METRICS.filter((m) => m.id !== 'ritual_adherence' && m.family !== 'decisions')
    for (const root of forest.filter((u) => u.parent_id === '')) {
      const tree = treeOf(forest, root.unit_id)
      for (const metrics of [METRICS, subset]) {
        const full = comparable(
          await judgeTree(client, config, tree, windows, metrics),
          tree.map((u) => u.unit_id),
        )
        const publish = new Set(tree.filter(() => r() < 0.3).map((u) => u.unit_id))
        const fast = await judgeTree(client, config, tree, windows, metrics, publish)
        expect(comparable(fast, publish)).toEqual(
          Object.fromEntries([...publish].map((id) => [id, full[id]])),
        )
      }
    }
  }, 600_000)

  it('a rest-of-tree shape kept from an earlier request follows a calendar sync and its revert', async () => {
    // the tree with the most units, judged for its top unit: the rest of the tree is shapes
    const root = forest
      .filter((u) => u.parent_id === '')
      .map((u) => treeOf(forest, u.unit_id))
      .sort((a, b) => b.length - a.length)[0]![0]!
    const tree = treeOf(forest, root.unit_id)
    const publish = new Set([
      root.unit_id,
      ...tree.filter((k) => k.parent_id === root.unit_id).map((k) => k.unit_id),
    ])
    // units below the published ones: their figures come from the rest-of-tree shapes
    expect(tree.length).toBeGreaterThan(publish.size)
    const both = async () => {
      const full = comparable(await judgeTree(client, config, tree, windows), publish)
      const fast = comparable(await judgeTree(client, config, tree, windows, METRICS, publish), publish)
      return { full, fast }
    }
    const before = await both()
    expect(before.fast).toEqual(before.full)
    // a newer sync of every calendar in the tree reads only the first week: the whole window is
    // no longer covered anywhere below the published units
    const rows = await queryRows<Record<string, unknown>>(
      client,
      'SELECT * EXCEPT ingested_at FROM source_coverage FINAL WHERE scope_kind = {k:String}',
      { k: 'calendar' },
    )
    const sync = (version: number, coveredTo?: string) =>
      client.insert({
        table: 'source_coverage',
        values: rows.map((r) => ({ ...r, version, ...(coveredTo ? { covered_to: coveredTo } : {}) })),
        format: 'JSONEachRow',
        clickhouse_settings: { async_insert: 0 },
      })
    await sync(2, '2026-03-09 00:00:00.000')
    const after = await both()
    expect(after.fast).toEqual(after.full)
    expect(after.full).not.toEqual(before.full)
    // and the revert (a newer version restoring the ranges) brings the first figures back
    await sync(3)
    const reverted = await both()
    expect(reverted.fast).toEqual(reverted.full)
    expect(reverted.full).toEqual(before.full)
  }, 600_000)
})
