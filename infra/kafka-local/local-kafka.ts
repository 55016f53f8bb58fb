/**
 * Runs a real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) from the
 * official jars on Maven Central, for tests and laptops without a Docker engine.
 *
 *   const kafka = await startLocalKafka()
 *   kafka.brokers            // '127.0.0.1:PORT'
 *   await kafka.restart()    // same ports and data: committed offsets and topics survive
 *   await kafka.stop()
 *
 * The broker is a child JVM. It is stopped with SIGTERM (then SIGKILL after a grace period) by
 * stop(), on process exit, and by a small shell watchdog if this Node process dies without
 * running its exit handlers (SIGKILL, OOM): a leaked broker would keep its ports and temp dir.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { probeBroker } from './probe.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const CLASSPATH_FILE = join(HERE, 'target', 'classpath.txt')

export interface LocalKafkaOptions {
  /** keeps topics and offsets here (formatted on first use); default: a fresh temp dir, removed by stop() */
  dataDir?: string
  /** PLAINTEXT port on 127.0.0.1; default: a free port */
  port?: number
  /** KRaft controller port on 127.0.0.1; default: a free port */
  controllerPort?: number
  /** how long to wait for the broker to answer a metadata request; default 90 s */
  startTimeoutMs?: number
  /** how long SIGTERM may take before SIGKILL; default 15 s */
  stopGraceMs?: number
  /** JVM heap ceiling; default 512 MB */
  heapMb?: number
  /** starts with the whole heap (-Xms = -Xmx), as Kafka's own start script does; default false (tests keep memory low) */
  fixedHeap?: boolean
  /** slf4j-simple level of the broker log (in `<dataDir>/broker.log`); default 'info' */
  logLevel?: 'error' | 'warn' | 'info' | 'debug'
  /** extra server.properties entries (override the defaults) */
  serverProperties?: Record<string, string | number | boolean>
  /**
   * Leaves the broker running after this process exits (the CLI's `start`): no exit hook, no
   * watchdog, the data dir is kept. Stop it later with stopDetached() / `kafka:local stop`.
   */
  detached?: boolean
}

