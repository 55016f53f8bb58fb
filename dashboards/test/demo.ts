import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import type { DemoCompany } from '@orgpulse/demo'
import { loadDemo } from '@orgpulse/demo'
import { refreshRollups } from '@orgpulse/metrics'
import { openRuntime, type Runtime } from '../../services/cli/src/runtime.ts'

/** the demo the committed dashboards and the tests are checked against */
export const DEMO = { people: 120, weeks: 26, seed: 1, end: new Date('2026-11-23T00:00:00Z') }

/**
 * The demo company in a fresh embedded ClickHouse (one data dir per test file: chDB allows one
 * per process), loaded through the real pipeline, with the weekly rollups the dashboards read.
 */
export async function demoRuntime(): Promise<{ rt: Runtime; company: DemoCompany }> {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-dashboards-'))
  const rt = await openRuntime({ env: parseEnv(process.env), dataDir: dir })
  const { company } = await loadDemo(rt, DEMO)
  await refreshRollups(rt.client, rt.config, { from: company.start, to: company.end })
  return { rt, company }
}
