import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_MAIN } from '../setup/cli.ts'

/**
 * The embedded engine allows one process per data directory: while `orgpulse start` holds it,
 * other `orgpulse` commands on the same directory run inside the running instance.
 */
const NODE = process.execPath
const work = mkdtempSync(join(tmpdir(), 'orgpulse-fwd-'))
const dataDir = join(work, 'data')
const env = { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ORGPULSE_CONFIG: '' }
let server: ChildProcess
let url = ''

const orgpulseWith = (extraEnv: Record<string, string>, ...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      NODE,
      [CLI_MAIN, '--data-dir', dataDir, ...args],
      { cwd: work, env: { ...env, ...extraEnv } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
const orgpulse = (...args: string[]) => orgpulseWith({}, ...args)

beforeAll(async () => {
  server = spawn(NODE, [CLI_MAIN, '--data-dir', dataDir, 'start', '--no-demo', '--port', '0'], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stderr!.resume()
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('orgpulse start did not come up')), 90_000)
    createInterface({ input: server.stdout! }).on('line', (line) => {
      const m = /running in embedded mode at (http:\/\/\S+)/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
  })
}, 120_000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const done = new Promise((r) => server.once('exit', r))
    server.kill('SIGTERM')
    await done
  }
})

describe('commands while orgpulse start holds the data directory', () => {
  it('run inside the running instance, and their results are visible through its api', async () => {
    expect(existsSync(join(dataDir, 'orgpulse.lock'))).toBe(true)
    writeFileSync(
      join(work, 'org.csv'),
      'email,name,manager_email,title\nd@x.io,Dana,,Director\nm@x.io,Mia,d@x.io,EM\na@x.io,Ann,m@x.io,Eng\n',
    )
    const imported = await orgpulse('org', 'import', 'org.csv', '--effective', '2026-01-01')
    expect(imported.stderr).not.toMatch(/only one active data directory/)
    expect(imported.code).toBe(0)
    writeFileSync(
      join(work, 'log.jsonl'),
      `${JSON.stringify({ id: 'F1', title: 'x', raisedBy: 'a@x.io', raisedAt: '2026-07-01T00:00:00Z', status: 'decided', decidedBy: 'd@x.io', decidedAt: '2026-07-02T00:00:00Z' })}\n`,
    )
    const ingested = await orgpulse('ingest', 'decisions', 'log.jsonl')
    expect(ingested.code).toBe(0)
    expect(ingested.stdout).toContain('accepted 1 decision records')
    const res = await fetch(`${url}/v1/orgs/d@x.io/metrics?from=2026-07-01&to=2026-08-01`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      metrics: Record<string, number | null>
      samples: Record<string, number | null>
      withheld: Record<string, string>
    }
    expect(body.metrics.decisions_decided).toBe(1)
    // F1 is counted for centralisation (decided by d, raised by a), one is too few to show a share
    expect(body.samples.centralization).toBe(1)
    expect(body.withheld.centralization).toBe(
      'too_few: n = 1 decisions decided that the leader did not raise (minimum 3)',
    )
  }, 120_000)

  it('review and the review exports run inside the instance and write into the caller’s directory', async () => {
    const review = await orgpulse(
      'review',
      '--org',
      'd@x.io',
      '--quarter',
      '2026-Q3',
      '--format',
      'json',
      '--out',
      'fwd.json',
    )
    expect(review.code, review.stderr).toBe(0)
    expect(review.stdout).toContain(`${join(work, 'fwd.json')}: 2026-Q3 review of`)
    const report = JSON.parse(readFileSync(join(work, 'fwd.json'), 'utf8')) as {
      org: string
      quarter: string
    }
    expect([report.org, report.quarter]).toEqual(['d@x.io', '2026-Q3'])
    const html = await orgpulse('review', '--org', 'd@x.io', '--quarter', '2026-Q3')
    expect(html.code, html.stderr).toBe(0)
    expect(html.stdout.startsWith('<!doctype html>')).toBe(true)
    const zip = await orgpulse(
      'export',
      'quarterly',
      '--org',
      'd@x.io',
      '--quarter',
      '2026-Q3',
      '--format',
      'review-zip',
      '--out',
      'fwd.zip',
    )
    expect(zip.code, zip.stderr).toBe(0)
    expect(readFileSync(join(work, 'fwd.zip')).subarray(0, 2).toString()).toBe('PK')
  }, 120_000)

  it('run with the caller’s config (--config or ORGPULSE_CONFIG), and a bad one is the caller’s error', async () => {
    // the instance runs with the defaults (privacy.minGroupSize 5); the org above has 3 people
    const reason = async (extraEnv: Record<string, string>, ...global: string[]) => {
      const r = await orgpulseWith(
        extraEnv,
        ...global,
        'metrics',
        '--org',
        'd@x.io',
        '--from',
        '2026-07-01',
        '--to',
        '2026-08-01',
        '--format',
        'json',
      )
      expect(r.code, r.stderr).toBe(0)
      return (JSON.parse(r.stdout) as { withheld: Record<string, string> }).withheld
        .meeting_hours_per_person_week
    }
    expect(await reason({})).toMatch(/^withheld:/)
    writeFileSync(join(work, 'small.yaml'), 'privacy: { minGroupSize: 1 }\n')
    // with groups of one allowed, the figure is missing for want of calendars, not for privacy
    expect(await reason({}, '--config', 'small.yaml')).toMatch(/^no_data:/)
    expect(await reason({ ORGPULSE_CONFIG: join(work, 'small.yaml') })).toMatch(/^no_data:/)
    writeFileSync(join(work, 'bad.yaml'), 'privacy: { minGroupSize: many }\n')
    const bad = await orgpulse(
      '--config',
      'bad.yaml',
      'metrics',
      '--org',
      'd@x.io',
      '--from',
      '2026-07-01',
      '--to',
      '2026-08-01',
    )
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain(`${join(work, 'bad.yaml')} is invalid`)
    expect(bad.stderr).toContain('privacy.minGroupSize')
    const missing = await orgpulseWith({ ORGPULSE_CONFIG: join(work, 'missing.yaml') }, 'org', 'directors')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`config file not found: ${join(work, 'missing.yaml')}`)
  }, 120_000)

  it('refuses a second start on the same directory', async () => {
    const second = await orgpulse('start', '--no-demo', '--port', '0')
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/in use by orgpulse/)
  }, 60_000)
})
