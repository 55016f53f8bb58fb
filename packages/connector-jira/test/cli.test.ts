import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createClickHouse, queryRows } from '@orgpulse/clickhouse'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orgpulseWithEnv } from '../../../test/setup/cli.ts'
import { seed, tempDir, USERS } from './fixtures.ts'

/** `orgpulse ingest jira` as a user runs it: a separate process, embedded mode, env pointing at the fake. */

const ROOT = resolve(import.meta.dirname, '../../..')
/** the built command (the suite's global setup builds it), run by node itself as a process manager would */
const CLI_MAIN = join(ROOT, 'services/cli/dist/main.js')
const dir = tempDir('jira-cli')
const dataDir = join(dir, 'data')
const configFile = join(dir, 'orgpulse.yaml')
let fake: FakeJira

const orgpulse = orgpulseWithEnv

/**
 * A long-running command, run by node itself (not npx) so a signal reaches the CLI as a process
 * manager's would; `rounds(n)` waits until n jira pulls are done (or a minute passed).
 */
function running(args: string[]) {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  const done = () => (stderr.match(/ingest watch: jira done/g) ?? []).length
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    async rounds(n: number): Promise<number> {
      const deadline = Date.now() + 60_000
      while (done() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      return done()
    },
    stop(): Promise<number | null> {
      child.kill('SIGTERM')
      return exited
    },
  }
}

beforeAll(async () => {
  fake = await startFakeJira(seed())
  // JSON is YAML: the config names env variables, never secrets
  writeFileSync(
    configFile,
    JSON.stringify({
      jira: {
        projects: ['ENG', 'OPS'],
        teams: [
          { team: 'u:erin@acme.test', projects: ['ENG'] },
          { team: 'u:olga@acme.test', projects: ['OPS'] },
        ],
      },
    }),
  )
})
afterAll(async () => {
  await fake?.close()
  rmSync(dir, { recursive: true, force: true })
})

const env = () => ({ JIRA_BASE_URL: fake.url, JIRA_EMAIL: 'bot@example.com', JIRA_API_TOKEN: 'api-token' })

