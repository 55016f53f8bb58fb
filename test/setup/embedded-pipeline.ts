import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import { MemoryBus, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'

export interface EmbeddedPipeline {
  client: ClickHouseClient
  bus: MemoryBus
  /** until the transformer and the sink have consumed everything published so far */
  flush(): Promise<void>
  stop(): Promise<void>
}

/**
 * The embedded pipeline a connector test publishes into: a data dir with the migrations applied
 * (chDB: one per process at a time), a fresh in-process bus with every topic, transformer, sink
 * and DLQ sink — what one `orgpulse` command opens. Without `dataDir` a temp dir is made and
 * removed on stop; with it the dir is kept, so several of these opened one after another are
 * several commands into one data directory (each bus numbers its offsets from 0 again).
 */
export async function startEmbeddedPipeline(
  config: OrgpulseConfig,
  name: string,
  options: { dataDir?: string } = {},
): Promise<EmbeddedPipeline> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), `orgpulse-${name}-`))
  const client = createClickHouse({ dataDir: dir })
  await migrate(client)
  const bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  const subs: Subscription[] = [
    await startTransformer(bus, config),
    await startSink(bus, client),
    await startDlqSink(bus, client),
  ]
  return {
    client,
    bus,
    flush: () => waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS)),
    async stop() {
      for (const s of subs) await s.stop()
      await bus.close()
      await client.close()
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
