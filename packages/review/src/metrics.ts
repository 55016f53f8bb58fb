import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { instantInRange, type OrgpulseConfig, toClickHouseTime, unitIdFor } from '@orgpulse/contracts'
import {
  ADMIN_VIEWER,
  applyIndividual,
  assertWindowWithinLimit,
  computeOrgMetrics,
  type ForestUnit,
  judge,
  judgeTree,
  METRICS,
  type OrgMetricsResult,
  orgResult,
  parseBound,
  publishedUnits,
  type ScopeMetrics,
  treeOf,
  unitForest,
  unitsUnder,
  type Viewer,
} from '@orgpulse/metrics'

export interface MetricsWindow {
  from: string
  to: string
}

/** one window's figures, or the error computeOrgMetrics throws for it (not_found, invalid_input) */
export type WindowMetrics = { ok: true; value: OrgMetricsResult } | { ok: false; error: unknown }

type UnitRow = Awaited<ReturnType<typeof unitsUnder>>[number]

/**
 * computeOrgMetrics(director, w) for each of `windows`, equal to it field for field (test:
 * metrics-batch.test.ts), with the tree judged once per distinct org instead of once per window:
 * the windows whose end sees the same org (the same units, parents and headcounts) go to one
 * judgeTree call, which evaluates every family once for all of them. An export of the whole
 * company asks for the quarter, the one before and each re-org's before/after windows; at 10,000
 * people each judgeTree over the company's tree costs seconds of engine time, and most of these
 * windows end in one of two orgs.
 *
 * A window computeOrgMetrics would refuse (a bad bound, no org led by the director then) is
 * computed by computeOrgMetrics itself, so its error is the one every other output gives.
 */
export async function orgMetricsForWindows(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  request: { director: string; viewer?: Viewer },
  windows: readonly MetricsWindow[],
  /** figures kept from earlier calls on the same data (see OrgMetricsCache) */
  cache?: OrgMetricsCache,
): Promise<WindowMetrics[]> {
  const director = request.director.trim().toLowerCase()
  const viewer = request.viewer ?? ADMIN_VIEWER
  if (cache) {
    await cache.sync(client, config)
    const keys = windows.map((w) => cache.key(director, viewer, w))
    const missing = windows.filter((_, i) => !cache.has(keys[i]!))
    if (missing.length > 0) {
      const computed = await orgMetricsForWindows(client, config, { director, viewer }, missing)
      for (const [i, w] of missing.entries()) cache.set(cache.key(director, viewer, w), computed[i]!)
    }
    return keys.map((k) => cache.get(k)!)
  }
  const root = unitIdFor(director)
  const single = (w: MetricsWindow): Promise<WindowMetrics> =>
    computeOrgMetrics(client, config, { director, from: w.from, to: w.to, viewer }).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
  const out: (WindowMetrics | undefined)[] = windows.map(() => undefined)
  // the org each window's end sees, read once per distinct end
  const orgs = new Map<number, Promise<{ under: UnitRow[]; forest: ForestUnit[] }>>()
  const parsed: { i: number; from: Date; to: Date; org: { under: UnitRow[]; forest: ForestUnit[] } }[] = []
  for (const [i, w] of windows.entries()) {
    const bounds = validBounds(w)
    if (!bounds) {
      out[i] = await single(w)
      continue
    }
    const t = bounds.to.getTime()
    if (!orgs.has(t))
      orgs.set(
        t,
        Promise.all([unitsUnder(client, director, bounds.to), unitForest(client, bounds.to)]).then(
          ([under, forest]) => ({ under, forest }),
        ),
      )
    parsed.push({ i, ...bounds, org: await orgs.get(t)! })
  }
  // windows grouped by the org they are judged in; a group holds each window start once (judgeTree keys by it)
  const groups: { key: string; under: UnitRow[]; forest: ForestUnit[]; items: typeof parsed }[] = []
  for (const p of parsed) {
    if (p.org.under.filter((u) => u.depth <= 1).length === 0) {
      out[p.i] = await single(windows[p.i]!)
      continue
    }
    const key = orgKey(p.org.under, p.org.forest)
    const from = p.from.getTime()
    const group = groups.find((g) => g.key === key && !g.items.some((x) => x.from.getTime() === from))
    if (group) group.items.push(p)
    else groups.push({ key, under: p.org.under, forest: p.org.forest, items: [p] })
  }
  for (const g of groups) {
    const units = g.under.filter((u) => u.depth <= 1)
    const tree = treeOf(g.forest, root)
    const publish = publishedUnits(
      tree,
      units.map((u) => u.unit_id),
    )
    const judged = await judgeTree(
      client,
      config,
      tree,
      g.items.map((p) => ({ from: p.from, to: p.to })),
      METRICS,
      publish,
    )
    for (const p of g.items) {
      const key = toClickHouseTime(p.from)
      const scope = (u: UnitRow): ScopeMetrics => {
        const s = judged.get(u.unit_id)?.get(key) ?? judge({}, u.people, config)
        applyIndividual(s, u.manager_id, viewer)
        return s
      }
      const w = windows[p.i]!
      out[p.i] = { ok: true, value: orgResult(director, w, p, units, root, scope) }
    }
  }
  return out.map((r) => r!)
}

