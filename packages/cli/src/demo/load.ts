import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { TOPICS } from '@orgpulse/contracts'
import { decisionEnvelope } from '@orgpulse/ingest-decisions'
import { publishRaw } from '@orgpulse/kafka'
import { importOrg } from '@orgpulse/org'
import type { Runtime } from '../runtime.ts'
import { type DemoCompany, type DemoOptions, generateDemo, hrCsv } from './generate.ts'

export interface DemoLoadResult {
  company: DemoCompany
  summary: string
}

const CHUNK = 5000

/**
 * Loads the demo company through the same edges real data uses: HR exports through `org import`,
 * decision records through the decisions raw topic and the transformer, other activity as
 * canonical events through the sink.
 */
export async function loadDemo(rt: Runtime, options: DemoOptions, progress: (m: string) => void = () => {}): Promise<DemoLoadResult> {
  const company = generateDemo(options)
  const dir = join(rt.dataDir, 'demo')
  mkdirSync(dir, { recursive: true })
  for (const s of company.snapshots) {
    const file = join(dir, `hr-${s.effective}.csv`)
    writeFileSync(file, hrCsv(s.people))
    await importOrg({ client: rt.client, bus: rt.bus, file, effective: s.effective })
    progress(`org snapshot ${s.effective}: ${s.people.length} people`)
  }
  for (let i = 0; i < company.decisions.length; i += CHUNK) {
    await publishRaw(rt.bus, company.decisions.slice(i, i + CHUNK).map((d) => decisionEnvelope(d as Record<string, unknown>, { via: 'demo' })))
  }
  progress(`${company.decisions.length} decision records published`)
  for (let i = 0; i < company.events.length; i += CHUNK) {
    await rt.bus.publish(
      TOPICS.events,
      company.events.slice(i, i + CHUNK).map((e) => ({ key: e.sourceId, value: Buffer.from(JSON.stringify(e)) })),
    )
    progress(`activity events ${Math.min(i + CHUNK, company.events.length)}/${company.events.length}`)
  }
  await rt.flush()
  const s = company.stories
  const summary = [
    `${company.snapshots[0]!.people.length} people, ${company.decisions.length} decisions, ${company.events.length} activity events, ${company.start.toISOString().slice(0, 10)} → ${company.end.toISOString().slice(0, 10)}`,
    `  centralising director: ${s.centralisingDirector}`,
    `  team whose decisions wait weeks: ${s.slowTeam}`,
    `  teams blocking each other: ${s.blockingPair.join(' ⇄ ')}`,
    `  ritual that stopped: ${s.stoppedRitual.name} (after ${s.stoppedRitual.stoppedAfter})`,
    `  re-org on ${s.reorg.effective}: ${s.reorg.team} moved from ${s.reorg.from} to ${s.reorg.to}`,
  ].join('\n')
  return { company, summary }
}
