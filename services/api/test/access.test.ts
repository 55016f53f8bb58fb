import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type AccessPlan,
  accessStatements,
  type ClickHouseClient,
  DIRECTOR_PROFILE,
  DIRECTOR_ROLE,
  directorUser,
  GRAFANA_ADMIN_USER,
  POLICY_TABLES,
  queryRows,
  refreshAccess,
  SERVICE_POLICY,
  userSlug,
} from '@orgpulse/clickhouse'
import { configSchema, parseEnv } from '@orgpulse/contracts'
import { expandQuery, grafanaDashboards } from '@orgpulse/dashboards'
import { importOrg } from '@orgpulse/org'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decisionEvents,
  freshClickHouse,
  importFixtureOrg,
  insertEvents,
  linkEvents,
  ORG_CSV,
} from './helpers.ts'

/*
 * chDB has no access-control storage: CREATE USER / ROLE / ROW POLICY are rejected there. What is
 * tested here: every generated statement parses with ClickHouse's own parser (formatQuery, same
 * engine version as the server); the USING clause of every generated row policy, cut out of the
 * generated statement and run as a WHERE clause on chDB against a re-orged fixture org, selects
 * exactly the rows of the director's org in the current snapshot; and the full list of grants and
 * policies a director user ends up with is asserted. Applying the statements on a server (and
 * querying as the user) needs a ClickHouse server and is not covered here.
 */
let client: ClickHouseClient
let dir: string

const DB = 'default'
const dirUser = directorUser('dir@x.io')
const dir2User = directorUser('dir2@x.io')
const ceoUser = directorUser('ceo@x.io')

const rollup = (scope: string, periodStart: string) => ({
  scope,
  grain: 'week',
  period_start: `${periodStart} 00:00:00.000`,
  period_end: `${periodStart} 00:00:00.000`,
  metric: 'decisions_decided',
  value: 1,
  people: 5,
  computed_at: '2026-07-13 00:00:00.000',
})

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  dir = ch.dir
  await importFixtureOrg(client, dir)
  const scopes = ['u:dir@x.io', 'u:m1@x.io', 'u:m2@x.io', 'u:dir2@x.io', 'u:m3@x.io', 'u:ceo@x.io']
  await client.insert({
    table: 'metric_rollups',
    // one week before the re-org, one after
    values: scopes.flatMap((s) => [rollup(s, '2026-02-02'), rollup(s, '2026-07-06')]),
    format: 'JSONEachRow',
  })
  await insertEvents(client, [
    ...decisionEvents({ id: 'A1', raisedBy: 'a1@x.io', raisedAt: '2026-02-02T10:00:00Z' }),
    // b1's team m2 moves to dir2 below; the decision was raised while it was dir's
    ...decisionEvents({ id: 'B1', raisedBy: 'b1@x.io', raisedAt: '2026-02-03T10:00:00Z' }),
    ...decisionEvents({ id: 'C1', raisedBy: 'c1@x.io', raisedAt: '2026-02-04T10:00:00Z' }),
    ...linkEvents('L1', 'm1@x.io', 'u:m3@x.io', '2026-02-05T10:00:00Z'),
    ...linkEvents('L2', 'u:m2@x.io', 'M3@x.io', '2026-02-05T10:00:00Z'),
  ])
})

afterAll(async () => {
  await client?.close()
})

/** re-org: team m2 moves from dir to dir2 */
async function reorg(): Promise<void> {
  const file = join(dir, 'org-reorg.csv')
  writeFileSync(file, ORG_CSV.replace('m2@x.io,Max Manager,dir@x.io,EM', 'm2@x.io,Max Manager,dir2@x.io,EM'))
  await importOrg({ client, file, effective: '2026-06-01' })
}

const POLICY = /^CREATE ROW POLICY OR REPLACE (\w+) ON (\w+)\.(\w+) FOR SELECT USING (.+) TO ([\w, ]+)$/

/** table → USING clause of the generated policy for `user` */
function policiesOf(plan: AccessPlan, user: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const s of plan.statements) {
    const m = POLICY.exec(s)
    if (m && m[5]!.split(', ').includes(user)) out[m[3]!] = m[4]!
  }
  return out
}

/** what `user` reads of `table` through its generated policy: the `key` column of the admitted rows */
async function visible(plan: AccessPlan, user: string, table: string, key: string): Promise<string[]> {
  const using = policiesOf(plan, user)[table]
  if (!using) throw new Error(`no policy on ${table} for ${user}`)
  const rows = await queryRows<{ k: string[] }>(
    client,
    `SELECT arraySort(groupUniqArray(${key})) AS k FROM ${DB}.${table} WHERE ${using}`,
  )
  return rows[0]!.k
}

