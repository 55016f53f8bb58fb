import { execFile } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')

/**
 * Tests that run `orgpulse` or a service as a process run the built output, as users and
 * docker-compose do: build once per run first (incremental, about half a second when nothing
 * changed), so no test ever runs a stale build.
 */
export default async function setup(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'],
      { cwd: ROOT },
      (err, stdout, stderr) =>
        err ? reject(new Error(`pnpm build failed:\n${stdout}${stderr}`)) : resolve(),
    )
  })
}