export interface LocalKafka {
  /** `127.0.0.1:PORT`, ready for KAFKA_BROKERS */
  readonly brokers: string
  readonly port: number
  readonly controllerPort: number
  readonly dataDir: string
  readonly logFile: string
  /** pid of the broker JVM while it runs */
  pid(): number | undefined
  isRunning(): boolean
  /**
   * Stops the broker process but keeps its data, ports and hooks, for fault tests.
   * `signal: 'SIGKILL'` simulates a crash (no controlled shutdown).
   */
  halt(options?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>
  /** starts the broker again after halt(), on the same ports and data dir, and waits until it is ready */
  resume(): Promise<void>
  /** halt() then resume(); `downMs` keeps the broker down in between */
  restart(options?: { signal?: 'SIGTERM' | 'SIGKILL'; downMs?: number }): Promise<void>
  /** final stop: stops the broker, removes hooks, deletes the data dir if it was a temp dir */
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Starts a broker and resolves once a Kafka client can list topics on it. */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const classpath = await ensureClasspath()
  const ownDataDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'orgpulse-kafka-'))
  mkdirSync(dataDir, { recursive: true })
  const port = options.port ?? (await freePort())
  let controllerPort = options.controllerPort ?? (await freePort())
  while (controllerPort === port) controllerPort = await freePort()
  const brokers = `127.0.0.1:${port}`
  const logFile = join(dataDir, 'broker.log')
  const propsFile = join(dataDir, 'server.properties')
  const logDir = join(dataDir, 'kraft')
  const startTimeoutMs = options.startTimeoutMs ?? 90_000
  const stopGraceMs = options.stopGraceMs ?? 15_000
  const heapMb = options.heapMb ?? 512
  const heapMinMb = options.fixedHeap ? heapMb : 64
  const logLevel = options.logLevel ?? 'info'

  writeFileSync(
    propsFile,
    serverProperties({ port, controllerPort, logDir, extra: options.serverProperties ?? {} }),
  )
  // Format once: a data dir that already holds meta.properties keeps its cluster id and data.
  if (!existsSync(join(logDir, 'meta.properties'))) {
    await run('java', [
      ...jvmArgs(classpath, 256, 64, 'warn'),
      'kafka.tools.StorageTool',
      'format',
      // `--cluster-id=…` form: a base64url id may start with '-', which argparse reads as a flag
      `--cluster-id=${clusterId()}`,
      '-c',
      propsFile,
    ])
  }

  let child: ChildProcess | undefined
  let watchdog: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let stopped = false

  const launch = async (): Promise<void> => {
    const out = openSync(logFile, 'a')
    try {
      child = spawn('java', [...jvmArgs(classpath, heapMb, heapMinMb, logLevel), 'kafka.Kafka', propsFile], {
        stdio: ['ignore', out, out],
        detached: options.detached ?? false,
      })
    } finally {
      closeSync(out)
    }
    const proc = child
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    proc.once('exit', () => {
      if (child === proc) child = undefined
    })
    if (options.detached) {
      proc.unref()
    } else if (proc.pid !== undefined) {
      watchdog = startWatchdog(proc.pid, ownDataDir ? dataDir : undefined)
    }
    await waitUntilReady(brokers, startTimeoutMs, logFile, () => child === proc)
  }

  const halt = async ({ signal = 'SIGTERM' }: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> => {
    const proc = child
    watchdog?.kill('SIGKILL')
    watchdog = undefined
    if (!proc) return
    proc.kill(signal)
    const done = exited
    const timer = setTimeout(() => proc.kill('SIGKILL'), signal === 'SIGKILL' ? 0 : stopGraceMs)
    await done
    clearTimeout(timer)
  }

  // 'exit' handlers must be synchronous: no graceful shutdown there, just make sure nothing leaks.
  const onExit = (): void => {
    child?.kill('SIGKILL')
    watchdog?.kill('SIGKILL')
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  if (!options.detached) process.once('exit', onExit)

  try {
    await launch()
  } catch (err) {
    await halt({ signal: 'SIGKILL' })
    process.removeListener('exit', onExit)
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true })
    throw err
  }

  const kafka: LocalKafka = {
    brokers,
    port,
    controllerPort,
    dataDir,
    logFile,
    pid: () => child?.pid,
    isRunning: () => child !== undefined,
    halt,
    resume: async () => {
      if (stopped) throw new Error('local Kafka was stopped for good; start a new one')
      if (child) return
      await launch()
    },
    restart: async (opts = {}) => {
      await halt(opts.signal ? { signal: opts.signal } : {})
      if (opts.downMs) await sleep(opts.downMs)
      await kafka.resume()
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      await halt()
      process.removeListener('exit', onExit)
      if (ownDataDir && !options.detached) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return kafka
}

function serverProperties(p: {
  port: number
  controllerPort: number
  logDir: string
  extra: Record<string, string | number | boolean>
}): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${p.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': p.logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'offsets.topic.replication.factor': 1,
    // 50 offset partitions (the default) make the first group join noticeably slower on one node
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // after a SIGKILL the restarted broker must wait for its old registration to expire
    // (default 9 s) before it is unfenced: keep crash-restart fault tests quick
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 1000,
    // orgpulse declares every topic it uses (ensureTopics): a typo must fail, not create a topic
    'auto.create.topics.enable': false,
    ...p.extra,
  }
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`
}

function jvmArgs(classpath: string, heapMb: number, heapMinMb: number, logLevel: string): string[] {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${heapMinMb}m`,
    // the GC settings of Kafka's kafka-run-class.sh (KAFKA_JVM_PERFORMANCE_OPTS)
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-Djava.awt.headless=true',
    `-Dorg.slf4j.simpleLogger.defaultLogLevel=${logLevel}`,
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-cp',
    classpath,
  ]
}

