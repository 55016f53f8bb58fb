import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { orgpulseIn } from '../setup/cli.ts'

/** `orgpulse metrics` refuses a window longer than 2 years like any other usage error. */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-window-'))

const orgpulse = orgpulseIn({ dataDir: join(work, 'data'), cwd: work })

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