describe('accessStatements', () => {
  it('provisions every director of the latest snapshot, passwords from env or generated once', async () => {
    const env = parseEnv({
      [`ORGPULSE_CH_PASSWORD_${userSlug('dir@x.io').toUpperCase()}`]: 'from-env-secret',
    })
    const plan = await accessStatements(client, { database: DB, env, existingUsers: new Set([dir2User]) })
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
      `ALTER USER ${dirUser} IDENTIFIED WITH sha256_hash BY '([0-9a-f]{64})' SALT '([0-9a-f]{16})'`,
    ).exec(sql)!
    expect(createHash('sha256').update(`from-env-secret${m[2]}`).digest('hex')).toBe(m[1])
    // the existing user keeps its password: no CREATE/ALTER with a hash for it
    expect(sql).not.toMatch(new RegExp(`(CREATE|ALTER) USER (IF NOT EXISTS )?${dir2User} `))
  })

  it('every statement parses with the ClickHouse parser', async () => {
    const plan = await accessStatements(client, {
      database: DB,
      env: parseEnv({}),
      existingUsers: new Set([directorUser('gone@x.io')]),
    })
    const tables = Object.keys(POLICY_TABLES).length
    // drop a leaver (user + policies), profile, role, revoke, grants, service and legacy policies,
    // then per director: create user, revoke, grant role, one policy per table
    expect(plan.statements.length).toBe(1 + tables + 3 + tables + 3 + 2 * tables + 3 * (3 + tables))
    for (const statement of plan.statements) {
      const rows = await queryRows<{ f: string }>(client, 'SELECT formatQuery({q:String}) AS f', {
        q: statement,
      })
      expect(rows[0]!.f.length).toBeGreaterThan(0)
    }
  })

  it("creates Main Org's read-only user only when its password is given: the directors' profile and grants, every row", async () => {
    const without = await accessStatements(client, { database: DB, env: parseEnv({}) })
    expect(without.statements.join('\n')).not.toContain(GRAFANA_ADMIN_USER)
    const plan = await accessStatements(client, {
      database: DB,
      env: parseEnv({}),
      grafanaAdminPassword: 's3cret',
    })
    const about = plan.statements.filter((q) => q.includes(GRAFANA_ADMIN_USER))
    const create = about.find((q) => q.startsWith('CREATE USER'))!
    expect(create).toMatch(
      new RegExp(
        `^CREATE USER IF NOT EXISTS ${GRAFANA_ADMIN_USER} IDENTIFIED WITH sha256_hash BY '[0-9a-f]{64}' SALT '[0-9a-f]{16}' DEFAULT ROLE ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}$`,
      ),
    )
    // the plain password never reaches the DDL
    expect(about.join('\n')).not.toContain('s3cret')
    expect(about.filter((q) => !q.startsWith('CREATE USER') && !q.startsWith('ALTER USER'))).toEqual([
      ...Object.keys(POLICY_TABLES).map(
        (t) =>
          `CREATE ROW POLICY OR REPLACE orgpulse_service ON ${DB}.${t} FOR SELECT USING 1 TO default, ${GRAFANA_ADMIN_USER}`,
      ),
      `REVOKE ALL ON *.* FROM ${GRAFANA_ADMIN_USER}`,
      `GRANT ${DIRECTOR_ROLE} TO ${GRAFANA_ADMIN_USER}`,
    ])
  })

  it('lists every grant, setting and policy a director user gets, and nothing else', async () => {
    const plan = await accessStatements(client, { database: DB, env: parseEnv({}) })
    const about = (name: string) =>
      plan.statements.filter((s) =>
        new RegExp(`(?:TO|FROM) ${name}$|^CREATE (?:ROLE|USER) IF NOT EXISTS ${name} `).test(s),
      )
    const tables = [
      'metric_rollups',
      'org_units',
      'org_people',
      'org_closure',
      'org_snapshots',
      'identity_map',
      'decision_events',
      'dependency_events',
    ]
    // the role: exactly these SELECT grants (every one a table with a policy, plus the schema
    // tables the Grafana plugin browses), after revoking anything an older run granted
    expect(about(DIRECTOR_ROLE).filter((s) => !s.startsWith(`GRANT ${DIRECTOR_ROLE} TO`))).toEqual([
      `CREATE ROLE IF NOT EXISTS ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
      `REVOKE ALL ON *.* FROM ${DIRECTOR_ROLE}`,
      ...tables.map((t) => `GRANT SELECT ON ${DB}.${t} TO ${DIRECTOR_ROLE}`),
      `GRANT SELECT ON system.databases TO ${DIRECTOR_ROLE}`,
      `GRANT SELECT ON system.tables TO ${DIRECTOR_ROLE}`,
      `GRANT SELECT ON system.columns TO ${DIRECTOR_ROLE}`,
    ])
    expect(plan.statements.filter((s) => /^GRANT /.test(s) && !s.includes(` TO ${DIRECTOR_ROLE}`))).toEqual(
      [ceoUser, dir2User, dirUser].map((u) => `GRANT ${DIRECTOR_ROLE} TO ${u}`),
    )
    // the profile: readonly = 2 so the plugin's max_execution_time is accepted, within constraints
    expect(plan.statements).toContain(
      `CREATE SETTINGS PROFILE OR REPLACE ${DIRECTOR_PROFILE} SETTINGS readonly = 2 CONST, max_execution_time = 60 MIN 1 MAX 60, max_result_rows = 100000 MIN 1 MAX 100000, result_overflow_mode = 'throw' CONST, allow_ddl = 0 CONST, allow_introspection_functions = 0 CONST`,
    )
    expect(plan.statements.join('\n')).not.toMatch(/readonly = 1/)
    // the user: created with the role and profile, its own grants revoked, the role, one policy per granted table
    const user = about(dirUser).map((s) => s.replace(/BY '[0-9a-f]{64}' SALT '[0-9a-f]{16}'/, 'BY … SALT …'))
    const policy = `orgpulse_${userSlug('dir@x.io')}`
    expect(user).toEqual([
      `CREATE USER IF NOT EXISTS ${dirUser} IDENTIFIED WITH sha256_hash BY … SALT … DEFAULT ROLE ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
      `REVOKE ALL ON *.* FROM ${dirUser}`,
      `GRANT ${DIRECTOR_ROLE} TO ${dirUser}`,
      ...tables.map((t) =>
        expect.stringMatching(
          new RegExp(
            `^CREATE ROW POLICY OR REPLACE ${policy} ON ${DB}\\.${t} FOR SELECT USING .+ TO ${dirUser}$`,
          ),
        ),
      ),
    ])
    expect(Object.keys(policiesOf(plan, dirUser))).toEqual(tables)
    // the service user reads every row by name; nobody gets a TO ALL policy any more
    for (const t of tables)
      expect(plan.statements).toContain(
        `CREATE ROW POLICY OR REPLACE ${SERVICE_POLICY} ON ${DB}.${t} FOR SELECT USING 1 TO default`,
      )
    expect(plan.statements.join('\n')).not.toMatch(/\bTO ALL\b/)
    for (const t of tables)
      expect(plan.statements).toContain(`DROP ROW POLICY IF EXISTS orgpulse_unrestricted ON ${DB}.${t}`)
    // before the re-org, dir's org is itself and its two teams
    expect(plan.directors.find((d) => d.director === 'dir@x.io')!.units).toEqual([
      'u:dir@x.io',
      'u:m1@x.io',
      'u:m2@x.io',
    ])
  })

  it('refuses values that are not plain emails or identifiers instead of writing them into DDL', async () => {
    await expect(accessStatements(client, { directors: ["x'; DROP TABLE t; --@x.io"] })).rejects.toThrow(
      'not a plain email address',
    )
    await expect(accessStatements(client, { directors: ['a@x.io'], database: 'db; DROP' })).rejects.toThrow(
      'database name is not an identifier',
    )
    await expect(accessStatements(client, { serviceUsers: ['x TO ALL'] })).rejects.toThrow(
      'service user is not an identifier',
    )
    await expect(accessStatements(client, { maxExecutionTime: 0 })).rejects.toThrow('positive integer')
  })
})

