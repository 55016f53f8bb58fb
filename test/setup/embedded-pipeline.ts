import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, FACT_TABLE, migrate, queryRows } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import {
  type DeliveredMessage,
  MemoryBus,
  type Subscription,
  waitUntilCaughtUp,
  waitUntilWritten,
} from '@orgpulse/kafka'
import {
  STAGE_GROUPS,
  startDlqSink,
  startSink,
  startTransformer,
  transformBytes,
} from '@orgpulse/transformer'

export interface EmbeddedPipeline {
  client: ClickHouseClient
  /** the in-process bus of the current "process" (a new one after restart) */
  readonly bus: MemoryBus
  /** until the transformer and the sink have consumed everything published so far */
  flush(): Promise<void>
  /** what the embedded runtime hands connectors (Runtime.durable): until the pipeline wrote what was published */
  durable(): Promise<void>
  /**
   * The process dies: the in-process bus and whatever it held that the sink had not written yet
   * are gone at once (a stage in the middle of a batch cannot publish its output any more).
   * ClickHouse, on disk, keeps what was written.
   */
  crash(): Promise<void>
  /** the next process on the same data dir: a new, empty bus with a new transformer and sink */
  restart(): Promise<void>
  stop(): Promise<void>
}

const STAGES = [STAGE_GROUPS.transformer, STAGE_GROUPS.sink, STAGE_GROUPS.dlqSink]

/**
 * The embedded pipeline a connector test publishes into, wired as services/cli/src/runtime.ts
 * wires it: a data dir with the migrations applied (chDB: one per process at a time), a fresh
 * in-process bus with every topic, transformer, sink and DLQ sink — what one `orgpulse` command
 * opens. Without `dataDir` a temp dir is made and removed on stop; with it the dir is kept, so
 * several of these opened one after another are several commands into one data directory (each
 * bus numbers its offsets from 0 again).
 */
export async function startEmbeddedPipeline(
  config: OrgpulseConfig,
  name: string,
  options: { dataDir?: string } = {},
): Promise<EmbeddedPipeline> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), `orgpulse-${name}-`))
  const client = createClickHouse({ dataDir: dir })
  await migrate(client)
  let bus = new MemoryBus()
  let subs: Subscription[] = []
  const start = async () => {
    bus = new MemoryBus()
    await bus.ensureTopics(TOPIC_SPECS)
    subs = [
      await startTransformer(bus, config),
      await startSink(bus, client),
      await startDlqSink(bus, client),
    ]
  }
  const halt = async () => {
    await bus.close()
    for (const s of subs) await s.stop()
    subs = []
  }
  await start()
  return {
    client,
    get bus() {
      return bus
    },
    flush: () => waitUntilCaughtUp(bus, STAGES),
    durable: () => waitUntilWritten(bus, STAGES),
    crash: halt,
    restart: start,
    async stop() {
      await halt()
      await client.close()
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** the column a fact table keeps one row per value of (meetings: the newest version of an occurrence) */
const KEY: Record<string, string> = { meetings: 'meeting_id' }

/** per fact table, the sorted keys of every fact the raw records imply, each once */
export function factsImpliedBy(raw: DeliveredMessage[], config: OrgpulseConfig): Record<string, string[]> {
  const out = new Map<string, Set<string>>()
  for (const m of raw)
    for (const e of transformBytes(m.value, { config })) {
      const table = FACT_TABLE[e.type]
      const key = table === 'meetings' && 'meetingId' in e ? String(e.meetingId) : e.id
      out.set(table, (out.get(table) ?? new Set()).add(key))
    }
  return Object.fromEntries([...out].map(([t, keys]) => [t, [...keys].sort()]))
}

/** per table, the sorted keys of its rows (FINAL: a key stored twice shows twice) */
export async function storedFacts(
  client: ClickHouseClient,
  tables: string[],
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const t of tables) {
    const rows = await queryRows<{ k: string }>(client, `SELECT ${KEY[t] ?? 'id'} AS k FROM ${t} FINAL`)
    out[t] = rows.map((r) => r.k).sort()
  }
  return out
}

/**
 * For `tables`: the facts the raw records imply, each once, and the facts stored (a crash test
 * asserts the two are equal: nothing lost, nothing twice)
 */
export async function impliedAndStored(
  client: ClickHouseClient,
  raw: DeliveredMessage[],
  config: OrgpulseConfig,
  tables: string[],
): Promise<{ implied: Record<string, string[]>; stored: Record<string, string[]> }> {
  const all = factsImpliedBy(raw, config)
  return {
    implied: Object.fromEntries(tables.map((t) => [t, all[t] ?? []])),
    stored: await storedFacts(client, tables),
  }
}

export class ProcessDied extends Error {}

/**
 * A cursor store whose process dies the moment it stores its first cursor: the pipeline stops
 * where it is at that instant (what it had not written is lost with the in-process bus), then
 * the cursor write lands, then nothing else does. Any later cursor write fails (the process is
 * gone). With today's ordering this is the crash window between "published" and "written".
 */
export function diesOnFirstCursor<C extends { set(...args: never[]): Promise<void> }>(
  real: C,
  pipeline: EmbeddedPipeline,
): C {
  let dead = false
  return new Proxy(real, {
    get(target, prop) {
      if (prop !== 'set') {
        const value: unknown = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      }
      return async (...args: Parameters<C['set']>) => {
        if (dead) throw new ProcessDied('the process is gone')
        dead = true
        // stopped before the write is awaited, so the pipeline cannot catch up during it
        const stopped = pipeline.crash()
        await target.set(...args)
        await stopped
        throw new ProcessDied('killed right after storing a cursor')
      }
    },
  })
}

/**
 * One `orgpulse …` command on `dataDir`, as a user runs several into one data directory: opens
 * the embedded pipeline with a fresh in-process bus, runs `run`, waits until what it published
 * is written, and closes, also when `run` throws.
 */
export async function inCommand<T>(
  config: OrgpulseConfig,
  dataDir: string,
  run: (p: EmbeddedPipeline) => Promise<T>,
): Promise<T> {
  const p = await startEmbeddedPipeline(config, 'cmd', { dataDir })
  try {
    const out = await run(p)
    await p.flush()
    return out
  } finally {
    await p.stop()
  }
}
