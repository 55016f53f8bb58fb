import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryRows } from '@orgpulse/clickhouse'
import { importDecisions } from '@orgpulse/connector-decisions'
import { configSchema, TOPICS } from '@orgpulse/contracts'
import { memoryPartition } from '@orgpulse/kafka'
import { computeOrgMetrics, evaluate } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { describe, expect, it } from 'vitest'
import { type EmbeddedPipeline, inCommand } from '../setup/embedded-pipeline.ts'

/**
 * Many commands into one data directory, as people work: each command opens the data dir with a
 * fresh in-process bus (offsets from 0 again), ingests, waits for the pipeline and closes.
 */
const config = configSchema.parse({})
const work = mkdtempSync(join(tmpdir(), 'orgpulse-one-dir-'))

const ORG = `email,name,manager_email,title
dir@x.io,Dana,,Director
m1@x.io,Mia,dir@x.io,EM
m2@x.io,Max,dir@x.io,EM
a1@x.io,Ann,m1@x.io,Engineer
a2@x.io,Abe,m1@x.io,Engineer
b1@x.io,Bea,m2@x.io,Engineer
`

/** one `orgpulse …` command on `dataDir` */
const command = <T>(dataDir: string, run: (p: EmbeddedPipeline) => Promise<T>) =>
  inCommand(config, dataDir, run)

let files = 0
/** `orgpulse ingest decisions FILE` with these records */
function ingest(dataDir: string, ...records: object[]) {
  const file = join(work, `log-${++files}.jsonl`)
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'))
  return command(dataDir, async (p) => {
    const result = await importDecisions(p.bus, file)
    expect(result.rejected).toEqual([])
    return result
  })
}

async function newDataDir(name: string): Promise<string> {
  const dataDir = join(work, name)
  const orgFile = join(work, 'org.csv')
  writeFileSync(orgFile, ORG)
  await command(dataDir, (p) => importOrg({ client: p.client, file: orgFile, effective: '2026-01-01' }))
  return dataDir
}

const Q3 = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-10-01T00:00:00Z') }
/**
 * The org's figures, and `raw`: the SQL's own values before the catalog's minimum sample (these
 * scenarios decide one or two decisions, too few to show a ratio or a median)
 */
const metricsOf = (dataDir: string) =>
  command(dataDir, async (p) => {
    const shown = await computeOrgMetrics(p.client, config, {
      director: 'dir@x.io',
      from: '2026-07-01',
      to: '2026-10-01',
    })
    const raw =
      (await evaluate(p.client, config, ['u:dir@x.io'], [Q3]))
        .get('u:dir@x.io')
        ?.get('2026-07-01 00:00:00.000') ?? {}
    return { ...shown, raw }
  })

