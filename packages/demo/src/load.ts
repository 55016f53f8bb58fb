import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFacts } from '@orgpulse/clickhouse'
import type { ConnectorContext } from '@orgpulse/connector'
import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { connectorFor } from '@orgpulse/connectors'
import {
  type CanonicalEvent,
  type CanonicalEventInput,
  canonicalEventSchema,
  type DecisionRecordInput,
  type OrgpulseConfig,
  OrgpulseError,
  TOPICS,
} from '@orgpulse/contracts'
import { publishRaw } from '@orgpulse/kafka'
import { importOrg } from '@orgpulse/org'
import { applyDemoConfig, demoConfigSections, writeDemoConfig } from './config.ts'
import { type ConnectorRun, demoCoverageEvents, syncThroughConnectors } from './edges/run.ts'
import {
  type DemoCompany,
  type DemoOptions,
  type DemoOutline,
  generateDemo,
  hrCsv,
  streamDemo,
} from './generate.ts'

/**
 * How the Jira, Linear and calendar activity gets in:
 * - `connectors`: through fake vendor servers and the real connectors (raw topics, transformer);
 * - `direct`: the generator's canonical events without vendors or connectors (bulk loads).
 * Both give the same facts and the same metrics; the org takes the same path in both. Decision
 * records go through the decisions mapper in both: on the raw topic and the transformer, except
 * for a direct load in embedded mode (below).
 */
export type DemoEdges = 'connectors' | 'direct'

export interface DemoLoadOptions extends DemoOptions {
  /**
   * Default: `connectors` in embedded mode. In full mode the transformer runs in other
   * processes with their own orgpulse.yaml, which cannot know the demo's Jira/Linear team
   * mapping, so the default there is `direct` (canonical events carry their teams).
   */
  edges?: DemoEdges
  /**
   * Default true: the result holds the company with all its records. A direct load with false
   * holds only the week in hand while it loads (a 10,000-person year is ~700,000 records) and
   * returns the outline with the counts.
   */
  retain?: boolean
}

