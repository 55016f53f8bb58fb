import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ConnectorContext } from '@orgpulse/connector'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { type CanonicalEventInput, type OrgpulseConfig, TOPICS } from '@orgpulse/contracts'
import { publishRaw } from '@orgpulse/kafka'
import { importOrg } from '@orgpulse/org'
import { applyDemoConfig, demoConfigSections, writeDemoConfig } from './config.ts'
import { type ConnectorRun, demoCoverageEvents, syncThroughConnectors } from './edges/run.ts'
import { type DemoCompany, type DemoOptions, generateDemo, hrCsv } from './generate.ts'

/**
 * How the Jira, Linear and calendar activity gets in:
 * - `connectors`: through fake vendor servers and the real connectors (raw topics, transformer);
 * - `direct`: the generator's canonical events straight onto the events topic (bulk loads).
 * Both give the same facts and the same metrics; decisions and the org take the same path in both.
 */
export type DemoEdges = 'connectors' | 'direct'

export interface DemoLoadOptions extends DemoOptions {
  /**
   * Default: `connectors` in embedded mode. In full mode the transformer runs in other
   * processes with their own orgpulse.yaml, which cannot know the demo's Jira/Linear team
   * mapping, so the default there is `direct` (canonical events carry their teams).
   */
  edges?: DemoEdges
}

export interface DemoLoadResult {
  company: DemoCompany
  summary: string
  edges: DemoEdges
  /** the runtime's config, now the demo's effective config (the same object as `rt.config`) */
  config: OrgpulseConfig
  /** the demo's config sections as orgpulse.yaml, for other processes (`--config`) */
  configFile: string
  /** what the connectors did (connectors edges only) */
  connectors: ConnectorRun | null
  /** wall-clock milliseconds per phase */
  timings: Record<string, number>
}

const CHUNK = 5000

/**
 * Loads the demo company through the edges real data uses: HR exports through `org import`,
 * decision records through the decisions raw topic and the transformer, and the Jira, Linear and
 * calendar activity through the connectors and fake vendor servers (or, with `edges: 'direct'`,
 * as canonical events through the sink).
 *
 * The demo's config (team mapping, the expected ritual) becomes the runtime's effective config:
 * it is installed into `rt.config` in place, so the transformer, metrics and api of this process
 * use it, and written to `<dataDir>/demo/orgpulse.demo.yaml` for other processes.
 */
export async function loadDemo(
  rt: ConnectorContext,
  options: DemoLoadOptions,
  progress: (m: string) => void = () => {},
): Promise<DemoLoadResult> {
  const timings: Record<string, number> = {}
  const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    try {
      return await f()
    } finally {
      timings[name] = Math.round(performance.now() - t0)
    }
  }
  const edges: DemoEdges = options.edges ?? (rt.mode === 'embedded' ? 'connectors' : 'direct')
  const company = generateDemo(options)
  const dir = join(rt.dataDir, 'demo')
  mkdirSync(dir, { recursive: true })
  const sections = demoConfigSections(company)
  // before anything is published: the transformer maps Jira and Linear records with it
  applyDemoConfig(rt.config, sections)
  const configFile = join(dir, 'orgpulse.demo.yaml')
  writeDemoConfig(configFile, sections, company)

  await phase('org', async () => {
    for (const s of company.snapshots) {
      const file = join(dir, `hr-${s.effective}.csv`)
      writeFileSync(file, hrCsv(s.people))
      await importOrg({ client: rt.client, bus: rt.bus, file, effective: s.effective })
      progress(`org snapshot ${s.effective}: ${s.people.length} people`)
    }
  })
  await phase('decisions', async () => {
    for (let i = 0; i < company.decisions.length; i += CHUNK) {
      await publishRaw(
        rt.bus,
        company.decisions
          .slice(i, i + CHUNK)
          .map((d) => decisionEnvelope(d as Record<string, unknown>, { via: 'demo' })),
      )
    }
    progress(`${company.decisions.length} decision records published`)
  })
  let connectors: ConnectorRun | null = null
  if (edges === 'connectors')
    connectors = await phase('connectors', () => syncThroughConnectors(rt, company, progress))
  else
    await phase('direct', () =>
      // the connectors would have recorded what they synced: the direct load records the same
      publishDirect(rt, [...company.events, ...demoCoverageEvents(company, rt.config)], progress),
    )
  await phase('flush', () => rt.flush())

  const s = company.stories
  const summary = [
    `${company.snapshots[0]!.people.length} people, ${company.decisions.length} decisions, ${company.events.length} activity events (${edges === 'connectors' ? 'through the Jira, Linear and Google Calendar connectors' : 'published directly'}), ${company.start.toISOString().slice(0, 10)} → ${company.end.toISOString().slice(0, 10)}`,
    `  centralising director: ${s.centralisingDirector}`,
    `  team whose decisions wait weeks: ${s.slowTeam}`,
    `  teams blocking each other: ${s.blockingPair.join(' ⇄ ')}`,
    `  ritual that stopped: ${s.stoppedRitual.name} (after ${s.stoppedRitual.stoppedAfter})`,
    `  re-org on ${s.reorg.effective}: ${s.reorg.team} moved from ${s.reorg.from} to ${s.reorg.to}`,
    `  demo config (team mapping, the expected ritual): ${configFile}`,
    '    this process uses it already; elsewhere pass it: pnpm orgpulse metrics --config <that file> …',
  ].join('\n')
  return { company, summary, edges, config: rt.config, configFile, connectors, timings }
}

/** The generator's canonical events straight onto the events topic: no vendor, no transformer. */
async function publishDirect(
  rt: ConnectorContext,
  events: CanonicalEventInput[],
  progress: (m: string) => void,
): Promise<void> {
  for (let i = 0; i < events.length; i += CHUNK) {
    await rt.bus.publish(
      TOPICS.events,
      events.slice(i, i + CHUNK).map((e) => ({ key: e.sourceId, value: Buffer.from(JSON.stringify(e)) })),
    )
    progress(`activity events ${Math.min(i + CHUNK, events.length)}/${events.length}`)
  }
}
