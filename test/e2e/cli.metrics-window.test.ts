import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/** `orgpulse metrics` refuses a window longer than 2 years like any other usage error. */
const ROOT = join(import.meta.dirname, '..', '..')
const work = mkdtempSync(join(tmpdir(), 'orgpulse-window-'))

function orgpulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'node_modules/.bin/tsx'),
      [join(ROOT, 'packages/cli/src/main.ts'), '--data-dir', join(work, 'data'), ...args],
      { cwd: work, env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: '' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe('orgpulse metrics window cap', () => {
  it('a 230-year weekly request exits 1 with the limit in the message, before any query', async () => {
    const r = await orgpulse(
      'metrics',
      '--org',
      'dir@x.io',
      '--from',
      '1800-01-01',
      '--to',
      '2030-01-01',
      '--grain',
      'week',
    )
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /the window 1800-01-01 → 2030-01-01 spans 84006 days; one request covers at most 731 days \(2 years, 105 weeks with --grain week\)/,
    )
    expect(r.stdout).toBe('')
  })

  it('exactly 2 years passes the cap (and then finds no org in an empty data dir)', async () => {
    const r = await orgpulse('metrics', '--org', 'dir@x.io', '--from', '2024-01-01', '--to', '2026-01-01')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no org led by dir@x\.io/)
  })
})
