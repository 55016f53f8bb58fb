import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, EngineMemoryError, queryRows } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { loadDemo } from '@orgpulse/demo'
import { METRICS, refreshRollups } from '@orgpulse/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baselineRefreshRollups } from '../../bench/baseline/rollups.ts'
import { openRuntime, type Runtime } from '../../services/cli/src/runtime.ts'

// the bench measures the new refresh against the old one: both must write the same rows
const END = new Date('2026-11-23T00:00:00Z')
const WEEKS = 12
const FROM = new Date(END.getTime() - WEEKS * 7 * 86400000)
let rt: Runtime

beforeAll(async () => {
  rt = await openRuntime({ env: parseEnv({}), dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-rollups-')) })
  await loadDemo(rt, { people: 80, weeks: WEEKS, seed: 3, end: END, edges: 'direct' })
}, 600_000)
afterAll(async () => {
  await rt?.close()
})

/** every stored rollup row but its computed_at, in one order */
const stored = async () => {
  const rows = await queryRows<Record<string, unknown>>(
    rt.client,
    'SELECT * EXCEPT computed_at FROM metric_rollups FINAL ORDER BY scope, grain, metric, period_start',
  )
  await rt.client.command({ query: 'TRUNCATE TABLE metric_rollups' })
  return rows
}

describe('rollup refresh against the refresh from before issue 20 (bench/baseline)', () => {
  it('writes the same metric_rollups rows, whatever the chunking', async () => {
    const options = { from: FROM, to: END, now: END }
    const old = await baselineRefreshRollups(rt.client, rt.config, options)
    const before = await stored()
    // weekly rows for every populated scope, and the trailing windows of director scopes
    expect(old.weeks).toBe(WEEKS)
    expect(before.filter((r) => r.grain === 'week')).toHaveLength(old.scopes * WEEKS * METRICS.length)
    expect(before.some((r) => r.grain !== 'week')).toBe(true)
    expect(before.some((r) => r.value !== null && Number(r.value) > 0)).toBe(true)
    // the default (every week in one query) and a few weeks per query
    for (const chunk of [undefined, 40]) {
      const now = await refreshRollups(rt.client, rt.config, { ...options, chunk })
      expect(now).toEqual(old)
      expect(await stored()).toEqual(before)
    }
    // an engine that refuses every query over more than 3 weeks for its memory budget: the
    // refresh splits the weeks until each query fits, and writes the same rows
    let refused = 0
    const small = new Proxy(rt.client, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver)
        return (params: { query_params?: { w_froms?: unknown[] } }) => {
          if ((params.query_params?.w_froms?.length ?? 0) > 3) {
            refused++
            throw new EngineMemoryError('unavailable', 'the query needs more than the engine memory budget')
          }
          return target.query(params as Parameters<ClickHouseClient['query']>[0])
        }
      },
    })
    expect(await refreshRollups(small, rt.config, options)).toEqual(old)
    expect(refused).toBeGreaterThan(0)
    expect(await stored()).toEqual(before)
  }, 600_000)

  it('writes the same rows for a partial refresh (the refresher recomputing recent weeks)', async () => {
    const options = { from: new Date('2026-10-21T12:00:00Z'), to: END, now: new Date('2026-11-20T00:00:00Z') }
    await baselineRefreshRollups(rt.client, rt.config, options)
    const before = await stored()
    expect(before.length).toBeGreaterThan(0)
    await refreshRollups(rt.client, rt.config, options)
    expect(await stored()).toEqual(before)
  }, 600_000)
})
