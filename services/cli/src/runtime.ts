import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, resolveCluster } from '@orgpulse/clickhouse'
import { type Env, loadConfig, type OrgpulseConfig, TOPIC_SPECS } from '@orgpulse/contracts'
import {
  ackIsDurable,
  type Bus,
  createBusFromEnv,
  type Durable,
  MemoryBus,
  StageHealth,
  type Subscription,
  waitUntilCaughtUp,
  waitUntilWritten,
} from '@orgpulse/kafka'
import { setAliases } from '@orgpulse/org'
import { STAGE_GROUPS, startDlqSink, startSink, startTransformer } from '@orgpulse/transformer'
import { pino } from 'pino'

export interface RuntimeOptions {
  /** the process's environment, parsed once at its entry point */
  env: Env
  dataDir: string
  configPath?: string | undefined
  /** run transformer and sink in this process (embedded mode always does) */
  pipeline?: boolean
  logLevel?: string
}

/**
 * Everything a command needs, wired for the deployment mode: embedded (in-process bus, chDB in
 * the data dir, pipeline in this process) unless KAFKA_BROKERS / CLICKHOUSE_URL point at servers.
 */
export interface Runtime {
  mode: 'embedded' | 'full'
  /** the process's parsed environment: commands read connector credentials through it */
  env: Env
  dataDir: string
  config: OrgpulseConfig
  configPath: string | null
  /** the config is the demo's own (`<dataDir>/demo/orgpulse.demo.yaml`): its connectors point at fake servers that only ran while it loaded */
  demoConfig: boolean
  client: ClickHouseClient
  bus: Bus
  log: pino.Logger
  /** the pipeline stages' retries (when this process runs them): /readyz and /metrics read it */
  health: StageHealth
  /** waits until everything published so far is in ClickHouse (embedded: always; full: when this process runs the pipeline) */
  flush(): Promise<void>
  /**
   * What connectors await before storing a cursor: resolves once what this process published so
   * far survives a crash. Full mode: at once (Kafka acknowledged it). Embedded mode: once the
   * in-process pipeline has written it to ClickHouse (the in-memory bus dies with the process).
   */
  durable: Durable
  close(): Promise<void>
}

/**
 * With no orgpulse.yaml anywhere, a data dir that holds the demo keeps using the demo's config
 * (its team mapping and rituals), so a restarted `pnpm start` shows the same figures.
 */
function demoConfigIfAny(env: Env, dataDir: string): string | undefined {
  if (env.ORGPULSE_CONFIG || existsSync(resolve('orgpulse.yaml'))) return undefined
  const demo = join(dataDir, 'demo', 'orgpulse.demo.yaml')
  return existsSync(demo) ? demo : undefined
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env } = options
  const dataDir = resolve(options.dataDir)
  const demoConfig = options.configPath || env.ORGPULSE_CONFIG ? undefined : demoConfigIfAny(env, dataDir)
  const { config, path } = loadConfig(options.configPath || env.ORGPULSE_CONFIG || demoConfig)
  const log = pino({ level: options.logLevel ?? env.LOG_LEVEL ?? 'warn' }, pino.destination(2))
  const client = createClickHouse({
    url: env.CLICKHOUSE_URL,
    dataDir,
    memoryMb: env.ORGPULSE_ENGINE_MEMORY_MB,
    ...(env.CLICKHOUSE_DATABASE ? { database: env.CLICKHOUSE_DATABASE } : {}),
    cluster: resolveCluster(env.CLICKHOUSE_CLUSTER, config.clickhouse),
  })
  await migrate(client, { log: (m) => log.info(m) })
  // the config file is the complete alias set: removing an alias there must retire it here
  if (path) await setAliases(client, config.identities.aliases)
  const kafka = createBusFromEnv({ clientId: 'orgpulse-cli' }, env)
  const bus: Bus = kafka ?? new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  const mode = kafka ? 'full' : 'embedded'
  const runsPipeline = mode === 'embedded' || options.pipeline === true
  const subscriptions: Subscription[] = []
  const health = new StageHealth(env.ORGPULSE_STAGE_STALL_MS)
  if (runsPipeline) {
    subscriptions.push(await startTransformer(bus, config, log, { health }))
    subscriptions.push(await startSink(bus, client, log, { health }))
    subscriptions.push(await startDlqSink(bus, client, log, { health }))
  }
  return {
    mode,
    env,
    dataDir,
    config,
    configPath: path,
    demoConfig: demoConfig !== undefined,
    client,
    bus,
    log,
    health,
    flush: async () => {
      // a stalled stage fails the command with its reason instead of a silent two-minute wait
      if (runsPipeline)
        await waitUntilCaughtUp(bus, Object.values(STAGE_GROUPS), undefined, undefined, health)
    },
    durable:
      bus instanceof MemoryBus
        ? () => waitUntilWritten(bus, [STAGE_GROUPS.transformer, STAGE_GROUPS.sink, STAGE_GROUPS.dlqSink])
        : ackIsDurable,
    close: async () => {
      for (const s of subscriptions) await s.stop()
      await bus.close()
      await client.close()
    },
  }
}