describe('several commands into one data directory', () => {
  it('keeps every accepted record when two commands put the same offsets on the same partition', async () => {
    const dataDir = await newDataDir('loss')
    // force the collision: ids whose events land on one partition of the canonical topic, so each
    // command's batch there is offsets 0-1 (raised + call), as the offset-range token repeated
    const ids: string[] = []
    for (let i = 0; ids.length < 4; i++) {
      const id = `D-${i}`
      if (memoryPartition(id, 6) === 0) ids.push(id)
    }
    for (const [n, id] of ids.entries()) {
      const result = await ingest(dataDir, {
        id,
        title: `decision ${n}`,
        raisedBy: 'a1@x.io',
        raisedAt: `2026-07-0${n + 1}T09:00:00Z`,
        status: 'decided',
        decidedBy: 'm1@x.io',
        decidedAt: `2026-07-0${n + 2}T09:00:00Z`,
      })
      expect(result.accepted).toBe(1)
    }
    const stored = await command(dataDir, (p) =>
      queryRows<{ d: string }>(
        p.client,
        `SELECT DISTINCT decision_id AS d FROM decision_events FINAL WHERE type = 'decision.decided' ORDER BY d`,
      ),
    )
    expect(stored.map((r) => r.d)).toEqual(ids.map((id) => `decisions:${id}`).sort())
    const m = await metricsOf(dataDir)
    expect(m.metrics.decisions_decided).toBe(4)
    // 24 h each: raised on day n+1, decided on day n+2
    expect(m.metrics.decision_latency_p50_hours).toBe(24)
    // nothing went to the DLQ, and the canonical partition 0 held each command's pair at 0-1
    await command(dataDir, async (p) => {
      expect(p.bus.messages(TOPICS.dlq)).toEqual([])
      expect(await queryRows(p.client, 'SELECT id FROM dlq')).toEqual([])
    })
  })

  it('counts only the newest version of each decision, whatever order the versions arrive in', async () => {
    const dataDir = await newDataDir('versions')
    const base = { raisedBy: 'a1@x.io', raisedAt: '2026-07-01T09:00:00Z' }
    // decided by the director, later withdrawn: neither decided nor open, nor centralised
    await ingest(dataDir, {
      ...base,
      id: 'W',
      title: 'w',
      status: 'decided',
      decidedBy: 'dir@x.io',
      decidedAt: '2026-07-03T09:00:00Z',
      updatedAt: '2026-07-03T09:00:00Z',
    })
    // decided, then reopened as proposed: open, not decided
    await ingest(dataDir, {
      ...base,
      id: 'P',
      title: 'p',
      status: 'decided',
      decidedBy: 'dir@x.io',
      decidedAt: '2026-07-02T09:00:00Z',
      updatedAt: '2026-07-02T09:00:00Z',
    })
    // escalated to the director, corrected: never escalated, decided by the raiser's manager
    await ingest(dataDir, {
      ...base,
      id: 'E',
      title: 'e',
      status: 'proposed',
      escalatedTo: ['dir@x.io'],
      escalatedAt: '2026-07-02T09:00:00Z',
      updatedAt: '2026-07-02T09:00:00Z',
    })
    // decided (newest), then a stale copy withdrawing it arrives: still decided
    const sDecided = {
      ...base,
      id: 'S',
      title: 's',
      status: 'decided',
      decidedBy: 'm1@x.io',
      decidedAt: '2026-07-11T09:00:00Z',
      updatedAt: '2026-07-11T09:00:00Z',
    }
    await ingest(dataDir, sDecided)
    await ingest(
      dataDir,
      {
        ...base,
        id: 'W',
        title: 'w',
        status: 'withdrawn',
        decidedAt: '2026-07-05T09:00:00Z',
        updatedAt: '2026-07-05T09:00:00Z',
      },
      { ...base, id: 'P', title: 'p', status: 'proposed', updatedAt: '2026-07-04T09:00:00Z' },
    )
    await ingest(dataDir, {
      ...base,
      id: 'E',
      title: 'e',
      status: 'decided',
      decidedBy: 'm1@x.io',
      decidedAt: '2026-07-06T09:00:00Z',
      updatedAt: '2026-07-06T09:00:00Z',
    })
    await ingest(dataDir, {
      ...sDecided,
      status: 'withdrawn',
      decidedBy: undefined,
      updatedAt: '2026-07-10T09:00:00Z',
    })
    // the same stale copy of E's escalation replayed again changes nothing either
    await ingest(dataDir, {
      ...base,
      id: 'E',
      title: 'e',
      status: 'proposed',
      escalatedTo: ['dir@x.io'],
      escalatedAt: '2026-07-02T09:00:00Z',
      updatedAt: '2026-07-02T09:00:00Z',
    })

    const m = await metricsOf(dataDir)
    // decided in the window: E (m1, 5 days) and S (m1, 10 days)
    expect(m.metrics.decisions_decided).toBe(2)
    expect(m.raw.decision_latency_p50_hours).toBe(180)
    expect(m.raw.escalation_rate).toBe(0)
    expect(m.raw.centralization).toBe(0)
    expect(m.raw.decision_depth).toBe(1)
    // two decisions: too few to show a median or a share
    expect(m.withheld.decision_latency_p50_hours).toBe('too_few: n = 2 decisions decided (minimum 3)')
    // open at the end: P only (W is withdrawn)
    expect(m.metrics.decisions_open).toBe(1)
    expect(m.raw.decision_open_age_p50_days).toBeCloseTo(
      (Date.parse('2026-10-01') - Date.parse(base.raisedAt)) / 86400000,
      9,
    )
  })

  it('of two versions with the same updatedAt (a day, as MADR dates are), the later arrival wins', async () => {
    const dataDir = await newDataDir('ties')
    const day = { raisedBy: 'a1@x.io', raisedAt: '2026-07-01T09:00:00Z', updatedAt: '2026-07-04' }
    // one file, two lines: escalated and decided by the director, then corrected the same day
    await ingest(
      dataDir,
      {
        ...day,
        id: 'T',
        title: 't',
        status: 'decided',
        decidedBy: 'dir@x.io',
        decidedAt: '2026-07-03T09:00:00Z',
        escalatedTo: ['dir@x.io'],
      },
      {
        ...day,
        id: 'T',
        title: 't',
        status: 'decided',
        decidedBy: 'm1@x.io',
        decidedAt: '2026-07-02T09:00:00Z',
      },
    )
    expect(await metricsOf(dataDir)).toMatchObject({
      metrics: { decisions_decided: 1, escalation_rate: null },
      raw: { decision_latency_p50_hours: 24, escalation_rate: 0, centralization: 0 },
      samples: { escalation_rate: 1 },
    })
    // a later command with the same day's first version again: now that one is the latest arrival
    await ingest(dataDir, {
      ...day,
      id: 'T',
      title: 't',
      status: 'decided',
      decidedBy: 'dir@x.io',
      decidedAt: '2026-07-03T09:00:00Z',
      escalatedTo: ['dir@x.io'],
    })
    expect(await metricsOf(dataDir)).toMatchObject({
      metrics: { decisions_decided: 1 },
      raw: { decision_latency_p50_hours: 48, escalation_rate: 1, centralization: 1 },
    })
  })
})
