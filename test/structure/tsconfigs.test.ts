import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')

describe('the build (`pnpm build`)', () => {
  it("has one project per workspace package, referencing that package's workspace dependencies, and every export has its source and build targets", async () => {
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, ['scripts/tsconfigs.mjs', '--check'], { cwd: ROOT }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      )
    })
    expect(code, out).toBe(0)
  })
})