describe('after a re-org (team m2 moves from dir to dir2)', () => {
  let plan: AccessPlan
  beforeAll(async () => {
    await reorg()
    plan = await accessStatements(client, { database: DB, env: parseEnv({}) })
  })

  it("admits exactly the current snapshot's units of each org, for every period", async () => {
    expect(plan.snapshot).toBe('2026-06-01')
    expect(plan.directors.map((d) => [d.director, d.units])).toEqual([
      ['ceo@x.io', ['u:ceo@x.io', 'u:dir2@x.io', 'u:dir@x.io', 'u:m1@x.io', 'u:m2@x.io', 'u:m3@x.io']],
      ['dir2@x.io', ['u:dir2@x.io', 'u:m2@x.io', 'u:m3@x.io']],
      ['dir@x.io', ['u:dir@x.io', 'u:m1@x.io']],
    ])
    const weeks = async (user: string) => {
      const using = policiesOf(plan, user).metric_rollups!
      return (
        await queryRows<{ k: string }>(
          client,
          `SELECT concat(scope, ' ', toString(toDate(period_start))) AS k FROM ${DB}.metric_rollups WHERE ${using} ORDER BY k`,
        )
      ).map((r) => r.k)
    }
    // m2's rows, before and after the move, are no longer dir's
    expect(await weeks(dirUser)).toEqual([
      'u:dir@x.io 2026-02-02',
      'u:dir@x.io 2026-07-06',
      'u:m1@x.io 2026-02-02',
      'u:m1@x.io 2026-07-06',
    ])
    // and they are dir2's, including the week before m2 joined
    expect(await weeks(dir2User)).toEqual([
      'u:dir2@x.io 2026-02-02',
      'u:dir2@x.io 2026-07-06',
      'u:m2@x.io 2026-02-02',
      'u:m2@x.io 2026-07-06',
      'u:m3@x.io 2026-02-02',
      'u:m3@x.io 2026-07-06',
    ])
    expect(await visible(plan, dirUser, 'org_units', 'unit_id')).toEqual(['u:dir@x.io', 'u:m1@x.io'])
    // people: those whose home unit is in the org (in any snapshot), plus the chain above (ceo) for escalations
    expect(await visible(plan, dirUser, 'org_people', 'person_id')).toEqual([
      'a1@x.io',
      'a2@x.io',
      'a3@x.io',
      'a4@x.io',
      'a5@x.io',
      'ceo@x.io',
      'dir@x.io',
      'm1@x.io',
    ])
    expect(await visible(plan, dirUser, 'org_closure', "concat(unit_id, '<', ancestor_id)")).toEqual([
      'u:dir@x.io<u:ceo@x.io',
      'u:dir@x.io<u:dir@x.io',
      'u:m1@x.io<u:ceo@x.io',
      'u:m1@x.io<u:dir@x.io',
      'u:m1@x.io<u:m1@x.io',
    ])
    expect(await visible(plan, dirUser, 'identity_map', 'person_id')).not.toContain('b1@x.io')
  })

  it('confines the facts the ranking panels read: decisions by raiser, links by the teams they join', async () => {
    expect(await visible(plan, dirUser, 'decision_events', 'decision_id')).toEqual(['decisions:A1'])
    expect(await visible(plan, dir2User, 'decision_events', 'decision_id')).toEqual([
      'decisions:B1',
      'decisions:C1',
    ])
    expect(await visible(plan, ceoUser, 'decision_events', 'decision_id')).toHaveLength(3)
    expect(await visible(plan, dirUser, 'dependency_events', 'link_id')).toEqual(['jira:L1'])
    expect(await visible(plan, dir2User, 'dependency_events', 'link_id')).toEqual(['jira:L1', 'jira:L2'])
    expect(await visible(plan, dirUser, 'org_snapshots', 'toString(effective)')).toEqual([
      '2026-01-01',
      '2026-06-01',
    ])
  })

  it("every dashboard query reads only tables with a policy, and runs inside dir's policies", async () => {
    const policies = policiesOf(plan, dirUser)
    // chDB has no row policies; additional_table_filters applies the same conditions to every read
    const filters = `{${Object.entries(policies)
      .map(([t, using]) => `'${DB}.${t}': '${using.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
      .join(', ')}}`
    const queries: string[] = []
    for (const { dashboard } of grafanaDashboards(configSchema.parse({}), {
      email: 'dir@x.io',
      name: 'Dana',
    })) {
      for (const p of dashboard.panels ?? [])
        for (const t of (p as { targets?: { rawSql?: string }[] }).targets ?? [])
          if (t.rawSql) queries.push(t.rawSql)
      for (const v of dashboard.templating?.list ?? [])
        if (typeof v.query === 'string' && /\bSELECT\b/i.test(v.query)) queries.push(v.query)
    }
    expect(queries.length).toBeGreaterThan(10)
    const read = new Set<string>()
    for (const q of queries) {
      const sql = expandQuery(q, {
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-08-01T00:00:00Z'),
        variables: { director: 'u:dir@x.io', team: ['u:m1@x.io'] },
      })
      // the analyzer's tree names every table read, scalar subqueries included
      const tree = await queryRows<{ explain: string }>(client, `EXPLAIN QUERY TREE ${sql}`)
      for (const line of tree)
        for (const m of line.explain.matchAll(/table_name: (\w+)\.(\w+)/g)) read.add(`${m[1]}.${m[2]}`)
      await queryRows(client, `${sql}\nSETTINGS additional_table_filters = ${filters}`)
    }
    // system.one (a SELECT without FROM) stays readable with select_from_system_db_requires_grant
    read.delete('system.one')
    // "Who decides" and "Worst team pairs" read the facts and the identity map: all granted, all policied
    expect([...read].sort()).toEqual(
      [
        'decision_events',
        'dependency_events',
        'identity_map',
        'metric_rollups',
        'org_closure',
        'org_people',
        'org_snapshots',
        'org_units',
      ].map((t) => `${DB}.${t}`),
    )
    for (const t of read) expect(Object.keys(policies)).toContain(t.slice(DB.length + 1))
  })

  it("drops the user and policies of a director who left, and keeps the others' passwords", async () => {
    const file = join(dir, 'org-left.csv')
    // dir leaves: m1 reports to the ceo
    writeFileSync(
      file,
      ORG_CSV.replace('dir@x.io,Dana Director,ceo@x.io,Director of Engineering\n', '')
        .replace('m1@x.io,Mia Manager,dir@x.io,EM', 'm1@x.io,Mia Manager,ceo@x.io,EM')
        .replace('m2@x.io,Max Manager,dir@x.io,EM', 'm2@x.io,Max Manager,dir2@x.io,EM'),
    )
    await importOrg({ client, file, effective: '2026-09-01' })
    const left = await accessStatements(client, {
      database: DB,
      env: parseEnv({}),
      existingUsers: new Set([dirUser, dir2User, ceoUser]),
    })
    expect(left.dropped).toEqual([dirUser])
    expect(left.directors.map((d) => [d.director, d.passwordSource])).toEqual([
      ['ceo@x.io', 'unchanged'],
      ['dir2@x.io', 'unchanged'],
    ])
    const policy = `orgpulse_${userSlug('dir@x.io')}`
    expect(left.statements.slice(0, 1 + Object.keys(POLICY_TABLES).length)).toEqual([
      `DROP USER IF EXISTS ${dirUser}`,
      ...Object.keys(POLICY_TABLES).map((t) => `DROP ROW POLICY IF EXISTS ${policy} ON ${DB}.${t}`),
    ])
    expect(left.statements.filter((s) => s.includes(dirUser) && !s.startsWith('DROP '))).toEqual([])
  })

  it('an org import re-applies access only where it was applied: same statements, run on the server', async () => {
    // the server side of `org import`'s hook: system.users and the DDL are what chDB lacks, so a
    // client that answers those and passes every other query to chDB stands in for the server
    const onServer = (users: string[], executed: string[]): ClickHouseClient =>
      new Proxy(client, {
        get(target, prop, receiver) {
          if (prop === 'command')
            return async ({ query }: { query: string }) => {
              executed.push(query)
              return {}
            }
          if (prop === 'query')
            return (params: { query: string }) =>
              params.query.includes('system.users')
                ? Promise.resolve({ json: async () => users.map((name) => ({ name })) })
                : target.query(params as Parameters<ClickHouseClient['query']>[0])
          return Reflect.get(target, prop, receiver)
        },
      })
    const never: string[] = []
    expect(await refreshAccess(onServer([], never), { database: DB, env: parseEnv({}) })).toBeNull()
    expect(never).toEqual([])
    const executed: string[] = []
    const plan = (await refreshAccess(onServer([dirUser, dir2User], executed), {
      database: DB,
      env: parseEnv({}),
    }))!
    expect(executed).toEqual(plan.statements)
    expect(plan.dropped).toEqual([dirUser])
    expect(plan.directors.map((d) => [d.director, d.passwordSource])).toEqual([
      ['ceo@x.io', 'generated'],
      ['dir2@x.io', 'unchanged'],
    ])
    expect(plan.snapshot).toBe('2026-09-01')
    expect(await visible(plan, dir2User, 'org_units', 'unit_id')).toEqual([
      'u:dir2@x.io',
      'u:m2@x.io',
      'u:m3@x.io',
    ])
  })
})
