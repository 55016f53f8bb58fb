import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClickHouse, queryRows } from '@orgpulse/clickhouse'
import { type FakeLinear, linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orgpulseWithEnv } from '../../../test/setup/cli.ts'

const work = mkdtempSync(join(tmpdir(), 'orgpulse-linear-cli-'))
const dataDir = join(work, 'data')
const configFile = join(work, 'orgpulse.yaml')
let fake: FakeLinear

const orgpulse = orgpulseWithEnv

beforeAll(async () => {
  fake = await startFakeLinear(linearTestSeed())
  writeFileSync(
    configFile,
    'linear:\n  teams:\n    ENG: u:eng-lead@example.com\n    PLAT: u:plat-lead@example.com\n',
  )
})
afterAll(async () => {
  await fake.close()
  rmSync(work, { recursive: true, force: true })
})

describe('orgpulse ingest linear (embedded mode)', () => {
  it('says which credential is missing', async () => {
    const r = await orgpulse(['ingest', 'linear', '--data-dir', dataDir, '--config', configFile], {
      LINEAR_API_URL: fake.url,
      LINEAR_API_KEY: '',
      LINEAR_OAUTH_TOKEN: '',
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'error: no Linear credential: set LINEAR_API_KEY (a personal API key) or LINEAR_OAUTH_TOKEN (an OAuth access token)',
    )
  })

  it('syncs the fake workspace and the cycles are queryable when it returns', async () => {
    const r = await orgpulse(
      ['ingest', 'linear', '--format', 'json', '--data-dir', dataDir, '--config', configFile],
      {
        LINEAR_API_URL: fake.url,
        LINEAR_API_KEY: fake.apiKey,
      },
    )
    expect(r.stderr).not.toContain('error:')
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout) as {
      teams: { team: string; issues: number; cycles: number }[]
      envelopes: number
    }
    expect(result.teams.map((t) => [t.team, t.issues, t.cycles])).toEqual([
      ['ENG', 44, 3],
      ['PLAT', 2, 0],
    ])
    // progress went to stderr as structured lines (not a TTY)
    expect(r.stderr).toContain('"msg":"linear ENG issues: 44/44')

    const client = createClickHouse({ dataDir })
    try {
      const cycles = await queryRows<{
        cycle_id: string
        committed: number
        completed: number
        added: number
      }>(client, 'SELECT cycle_id, committed, completed, added FROM cycles FINAL ORDER BY cycle_id')
      expect(cycles).toEqual([
        { cycle_id: 'linear:c-eng-1', committed: 20, completed: 16, added: 4 },
        { cycle_id: 'linear:c-eng-2', committed: 8, completed: 7, added: 2 },
      ])
      const [decided] = await queryRows<{ n: number }>(
        client,
        "SELECT count() AS n FROM decision_events FINAL WHERE type = 'decision.decided'",
      )
      expect(decided).toEqual({ n: 1 })
    } finally {
      await client.close()
    }
  })
})
