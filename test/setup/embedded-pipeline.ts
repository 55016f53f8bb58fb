import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { type OrgpulseConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import { MemoryBus, type Subscription, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startSink, startTransformer } from '@orgpulse/transformer'

export interface EmbeddedPipeline {
  client: ClickHouseClient
  bus: MemoryBus
  /** until the transformer and the sink have consumed everything published so far */
  flush(): Promise<void>
  stop(): Promise<void>
}

/**
 * The embedded pipeline a connector test publishes into: a temp data dir with the migrations
 * applied (chDB: one per test file), an in-process bus with every topic, transformer and sink.
 */
export async function startEmbeddedPipeline(config: OrgpulseConfig, name: string): Promise<EmbeddedPipeline> {
  const dir = mkdtempSync(join(tmpdir(), `orgpulse-${name}-`))
  const client = createClickHouse({ dataDir: dir })
  await migrate(client)
  const bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  const subs: Subscription[] = [await startTransformer(bus, config), await startSink(bus, client)]
  return {
    client,
    bus,
    flush: () => waitUntilCaughtUp(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink]),
    async stop() {
      for (const s of subs) await s.stop()
      await bus.close()
      await client.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
