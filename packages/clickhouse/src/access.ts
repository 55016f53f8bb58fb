import { createHash, randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { type NamedEnv, OrgpulseError } from '@orgpulse/contracts'
import { queryRows } from './client.ts'

/**
 * ClickHouse access control for full mode (DESIGN "Privacy and access"): one read-only user per
 * director, confined by row policies to their org's rows, for that director's Grafana datasource.
 *
 * What a director user can read, and why:
 * - `metric_rollups` (rows whose `scope` is a unit in their subtree): dashboards read only
 *   pre-aggregated rollups (DESIGN), and rollups already have the privacy threshold applied.
 * - `org_units`, `org_people` (units in their subtree, people whose home unit is in it),
 *   `org_closure` (rows whose ancestor is the director's own unit: the membership of their
 *   subtree), `org_snapshots` (effective dates only): for dashboard variables.
 * - Nothing else. The raw fact tables have no unit column (decisions carry people, meetings carry
 *   attendees, links carry team references that may be names), and confining them would need a
 *   per-row identity → person → unit lookup at query time, against the rule that dashboards never
 *   scan raw events. So they are simply not granted: a director user gets "not enough privileges".
 *
 * Subtree membership is read from `org_closure` across all snapshots, so a unit that was ever in
 * the director's subtree stays visible after a re-org (history stays readable); the policies need
 * no regeneration after an org import, only when directors come or go.
 *
 * DDL takes no query parameters, so the director's email appears as a literal: emails are
 * validated against a strict pattern and quoted with ClickHouse escaping; user and role names are
 * derived identifiers ([a-z0-9_] only).
 */
export interface AccessOptions {
  /** database holding the orgpulse tables (the caller's CLICKHOUSE_DATABASE); default 'default' */
  database?: string
  /** directors to provision; default: every manager of managers (level >= 2) in the latest org snapshot */
  directors?: string[]
  /** env var name per director; `{SLUG}` is replaced by the user's slug in upper case */
  passwordEnvPattern?: string
  /** where the per-director password variables are read; unset → none is set */
  env?: NamedEnv
  /** users that already exist on the server: their password is left as it is unless set from env */
  existingUsers?: ReadonlySet<string>
  maxExecutionTime?: number
  maxResultRows?: number
}

export interface DirectorAccess {
  director: string
  user: string
  /** plain password to hand over once: from env or generated; null when an existing user keeps theirs */
  password: string | null
  passwordSource: 'env' | 'generated' | 'unchanged'
  passwordEnv: string
}

export interface AccessPlan {
  statements: string[]
  directors: DirectorAccess[]
}

/** a plan orgpulse refuses to write is `invalid_input`; ClickHouse refusing a statement is `upstream` */
export class AccessError extends OrgpulseError {
  constructor(message: string, kind: 'invalid_input' | 'upstream' = 'invalid_input') {
    super(kind, message)
  }
}

export const DIRECTOR_ROLE = 'orgpulse_director'
export const DIRECTOR_PROFILE = 'orgpulse_director_profile'
export const DEFAULT_PASSWORD_ENV_PATTERN = 'ORGPULSE_CH_PASSWORD_{SLUG}'

/** tables a director user may read, with the row condition confining them ({root} = 'u:<email>', {subtree} = units under it) */
export const POLICY_TABLES: Record<string, (root: string, subtree: string) => string | null> = {
  metric_rollups: (_root, subtree) => `scope IN ${subtree}`,
  org_units: (_root, subtree) => `unit_id IN ${subtree}`,
  org_people: (_root, subtree) => `home_unit IN ${subtree}`,
  // its own policy must not read org_closure again (a policy's subquery is itself filtered)
  org_closure: (root) => `ancestor_id = ${root}`,
  org_snapshots: () => null,
}

const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/

/** a ClickHouse string literal */
export const sqlString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** `dana.smith@example.com` → `dana_smith_example_com_1a2b3c`: readable, unique, an identifier */
export function userSlug(email: string): string {
  const base = email
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 40)
  return `${base}_${createHash('sha256').update(email).digest('hex').slice(0, 6)}`
}

export const directorUser = (email: string): string => `orgpulse_dir_${userSlug(email)}`

/** the row-policy condition for `table` and director `email`, against database `db` */
export function policyCondition(table: string, email: string, db: string): string | null {
  const make = POLICY_TABLES[table]
  if (!make) throw new AccessError(`no policy for table ${table}`)
  const root = sqlString(`u:${email}`)
  return make(root, `(SELECT unit_id FROM ${db}.org_closure WHERE ancestor_id = ${root})`)
}