export interface DemoLoadResult<C extends DemoOutline = DemoCompany> {
  company: C
  /** how many decision records and activity events were loaded */
  counts: { decisions: number; events: number }
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
 * Events per insert of a direct load in embedded mode. The engine's cost per insert dwarfs its
 * cost per row at the sink's batch size (500); from 8,000 to 60,000 the CPU of a 2,000-person
 * year stayed within 5 % while the peak RSS rose from 720 to 1,340 MB (measured).
 */
const FACT_BATCH = 10_000

/**
 * Loads the demo company through the edges real data uses: HR exports through `org import`,
 * decision records through the decisions raw topic and the transformer, and the Jira, Linear and
 * calendar activity through the connectors and fake vendor servers. With `edges: 'direct'` the
 * activity comes as the generator's canonical events, generated and written a week at a time
 * (`directLoader`: in embedded mode the decision records take the decisions mapper in process).
 *
 * The demo's config (team mapping, the expected ritual) becomes the runtime's effective config:
 * it is installed into `rt.config` in place, so the transformer, metrics and api of this process
 * use it, and written to `<dataDir>/demo/orgpulse.demo.yaml` for other processes.
 */
export function loadDemo(
  rt: ConnectorContext,
  options: DemoLoadOptions & { retain: false },
  progress?: (m: string) => void,
): Promise<DemoLoadResult<DemoOutline>>
export function loadDemo(
  rt: ConnectorContext,
  options: DemoLoadOptions,
  progress?: (m: string) => void,
): Promise<DemoLoadResult>
export async function loadDemo(
  rt: ConnectorContext,
  options: DemoLoadOptions,
  progress: (m: string) => void = () => {},
): Promise<DemoLoadResult<DemoOutline>> {
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
  const dir = join(rt.dataDir, 'demo')
  mkdirSync(dir, { recursive: true })
  const configFile = join(dir, 'orgpulse.demo.yaml')
  const importSnapshots = (outline: DemoOutline) =>
    phase('org', async () => {
      for (const s of outline.snapshots) {
        const file = join(dir, `hr-${s.effective}.csv`)
        writeFileSync(file, hrCsv(s.people))
        await importOrg({ client: rt.client, bus: rt.bus, file, effective: s.effective })
        progress(`org snapshot ${s.effective}: ${s.people.length} people`)
      }
    })
  let company: DemoOutline
  let counts: DemoLoadResult['counts']
  let connectors: ConnectorRun | null = null

  if (edges === 'connectors') {
    // the fake vendors are seeded with the whole history: the company is generated first
    const full = generateDemo(options)
    company = full
    counts = { decisions: full.decisions.length, events: full.events.length }
    const sections = demoConfigSections(full)
    // before anything is published: the transformer maps Jira and Linear records with it
    applyDemoConfig(rt.config, sections)
    writeDemoConfig(configFile, sections, full)
    await importSnapshots(full)
    await phase('decisions', () => publishDecisions(rt, full.decisions, progress))
    connectors = await phase('connectors', () => syncThroughConnectors(rt, full, progress))
  } else {
    const { outline, weeks } = streamDemo(options)
    company = outline
    await importSnapshots(outline)
    const kept: DemoCompany | null =
      options.retain === false ? null : { ...outline, decisions: [], events: [] }
    // the tracker events the config's Jira and Linear mappings are made from (a few per team)
    const trackers: CanonicalEventInput[] = []
    const loader = directLoader(rt, progress)
    counts = { decisions: 0, events: 0 }
    await phase('direct', async () => {
      for (const week of weeks) {
        counts.decisions += week.decisions.length
        counts.events += week.events.length
        for (const e of week.events) if (e.type !== 'meeting.held') trackers.push(e)
        if (kept) {
          for (const d of week.decisions) kept.decisions.push(d)
          for (const e of week.events) kept.events.push(e)
        }
        await loader.add(week.decisions, week.events)
      }
      // no Jira or Linear record is mapped in this load: the mapping can wait for the last week
      const sections = demoConfigSections({ ...outline, decisions: [], events: trackers })
      applyDemoConfig(rt.config, sections)
      writeDemoConfig(configFile, sections, outline)
      // the connectors would have recorded what they synced: the direct load records the same
      await loader.add([], demoCoverageEvents(outline, rt.config))
      await loader.end()
    })
    if (kept) company = kept
  }
  await phase('flush', () => rt.flush())

  const s = company.stories
  const summary = [
    `${company.snapshots[0]!.people.length} people, ${counts.decisions} decisions, ${counts.events} activity events (${edges === 'connectors' ? 'through the Jira, Linear and Google Calendar connectors' : 'published directly'}), ${company.start.toISOString().slice(0, 10)} → ${company.end.toISOString().slice(0, 10)}`,
    `  centralising director: ${s.centralisingDirector}`,
    `  team whose decisions wait weeks: ${s.slowTeam}`,
    `  teams blocking each other: ${s.blockingPair.join(' ⇄ ')}`,
    `  ritual that stopped: ${s.stoppedRitual.name} (after ${s.stoppedRitual.stoppedAfter})`,
    `  re-org on ${s.reorg.effective}: ${s.reorg.team} moved from ${s.reorg.from} to ${s.reorg.to}`,
    `  demo config (team mapping, the expected ritual): ${configFile}`,
    '    this process uses it already; elsewhere pass it: pnpm orgpulse metrics --config <that file> …',
  ].join('\n')
  return { company, counts, summary, edges, config: rt.config, configFile, connectors, timings }
}

async function publishDecisions(
  rt: ConnectorContext,
  decisions: DecisionRecordInput[],
  progress: (m: string) => void,
): Promise<void> {
  for (let i = 0; i < decisions.length; i += CHUNK) {
    await publishRaw(
      rt.bus,
      decisions
        .slice(i, i + CHUNK)
        .map((d) => decisionEnvelope(d as Record<string, unknown>, { via: 'demo' })),
    )
  }
  if (decisions.length > 0) progress(`${decisions.length} decision records published`)
}

interface DirectLoader {
  /** takes a week's records; resolves when the loader is ready for the next week */
  add(decisions: DecisionRecordInput[], events: CanonicalEventInput[]): Promise<void>
  /** resolves once everything added is written (embedded) or published (full mode) */
  end(): Promise<void>
}

/**
 * Full mode: decision records onto the raw topic and events onto the events topic, for the
 * pipeline's own processes. Embedded mode: the bus is this process's memory, so nothing a
 * restart could replay is lost by going round it: decision records are mapped here by the same
 * mapper the transformer runs, the events take their canonical form (`canonicalByShape`), and
 * the facts are written by the sink's writer in blocks of FACT_BATCH, one block in the engine
 * while the next week is generated.
 */
function directLoader(rt: ConnectorContext, progress: (m: string) => void): DirectLoader {
  let published = 0
  if (rt.mode !== 'embedded') {
    return {
      add: async (decisions, events) => {
        await publishDecisions(rt, decisions, () => {})
        for (let i = 0; i < events.length; i += CHUNK)
          await rt.bus.publish(
            TOPICS.events,
            events
              .slice(i, i + CHUNK)
              .map((e) => ({ key: e.sourceId, value: Buffer.from(JSON.stringify(e)) })),
          )
        published += decisions.length + events.length
        if (events.length > 0) progress(`records published: ${published}`)
      },
      end: async () => {},
    }
  }
  const mapper = connectorFor('decisions').mapper
  let pending: CanonicalEvent[] = []
  let writing: Promise<unknown> = Promise.resolve()
  let written = 0
  const flushBlock = async () => {
    const block = pending
    pending = []
    // one block in the engine at a time; it writes while this thread makes the next one
    await writing
    writing = writeFacts(rt.client, block).then((n) => {
      written += n
      progress(`facts written: ${written}`)
    })
  }
  const canonical = canonicalByShape()
  return {
    add: async (decisions, events) => {
      for (const d of decisions)
        for (const e of mapper(decisionEnvelope(d as Record<string, unknown>, { via: 'demo' }), {
          config: rt.config,
        }))
          pending.push(canonical(e))
      for (const e of events) pending.push(canonical(e))
      if (pending.length >= FACT_BATCH) await flushBlock()
    },
    end: async () => {
      if (pending.length > 0) await flushBlock()
      await writing
    },
  }
}

/**
 * The canonical event the sink would decode, without parsing every event: the generator and the
 * decisions mapper emit canonical values (normalised identities, UTC instants; the demo's tests
 * parse every event of a demo and compare), so what the schema adds to an event is its defaults,
 * the same for every event of one type with the same fields. Each such shape is parsed once, which
 * also checks it; parsing all ~700,000 events of a 10,000-person year was a fifth of its load.
 */
export function canonicalByShape(): (e: CanonicalEventInput) => CanonicalEvent {
  const defaults = new Map<string, Partial<CanonicalEvent>>()
  return (e) => {
    const shape = `${e.type}\u0000${Object.keys(e).join(',')}`
    const known = defaults.get(shape)
    if (known) return Object.assign({}, known, e) as CanonicalEvent
    const checked = canonicalEventSchema.safeParse(e)
    if (!checked.success)
      throw new OrgpulseError(
        'invalid_input',
        `demo: an invalid ${e.type} event: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      )
    const added: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(checked.data)) if (!(k in e)) added[k] = v
    defaults.set(shape, added as Partial<CanonicalEvent>)
    return checked.data
  }
}
