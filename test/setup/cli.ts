import { execFile } from 'node:child_process'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')

/**
 * A service's built entry point: what `pnpm start` and docker-compose run. The suite's global
 * setup builds first (test/setup/build.ts), so this is never a stale build.
 */
export const serviceMain = (service: string): string => join(ROOT, 'services', service, 'dist', 'main.js')

/** the `orgpulse` command's built entry point */
export const CLI_MAIN = serviceMain('cli')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * The `orgpulse` command as a user runs it (`pnpm orgpulse …` is this plus pnpm): a real process
 * in embedded mode on `dataDir`, from `cwd`, with no server settings inherited from the test's
 * environment. `config` is the orgpulse.yaml to use ('' for none).
 */
export function orgpulseIn(opts: {
  dataDir: string
  cwd: string
  config?: string
}): (...args: string[]) => Promise<CliResult> {
  return (...args) =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI_MAIN, '--data-dir', opts.dataDir, ...args],
        {
          cwd: opts.cwd,
          env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: opts.config ?? '' },
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
    })
}

/**
 * The built `orgpulse` as its own process in embedded mode (no broker, no ClickHouse server),
 * from the repository root, with `env` over the test's environment: how the connector CLI tests
 * run it against their fake vendors.
 */
export function orgpulseWithEnv(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' },
        timeout: 120_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}
