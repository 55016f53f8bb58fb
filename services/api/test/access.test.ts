import { createHash } from 'node:crypto'
import {
  accessStatements,
  type ClickHouseClient,
  directorUser,
  POLICY_TABLES,
  policyCondition,
  queryRows,
} from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshClickHouse, importFixtureOrg } from './helpers.ts'

/*
 * chDB has no access-control storage: CREATE USER / ROLE / ROW POLICY are rejected there. What is
 * tested here: every generated statement parses with ClickHouse's own parser (formatQuery, same
 * engine version as the server), and every row-policy condition, run as a WHERE clause on chDB
 * against the fixture org, selects exactly that director's rows. Applying the statements and a
 * director user's view through the policies need a ClickHouse server and are not tested here.
 */
let client: ClickHouseClient

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await client.insert({
    table: 'metric_rollups',
    values: ['u:dir@x.io', 'u:m1@x.io', 'u:m2@x.io', 'u:dir2@x.io', 'u:m3@x.io', 'u:ceo@x.io'].map(
      (scope) => ({
        scope,
        grain: 'week',
        period_start: '2026-07-06 00:00:00.000',
        period_end: '2026-07-13 00:00:00.000',
        metric: 'decisions_decided',
        value: 1,
        people: 5,
        computed_at: '2026-07-13 00:00:00.000',
      }),
    ),
    format: 'JSONEachRow',
  })
})

afterAll(async () => {
  await client?.close()
})

describe('accessStatements', () => {
  it('provisions every director of the latest snapshot, passwords from env or generated once', async () => {
    const user = directorUser('dir@x.io')
    const env = parseEnv({
      [`ORGPULSE_CH_PASSWORD_${user.replace('orgpulse_dir_', '').toUpperCase()}`]: 'from-env-secret',
    })
    const plan = await accessStatements(client, {
      database: 'default',
      env,
      existingUsers: new Set([directorUser('dir2@x.io')]),
    })
    expect(plan.directors.map((d) => [d.director, d.passwordSource])).toEqual([
      ['ceo@x.io', 'generated'],
      ['dir2@x.io', 'unchanged'],
      ['dir@x.io', 'env'],
    ])
    expect(plan.directors[2]!.password).toBe('from-env-secret')
    expect(plan.directors[0]!.password).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect(plan.directors[1]!.password).toBeNull()
    const sql = plan.statements.join('\n')
    // only hashes reach the SQL
    expect(sql).not.toContain('from-env-secret')
    expect(sql).not.toContain(plan.directors[0]!.password!)
    const m = new RegExp(
      `ALTER USER ${user} IDENTIFIED WITH sha256_hash BY '([0-9a-f]{64})' SALT '([0-9a-f]{16})'`,
    ).exec(sql)!
    expect(createHash('sha256').update(`from-env-secret${m[2]}`).digest('hex')).toBe(m[1])
    // the existing user keeps its password: no CREATE/ALTER with a hash for it
    expect(sql).not.toMatch(new RegExp(`(CREATE|ALTER) USER (IF NOT EXISTS )?${directorUser('dir2@x.io')} `))
    expect(
      plan.statements.filter((s) => s.startsWith('CREATE ROW POLICY OR REPLACE orgpulse_unrestricted')),
    ).toHaveLength(4)
    expect(plan.statements[0]).toBe(
      "CREATE SETTINGS PROFILE OR REPLACE orgpulse_director_profile SETTINGS readonly = 1, max_execution_time = 30, max_result_rows = 100000, result_overflow_mode = 'throw'",
    )
  })

  it('every statement parses with the ClickHouse parser', async () => {
    const plan = await accessStatements(client, { database: 'default', env: parseEnv({}) })
    expect(plan.statements.length).toBe(2 + 5 + 3 * (2 + 4) + 4)
    for (const statement of plan.statements) {
      const rows = await queryRows<{ f: string }>(client, 'SELECT formatQuery({q:String}) AS f', {
        q: statement,
      })
      expect(rows[0]!.f.length).toBeGreaterThan(0)
    }
  })

  it("each policy condition selects exactly the director's rows", async () => {
    const count = async (table: string, email: string) => {
      const condition = policyCondition(table, email, 'default')!
      const rows = await queryRows<{ n: string }>(
        client,
        `SELECT count() AS n FROM default.${table} WHERE ${condition}`,
      )
      return Number(rows[0]!.n)
    }
    const keyOf = (t: string) =>
      ({ metric_rollups: 'scope', org_units: 'unit_id', org_people: 'person_id', org_closure: 'unit_id' })[
        t
      ] ?? '1'
    const keys = async (table: string, email: string) => {
      const rows = await queryRows<{ k: string[] }>(
        client,
        `SELECT arraySort(groupArray(${keyOf(table)})) AS k FROM default.${table} WHERE ${policyCondition(table, email, 'default')!}`,
      )
      return rows[0]!.k
    }
    expect(await keys('metric_rollups', 'dir@x.io')).toEqual(['u:dir@x.io', 'u:m1@x.io', 'u:m2@x.io'])
    expect(await keys('org_units', 'dir@x.io')).toEqual(['u:dir@x.io', 'u:m1@x.io', 'u:m2@x.io'])
    expect(await keys('org_people', 'dir@x.io')).toEqual([
      'a1@x.io',
      'a2@x.io',
      'a3@x.io',
      'a4@x.io',
      'a5@x.io',
      'b1@x.io',
      'b2@x.io',
      'dir@x.io',
      'm1@x.io',
      'm2@x.io',
    ])
    expect(await keys('org_closure', 'dir@x.io')).toEqual(['u:dir@x.io', 'u:m1@x.io', 'u:m2@x.io'])
    expect(await keys('metric_rollups', 'dir2@x.io')).toEqual(['u:dir2@x.io', 'u:m3@x.io'])
    expect(await count('org_people', 'ceo@x.io')).toBe(16)
    expect(POLICY_TABLES.org_snapshots!('', '')).toBeNull()
  })

  it('refuses values that are not plain emails instead of writing them into DDL', async () => {
    await expect(accessStatements(client, { directors: ["x'; DROP TABLE t; --@x.io"] })).rejects.toThrow(
      'not a plain email address',
    )
    await expect(accessStatements(client, { directors: ['a@x.io'], database: 'db; DROP' })).rejects.toThrow(
      'database name is not an identifier',
    )
  })
})