async function latestDirectors(client: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ person_id: string }>(
    client,
    `SELECT person_id FROM org_people
     WHERE effective = (SELECT max(effective) FROM org_snapshots FINAL) AND level >= 2
     ORDER BY person_id`,
  )
  return rows.map((r) => r.person_id)
}

/**
 * The statements that provision director access, idempotent (IF NOT EXISTS / OR REPLACE), in
 * apply order. Passwords are stored as sha256 hashes (with salt), never in the SQL in clear.
 */
export async function accessStatements(
  client: ClickHouseClient,
  options: AccessOptions = {},
): Promise<AccessPlan> {
  const db = options.database ?? 'default'
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(db)) throw new AccessError(`database name is not an identifier: ${db}`)
  const pattern = options.passwordEnvPattern ?? DEFAULT_PASSWORD_ENV_PATTERN
  const emails = [
    ...new Set((options.directors ?? (await latestDirectors(client))).map((e) => e.trim().toLowerCase())),
  ].sort()
  for (const e of emails)
    if (!EMAIL.test(e))
      throw new AccessError(`not a plain email address, refusing to put it in DDL: ${JSON.stringify(e)}`)
  const maxTime = options.maxExecutionTime ?? 30
  const maxRows = options.maxResultRows ?? 100_000

  const statements: string[] = [
    `CREATE SETTINGS PROFILE OR REPLACE ${DIRECTOR_PROFILE} SETTINGS readonly = 1, max_execution_time = ${Math.floor(maxTime)}, max_result_rows = ${Math.floor(maxRows)}, result_overflow_mode = 'throw'`,
    `CREATE ROLE IF NOT EXISTS ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
    ...Object.keys(POLICY_TABLES).map((t) => `GRANT SELECT ON ${db}.${t} TO ${DIRECTOR_ROLE}`),
  ]
  const directors: DirectorAccess[] = []
  for (const email of emails) {
    const user = directorUser(email)
    const passwordEnv = pattern.replace('{SLUG}', userSlug(email).toUpperCase())
    const fromEnv = options.env?.named(passwordEnv)
    const exists = options.existingUsers?.has(user) ?? false
    const password = fromEnv ?? (exists ? null : randomBytes(18).toString('base64url'))
    const source: DirectorAccess['passwordSource'] = fromEnv ? 'env' : exists ? 'unchanged' : 'generated'
    directors.push({ director: email, user, password, passwordSource: source, passwordEnv })
    if (password !== null) {
      const salt = randomBytes(8).toString('hex')
      const hash = createHash('sha256')
        .update(password + salt)
        .digest('hex')
      const identified = `IDENTIFIED WITH sha256_hash BY ${sqlString(hash)} SALT ${sqlString(salt)}`
      statements.push(
        `CREATE USER IF NOT EXISTS ${user} ${identified} DEFAULT ROLE ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
      )
      // an existing user gets the password it was given from the environment
      if (source === 'env') statements.push(`ALTER USER ${user} ${identified}`)
    }
    statements.push(`GRANT ${DIRECTOR_ROLE} TO ${user}`)
    for (const table of Object.keys(POLICY_TABLES)) {
      const condition = policyCondition(table, email, db)
      if (condition)
        statements.push(
          `CREATE ROW POLICY OR REPLACE orgpulse_${userSlug(email)} ON ${db}.${table} FOR SELECT USING ${condition} TO ${user}`,
        )
    }
  }
  // with a policy on a table, users matched by none see nothing: keep every other user unrestricted
  const except = directors.map((d) => d.user)
  for (const table of Object.keys(POLICY_TABLES)) {
    if (!POLICY_TABLES[table]!('', '') || except.length === 0) continue
    statements.push(
      `CREATE ROW POLICY OR REPLACE orgpulse_unrestricted ON ${db}.${table} FOR SELECT USING 1 TO ALL EXCEPT ${except.join(', ')}`,
    )
  }
  return { statements, directors }
}

/** Users that already exist on the server (so their passwords are not regenerated). */
export async function existingUsers(client: ClickHouseClient): Promise<Set<string>> {
  const rows = await queryRows<{ name: string }>(
    client,
    "SELECT name FROM system.users WHERE startsWith(name, 'orgpulse_dir_')",
  )
  return new Set(rows.map((r) => r.name))
}

/** Runs the statements in order against a ClickHouse server (chDB has no access control). */
export async function applyAccess(client: ClickHouseClient, plan: AccessPlan): Promise<void> {
  for (const query of plan.statements) {
    try {
      await client.command({ query })
    } catch (err) {
      throw new AccessError(`failed: ${query}\n${(err as Error).message}`, 'upstream')
    }
  }
}
