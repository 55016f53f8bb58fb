import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { serviceMain } from './cli.ts'
import { waitFor } from './kafka.ts'

export interface ServiceProcess {
  child: ChildProcess
  /** `http://127.0.0.1:<port>`, from the service's "Server listening at" line */
  address: string
  /** every line the service wrote, stdout and stderr */
  output: string[]
}

/**
 * One of services/<service>'s built entry points as full mode runs it: its own process, on an
 * ephemeral port of 127.0.0.1, with `env` over the test's environment. Resolves once it listens;
 * fails with its output when it exits first.
 */
export async function startServiceProcess(service: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [serviceMain(service)], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  let address = ''
  for (const stream of [child.stdout!, child.stderr!])
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line)
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (m) address = m[1]!
    })
  await waitFor(
    () => address !== '' || child.exitCode !== null,
    120_000,
    () => output.slice(-5).join('\n'),
  )
  if (!address) throw new Error(`${service} did not start:\n${output.join('\n')}`)
  return { child, address, output }
}
