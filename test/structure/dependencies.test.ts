import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')

/** dependency-cruiser over the product code with the rules in .dependency-cruiser.cjs */
function cruise(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'node_modules/.bin/depcruise'),
      ['--config', '.dependency-cruiser.cjs', 'packages', 'services', 'dashboards'],
      { cwd: ROOT },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    )
  })
}

describe('the layout DESIGN.md describes', () => {
  it('has no import cycle (dynamic and type-only imports included), and no library imports a service or test/', async () => {
    const { code, out } = await cruise()
    expect(out).toContain('no dependency violations found')
    expect(code, out).toBe(0)
  }, 120_000)
})
