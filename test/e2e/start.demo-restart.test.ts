import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { CLI_MAIN, orgpulseIn } from '../setup/cli.ts'

/**
 * `pnpm start` on a data dir that holds the demo reuses the demo's config (its team mapping and
 * rituals), whose Jira and Linear sections pointed at fake servers that only ran while the demo
 * loaded: a restart must not pull them every 15 minutes and report each pull as FAILED.
 */
const work = mkdtempSync(join(tmpdir(), 'orgpulse-demo-restart-'))
const dataDir = join(work, 'data')

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('orgpulse start on a data dir that holds the demo', () => {
  it('keeps the demo config for its figures, and pulls no connector', async () => {
    const demo = await orgpulseIn({ dataDir, cwd: work })('demo', '--people', '30', '--weeks', '4')
    expect(demo.code, demo.stderr).toBe(0)
    expect(existsSync(join(dataDir, 'demo', 'orgpulse.demo.yaml'))).toBe(true)

    const child = spawn(process.execPath, [CLI_MAIN, '--data-dir', dataDir, 'start', '--port', '0'], {
      cwd: work,
      env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: '' },
    })
    const lines: string[] = []
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    const running = new Promise<void>((resolve) => {
      for (const stream of [child.stdout, child.stderr])
        createInterface({ input: stream }).on('line', (line) => {
          lines.push(line)
          if (line.includes('stop:')) resolve()
        })
    })
    await Promise.race([running, exited])
    // a pull would start at once: give it the time a failed pull takes here, with margin
    await new Promise((r) => setTimeout(r, 2_000))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const out = lines.join('\n')
    expect(out).toMatch(/running in embedded mode/)
    expect(out).not.toMatch(/pulls:/)
    expect(out).not.toMatch(/FAILED/)
  }, 180_000)
})
