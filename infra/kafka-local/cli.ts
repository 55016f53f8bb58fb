/**
 * `pnpm kafka:local start|stop|status|run`
 *
 *   start   starts a broker in the background, prints KAFKA_BROKERS=127.0.0.1:PORT
 *   stop    stops the broker started by `start` (SIGTERM, then SIGKILL)
 *   status  prints the running broker, if any
 *   run     runs a broker in the foreground until Ctrl-C
 *
 * Options: --port N, --data-dir DIR (kept across runs; default: a temp dir removed on stop).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { type DetachedState, STATE_FILE, startLocalKafka, stopDetached } from './local-kafka.ts'

const usage = 'usage: pnpm kafka:local start|stop|status|run [--port N] [--data-dir DIR]'

function readState(): DetachedState | undefined {
  if (!existsSync(STATE_FILE)) return undefined
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as DetachedState
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const command = positionals[0]
  if (values.help || !command) {
    console.log(usage)
    return command || values.help ? 0 : 1
  }
  const options = {
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  }

  switch (command) {
    case 'start': {
      const previous = readState()
      if (previous && isAlive(previous.pid)) {
        console.log(`already running (pid ${previous.pid})\nKAFKA_BROKERS=${previous.brokers}`)
        return 0
      }
      const kafka = await startLocalKafka({ ...options, detached: true })
      const state: DetachedState = {
        pid: kafka.pid() ?? -1,
        brokers: kafka.brokers,
        dataDir: kafka.dataDir,
        logFile: kafka.logFile,
        ownDataDir: options.dataDir === undefined,
      }
      writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`)
      console.log(
        `Kafka broker running (pid ${state.pid}), log: ${state.logFile}\nKAFKA_BROKERS=${state.brokers}`,
      )
      return 0
    }
    case 'stop': {
      const state = readState()
      if (!state) {
        console.log('no local Kafka recorded')
        return 0
      }
      await stopDetached(state)
      rmSync(STATE_FILE, { force: true })
      console.log(`stopped (pid ${state.pid})`)
      return 0
    }
    case 'status': {
      const state = readState()
      if (state && isAlive(state.pid)) {
        console.log(`running (pid ${state.pid}), log: ${state.logFile}\nKAFKA_BROKERS=${state.brokers}`)
        return 0
      }
      console.log('not running')
      return 1
    }
    case 'run': {
      const kafka = await startLocalKafka(options)
      console.log(
        `Kafka broker running (pid ${kafka.pid()}), log: ${kafka.logFile}\nKAFKA_BROKERS=${kafka.brokers}\nCtrl-C stops it.`,
      )
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await kafka.stop()
      return 0
    }
    default:
      console.error(usage)
      return 1
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  },
)