/** the parsed bounds when computeOrgMetrics would accept them, else null (it then says why) */
function validBounds(w: MetricsWindow): { from: Date; to: Date } | null {
  try {
    const from = parseBound(w.from, 'from')
    const to = parseBound(w.to, 'to')
    if (to <= from || !instantInRange(from.getTime()) || !instantInRange(to.getTime())) return null
    assertWindowWithinLimit(from, to, w)
    return { from, to }
  } catch {
    return null
  }
}

/** what judging depends on of the org: the director's units (names, managers, headcounts) and the forest */
const orgKey = (under: UnitRow[], forest: ForestUnit[]): string =>
  JSON.stringify([
    under.map((u) => [u.unit_id, u.name, u.manager_id, Number(u.depth), Number(u.people)]),
    forest.map((u) => [u.unit_id, u.parent_id, u.manager_id, u.kind, u.people]),
  ])

/** the one window's figures, or its error thrown */
export function metricsOrThrow(r: WindowMetrics): OrgMetricsResult {
  if (!r.ok) throw r.error
  return r.value
}

/**
 * Figures of earlier orgMetricsForWindows calls, valid while the data they were computed from is
 * unchanged: each call first reads the data's version (every active part of the database's
 * tables, the exports' staging tables aside: any insert, merge or drop makes a new one) and
 * forgets everything when it moved. One quarterly export of a whole company judges its tree for
 * minutes at 10,000 people; the csv, json, parquet and review exports of the same quarter ask for
 * the same windows. Only for an engine whose parts are all local (the embedded one): a
 * cluster's other shards change without this server's parts changing.
 */
export class OrgMetricsCache {
  private version = ''
  private config: OrgpulseConfig | null = null
  private readonly entries = new Map<string, WindowMetrics>()

  constructor(private readonly maxEntries = 64) {}

  async sync(client: ClickHouseClient, config: OrgpulseConfig): Promise<void> {
    const [row] = await queryRows<{ parts: string; h: string }>(
      client,
      `SELECT toString(count()) AS parts, toString(sum(cityHash64(table, name))) AS h FROM system.parts
       WHERE active AND database = currentDatabase() AND NOT startsWith(table, 'export_')`,
    )
    const version = `${row?.parts}:${row?.h}`
    if (version !== this.version || config !== this.config) this.entries.clear()
    this.version = version
    this.config = config
  }

  key(director: string, viewer: Viewer, w: MetricsWindow): string {
    return JSON.stringify([director, viewer, w.from, w.to])
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  get(key: string): WindowMetrics | undefined {
    return this.entries.get(key)
  }

  set(key: string, value: WindowMetrics): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    // the oldest first: a Map iterates in insertion order
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
  }
}