/** Kafka cluster ids are 16 random bytes in unpadded base64url. */
const clusterId = (): string => randomBytes(16).toString('base64url')

/**
 * The broker jars' classpath, resolved by Maven once and cached in target/classpath.txt
 * (re-resolved when pom.xml is newer or a jar vanished from the local repository).
 */
export async function ensureClasspath(): Promise<string> {
  if (
    existsSync(CLASSPATH_FILE) &&
    statSync(CLASSPATH_FILE).mtimeMs >= statSync(join(HERE, 'pom.xml')).mtimeMs
  ) {
    const cp = readFileSync(CLASSPATH_FILE, 'utf8').trim()
    if (cp.length > 0 && cp.split(':').every((jar) => existsSync(jar))) return cp
  }
  mkdirSync(join(HERE, 'target'), { recursive: true })
  // write to a private file and rename, so two test runs resolving at once never read half a file
  const tmp = join(HERE, 'target', `classpath.${process.pid}.txt`)
  await run(
    'mvn',
    ['-q', '-B', '-f', join(HERE, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${tmp}`],
    600_000,
  )
  renameSync(tmp, CLASSPATH_FILE)
  return readFileSync(CLASSPATH_FILE, 'utf8').trim()
}

function run(cmd: string, args: string[], timeout = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(
          new Error(
            `${cmd} ${args.slice(-4).join(' ')} failed: ${err.message}\n${tail(`${stdout}\n${stderr}`, 30)}`,
          ),
        )
      else resolve(stdout)
    })
  })
}

/** A port the OS says is free right now (the broker binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}

async function waitUntilReady(
  brokers: string,
  timeoutMs: number,
  logFile: string,
  alive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError = 'no answer yet'
  while (Date.now() < deadline) {
    if (!alive())
      throw new Error(`Kafka broker exited during startup. Tail of ${logFile}:\n${tailFile(logFile)}`)
    try {
      await probeBroker(brokers)
      return
    } catch (err) {
      lastError = (err as Error).message
    }
    await sleep(250)
  }
  throw new Error(
    `Kafka broker on ${brokers} not ready after ${timeoutMs} ms (last probe error: ${lastError}). Tail of ${logFile}:\n${tailFile(logFile)}`,
  )
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

export function tailFile(file: string, lines = 40): string {
  try {
    return tail(readFileSync(file, 'utf8'), lines)
  } catch {
    return '(no broker log)'
  }
}

/**
 * A detached `sh` that SIGKILLs the broker (and removes its temp dir) once this process is
 * gone. It exits by itself when the broker exits, and is killed by halt().
 */
function startWatchdog(brokerPid: number, removeDir: string | undefined): ChildProcess {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${brokerPid} 2>/dev/null; do sleep 1; done`,
    `kill -0 ${brokerPid} 2>/dev/null && kill -9 ${brokerPid}`,
    removeDir ? `kill -0 ${process.pid} 2>/dev/null || rm -rf '${removeDir.replaceAll("'", '')}'` : 'true',
  ].join('\n')
  const dog = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true })
  dog.unref()
  return dog
}

/** Where the CLI records a detached broker, so `stop` can find it. */
export const STATE_FILE = join(HERE, 'target', 'local-kafka.json')

export interface DetachedState {
  pid: number
  brokers: string
  dataDir: string
  logFile: string
  ownDataDir: boolean
}

/** Stops a broker started with `detached: true` (SIGTERM, SIGKILL after the grace period). */
export async function stopDetached(state: DetachedState, graceMs = 15_000): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(state.pid, 0)
      return true
    } catch {
      return false
    }
  }
  if (alive()) {
    process.kill(state.pid, 'SIGTERM')
    const deadline = Date.now() + graceMs
    while (alive() && Date.now() < deadline) await sleep(200)
    if (alive()) process.kill(state.pid, 'SIGKILL')
    while (alive()) await sleep(100)
  }
  if (state.ownDataDir) rmSync(state.dataDir, { recursive: true, force: true })
}