describe('orgpulse ingest jira (embedded mode)', () => {
  it('syncs the fake Jira, then picks up only changes on the next run', async () => {
    const first = await orgpulse(
      ['ingest', 'jira', '--data-dir', dataDir, '--config', configFile, '--format', 'json'],
      env(),
    )
    expect(first.stderr).not.toMatch(/error/)
    expect(first.code).toBe(0)
    const result = JSON.parse(first.stdout) as {
      projects: { project: string; mode: string; issues: number }[]
    }
    expect(result.projects.map((p) => [p.project, p.mode, p.issues])).toEqual([
      ['ENG', 'full', 4],
      ['OPS', 'full', 2],
    ])
    // not a TTY: progress arrives as structured log records
    const progress = first.stderr
      .split('\n')
      .filter((l) => l.includes('jira sync progress'))
      .map((l) => JSON.parse(l) as { project: string; done: number; total: number })
    expect(progress.map((p) => [p.project, p.done, p.total])).toEqual([
      ['ENG', 4, 4],
      ['OPS', 2, 2],
    ])

    fake.transition('OPS-1', 'In Progress', { by: USERS.olga.accountId, at: Date.UTC(2026, 2, 9, 10) })
    const second = await orgpulse(['ingest', 'jira', '--data-dir', dataDir, '--config', configFile], env())
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('jira OPS: incremental sync')
    expect(second.stdout).toMatch(
      /jira OPS: incremental sync \(changes since 2026-03-06T09:00:00.000Z minus 15 min lag\): 2 issue\(s\)/,
    )
  }, 120_000)

  it('fails with a message naming the credential when Jira rejects it', async () => {
    const bad = await orgpulse(['ingest', 'jira', '--data-dir', dataDir, '--config', configFile], {
      ...env(),
      JIRA_API_TOKEN: 'wrong',
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('rejected the credentials from JIRA_EMAIL + JIRA_API_TOKEN (401')
    const missing = await orgpulse(['ingest', 'jira', '--data-dir', dataDir, '--config', configFile], {
      JIRA_BASE_URL: fake.url,
      JIRA_EMAIL: '',
      JIRA_API_TOKEN: '',
    })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('set JIRA_EMAIL and JIRA_API_TOKEN')
  }, 120_000)

  it('left the facts queryable in the data directory', async () => {
    const client = createClickHouse({ dataDir })
    try {
      expect(await queryRows(client, 'SELECT toInt32(count()) AS n FROM workitem_events FINAL')).toEqual([
        { n: 7 },
      ])
      expect(
        await queryRows(
          client,
          "SELECT to_status, actor FROM workitem_events FINAL WHERE item_id = 'jira:OPS-1' AND from_status != ''",
        ),
      ).toEqual([{ to_status: 'In Progress', actor: 'olga@acme.test' }])
    } finally {
      await client.close()
    }
  })
})

describe('orgpulse ingest watch', () => {
  it('--once runs one round of every configured connector, each as `ingest <source>` would', async () => {
    fake.transition('ENG-4', 'In Progress', { by: 'acc-erin', at: Date.now() })
    const before = fake.count('/rest/api/3/search/jql', 'POST')
    const round = await orgpulse(
      ['ingest', 'watch', '--once', '--data-dir', dataDir, '--config', configFile],
      env(),
    )
    expect(round.code).toBe(0)
    // only jira is configured: one incremental jira run, then done
    expect(round.stderr).toMatch(/ingest watch: jira…\n[\s\S]*ingest watch: jira done/)
    expect(round.stderr).not.toMatch(/linear|calendar/)
    expect(round.stdout).toMatch(/jira ENG: incremental sync/)
    expect(fake.count('/rest/api/3/search/jql', 'POST')).toBeGreaterThan(before)
    const client = createClickHouse({ dataDir })
    try {
      expect(
        await queryRows(
          client,
          "SELECT to_status FROM workitem_events FINAL WHERE item_id = 'jira:ENG-4' AND from_status != ''",
        ),
      ).toEqual([{ to_status: 'In Progress' }])
    } finally {
      await client.close()
    }
  }, 120_000)

  it('a failing connector makes --once exit 2; unknown or unconfigured connectors are refused', async () => {
    const failed = await orgpulse(
      ['ingest', 'watch', '--once', '--data-dir', dataDir, '--config', configFile],
      { ...env(), JIRA_API_TOKEN: 'wrong' },
    )
    expect(failed.code).toBe(2)
    expect(failed.stderr).toMatch(/ingest watch: jira FAILED \(exit [1-9]\)/)
    const unknown = await orgpulse(['ingest', 'watch', '--only', 'github', '--config', configFile], env())
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('unknown connector(s) github')
    const none = await orgpulse(['ingest', 'watch', '--only', 'linear', '--config', configFile], env())
    expect(none.code).not.toBe(0)
    expect(none.stderr).toContain('nothing to watch: orgpulse.yaml configures none of linear')
  }, 120_000)

  it('repeats the round every --every minutes until SIGTERM, which ends it cleanly', async () => {
    const run = running(['ingest', 'watch', '--every', '0.02', '--data-dir', dataDir, '--config', configFile])
    expect(await run.rounds(2)).toBeGreaterThanOrEqual(2)
    expect(run.stderr()).toMatch(/next round at \d{4}-\d{2}-\d{2}T/)
    expect(await run.stop()).toBe(0)
  }, 120_000)

  it('`start` pulls the configured connectors on its own schedule, and stops cleanly', async () => {
    const own = join(dir, 'start-data')
    const run = running([
      'start',
      '--port',
      '0',
      '--pull-every',
      '0.02',
      '--data-dir',
      own,
      '--config',
      configFile,
    ])
    expect(await run.rounds(2)).toBeGreaterThanOrEqual(2)
    expect(run.stdout()).toContain('pulls:   jira every 0.02 min')
    expect(await run.stop()).toBe(0)
    const client = createClickHouse({ dataDir: own })
    try {
      const [row] = await queryRows<{ n: number }>(
        client,
        "SELECT toInt32(uniqExact(item_id)) AS n FROM workitem_events FINAL WHERE item_id LIKE 'jira:%'",
      )
      expect(row!.n).toBe(6)
    } finally {
      await client.close()
    }
  }, 150_000)
})
