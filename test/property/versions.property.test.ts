import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { importDecisions } from '@orgpulse/connector-decisions'
import { configSchema } from '@orgpulse/contracts'
import { computeOrgMetrics, liveDecisionEvents } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { type EmbeddedPipeline, inCommand } from '../setup/embedded-pipeline.ts'

/**
 * Whole-version semantics across commands: for any versions of a few decision records, sent in
 * any order, with repeats and stale copies, through several commands opened one after another on
 * one data directory (each with a fresh in-process bus, offsets from 0 again), the stored state
 * and every metric equal those of a data directory that received only each record's winning
 * version (DESIGN: the newest updatedAt, else the latest arrival, wins as a whole).
 */
const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const config = configSchema.parse({})
const work = mkdtempSync(join(tmpdir(), 'orgpulse-prop-versions-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const ORG = `email,name,manager_email,title
dir@x.io,Dana,,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
a1@x.io,Ann,m1@x.io,Engineer
a2@x.io,Abe,m1@x.io,Engineer
b1@x.io,Bea,m2@x.io,Engineer
`
const PEOPLE = ['dir@x.io', 'm1@x.io', 'm2@x.io', 'a1@x.io', 'a2@x.io', 'b1@x.io']
const day = (d: number, h = 9) => new Date(Date.UTC(2026, 6, 1 + d, h)).toISOString()

const version = fc
  .record({
    status: fc.constantFrom('proposed', 'decided', 'rejected', 'withdrawn', 'reversed', 'superseded'),
    raisedBy: fc.constantFrom(...PEOPLE),
    raisedDay: fc.integer({ min: 0, max: 20 }),
    decidedBy: fc.constantFrom(...PEOPLE),
    callAfter: fc.integer({ min: 0, max: 40 }),
    escalatedTo: fc.option(fc.constantFrom('dir@x.io', 'm1@x.io', 'm2@x.io'), { nil: undefined }),
    withdrawnDated: fc.boolean(),
  })
  .map((v) => {
    const called = ['decided', 'rejected', 'reversed', 'superseded'].includes(v.status)
    const decidedAt = day(v.raisedDay + v.callAfter, 15)
    return {
      title: 't',
      raisedBy: v.raisedBy,
      raisedAt: day(v.raisedDay),
      status: v.status,
      ...(called ? { decidedBy: v.decidedBy, decidedAt } : {}),
      ...(v.status === 'withdrawn' && v.withdrawnDated ? { decidedAt } : {}),
      ...(v.escalatedTo ? { escalatedTo: [v.escalatedTo], escalatedAt: day(v.raisedDay, 12) } : {}),
    }
  })

/** a record's versions: with updatedAt (distinct, increasing by index) or without (arrival decides) */
const record = fc.record({
  dated: fc.boolean(),
  versions: fc.array(version, { minLength: 1, maxLength: 4 }),
})

const scenario = fc
  .dictionary(fc.constantFrom('A', 'B', 'C', 'D'), record, { minKeys: 1, maxKeys: 4 })
  .chain((records) => {
    const slots = Object.entries(records).flatMap(([id, r]) => r.versions.map((_, i) => ({ id, i })))
    return fc.record({
      records: fc.constant(records),
      // every version at least once, in any order, plus repeats (stale copies arriving late)
      arrivals: fc
        .tuple(
          fc.shuffledSubarray(slots, { minLength: slots.length }),
          fc.array(fc.constantFrom(...slots), { maxLength: 4 }),
        )
        .chain(([all, extra]) =>
          fc.shuffledSubarray([...all, ...extra], { minLength: all.length + extra.length }),
        ),
      commands: fc.integer({ min: 1, max: 3 }),
    })
  })

type Records = Record<string, { dated: boolean; versions: Record<string, unknown>[] }>
const materialise = (records: Records, id: string, i: number) => ({
  id,
  ...records[id]!.versions[i]!,
  ...(records[id]!.dated ? { updatedAt: day(45 + i) } : {}),
})

let dirs = 0
const withDataDir = <T>(dataDir: string, run: (p: EmbeddedPipeline) => Promise<T>) =>
  inCommand(config, dataDir, run)
async function freshDir(): Promise<string> {
  const dataDir = join(work, `d${++dirs}`)
  const org = join(work, 'org.csv')
  writeFileSync(org, ORG)
  await withDataDir(dataDir, (p) => importOrg({ client: p.client, file: org, effective: '2026-01-01' }))
  return dataDir
}
async function ingest(dataDir: string, records: object[]): Promise<void> {
  const file = join(work, `f${++dirs}.jsonl`)
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'))
  await withDataDir(dataDir, async (p) => {
    const r = await importDecisions(p.bus, file)
    expect(r.rejected).toEqual([])
  })
}
const observe = (dataDir: string) =>
  withDataDir(dataDir, async (p) => ({
    steps: await queryRows(
      p.client,
      `SELECT decision_id, type, toString(occurred_at) AS at, raised_by, actor, targets
       FROM ${liveDecisionEvents()} ORDER BY decision_id, type`,
    ),
    metrics: await computeOrgMetrics(p.client, config, {
      director: 'dir@x.io',
      from: '2026-07-01',
      to: '2026-09-01',
    }),
    weekly: await computeOrgMetrics(p.client, config, {
      director: 'm1@x.io',
      from: '2026-07-06',
      to: '2026-08-31',
      grain: 'week',
    }),
  }))

describe('record versions through several commands into one data directory', () => {
  it('store and count exactly the winning version of each record', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ records, arrivals, commands }) => {
        const dataDir = await freshDir()
        const size = Math.ceil(arrivals.length / commands)
        for (let c = 0; c < arrivals.length; c += size)
          await ingest(
            dataDir,
            arrivals.slice(c, c + size).map((a) => materialise(records, a.id, a.i)),
          )
        // the winner: the highest updatedAt (index) when dated, else the last to arrive
        const winners = Object.entries(records).map(([id, r]) => {
          const i = r.dated
            ? Math.max(...arrivals.filter((a) => a.id === id).map((a) => a.i))
            : arrivals.filter((a) => a.id === id).at(-1)!.i
          return materialise(records, id, i)
        })
        const reference = await freshDir()
        await ingest(reference, winners)
        expect(await observe(dataDir)).toEqual(await observe(reference))
      }),
      { numRuns: Math.ceil(8 * SCALE), endOnFailure: true },
    )
  }, 600_000)
})
