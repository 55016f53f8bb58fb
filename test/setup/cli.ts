import { execFile } from 'node:child_process'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')

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
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'services/cli/src/main.ts'), '--data-dir', opts.dataDir, ...args],
        {
          cwd: opts.cwd,
          env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: opts.config ?? '' },
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
    })
}
