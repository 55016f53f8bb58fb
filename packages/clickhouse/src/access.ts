import { createHash, randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { type NamedEnv, OrgpulseError } from '@orgpulse/contracts'
import { queryRows } from './client.ts'
import { clusterOf, renderAllForCluster } from './cluster.ts'

/**
 * ClickHouse access control for full mode (DESIGN "Privacy and access"): one read-only user per
 * director, confined by row policies to their org's rows, for that director's Grafana datasource.
 *
 * The rule (the api's): a director reads the rows of the units inside their org in the *current*
 * snapshot (the latest effective one), for every period; a unit that left is unreadable, even for
 * the periods it was in the org. The unit set is computed when the statements are generated and
 * written into the policies as literals, so it changes only when they are regenerated: the CLI
 * regenerates them on every org import once access has been applied (`refreshAccess`). Literals
 * also keep each policy from reading another policied table (a policy's subquery is itself
 * filtered, and org_closure's own policy could not read org_closure).
 *
 * Every table a director user can read has a policy (POLICY_TABLES); the server ships with
 * `users_without_row_policies_can_read_rows: false` (infra/clickhouse/config.d), so a user no
 * policy names sees nothing, and service users get explicit `USING 1` policies by name rather
 * than `TO ALL EXCEPT` (which turns a departed director, no longer excepted, into a full reader).
 * Users of directors who left are dropped with their policies.
 *
 * DDL takes no query parameters, so emails, unit ids and names appear as literals: emails are
 * validated against a strict pattern and every literal is quoted with ClickHouse escaping; user
 * and role names are derived identifiers ([a-z0-9_] only).
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
  /**
   * `orgpulse_dir_*` users that exist on the server: their password is left as it is unless set
   * from env, and those whose director is no longer one in the latest snapshot are dropped
   */
  existingUsers?: ReadonlySet<string>
  /**
   * users that read every row (the pipeline, the api, an admin): named in explicit `USING 1`
   * policies, since a user no policy names sees nothing; default ['default']
   */
  serviceUsers?: readonly string[]
  /**
   * the password of `orgpulse_grafana_admin`, the read-only user behind Grafana's Main Org data
   * source (admins' view of every org): created (or its password set) when given, with the
   * directors' profile and grants and the service policies' `USING 1`; unset → left alone
   */
  grafanaAdminPassword?: string
  /** default and ceiling of max_execution_time (seconds) a director's session may set */
  maxExecutionTime?: number
  /** default and ceiling of max_result_rows */
  maxResultRows?: number
}

export interface DirectorAccess {
  director: string
  user: string
  /** plain password to hand over once: from env or generated; null when an existing user keeps theirs */
  password: string | null
  passwordSource: 'env' | 'generated' | 'unchanged'
  passwordEnv: string
  /** the units of the director's org in the current snapshot: what the policies admit */
  units: string[]
}

export interface AccessPlan {
  statements: string[]
  directors: DirectorAccess[]
  /** users of directors who left, dropped by these statements */
  dropped: string[]
  /** the snapshot the policies were generated from (null: no org imported) */
  snapshot: string | null
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
const USER_PREFIX = 'orgpulse_dir_'
/** the policy name that granted everyone else full reads before issue 17: dropped on every run */
const LEGACY_UNRESTRICTED = 'orgpulse_unrestricted'
export const SERVICE_POLICY = 'orgpulse_service'
/** Main Org's data source user: reads every org's rows, through the directors' read-only profile and tables only */
export const GRAFANA_ADMIN_USER = 'orgpulse_grafana_admin'

/**
 * What a director's org is, from the current snapshot, as literal sets.
 * - `units`: the units of their subtree (their own included).
 * - `above`: the units strictly above theirs, and `bosses` the managers leading them: an
 *   escalation is a decision called by someone above the raiser's team (the decisions family
 *   joins the decider's person row and the closure row reaching their unit).
 * - `names`: names of those units in any snapshot that no unit outside the org ever had (links
 *   may name teams; an ambiguous name would admit another org's links).
 */
export interface DirectorScope {
  email: string
  units: string[]
  above: string[]
  bosses: string[]
  names: string[]
}

/** `col IN (literals)`; an empty set admits nothing (ClickHouse has no empty IN list) */
const inSet = (col: string, values: readonly string[]): string =>
  values.length === 0 ? '0' : `${col} IN (${values.map(sqlString).join(', ')})`

/**
 * The people of the org as a subquery, not literals: a large org's people would overflow
 * max_query_size in the DDL. Inside a policy it reads org_people through that table's own policy,
 * which admits at least these rows, and never reads the table being filtered.
 */
const orgPeople = (s: DirectorScope, db: string): string =>
  `(SELECT person_id FROM ${db}.org_people WHERE ${inSet('home_unit', s.units)})`

/** a team reference (unit id, manager email, or unit name) that resolves into the org, as `teamUnit` in @orgpulse/metrics */
const teamInOrg = (col: string, s: DirectorScope): string =>
  `(${inSet(col, s.units)} OR (position(${col}, '@') > 0 AND ${inSet(`concat('u:', lower(${col}))`, s.units)}) OR ${inSet(col, s.names)})`

/**
 * Every table a director user can read, with its row condition. The dashboards' "Who decides" and
 * "Worst team pairs" reuse the catalog's family SQL, which reads the decision and link facts and
 * the identity map: those are granted with conditions on who raised the decision and which teams
 * a link joins. Meetings, work items, cycles, tokens and everything else are not granted.
 */
export const POLICY_TABLES: Record<string, (s: DirectorScope, db: string) => string> = {
  metric_rollups: (s) => inSet('scope', s.units),
  org_units: (s) => inSet('unit_id', s.units),
  org_people: (s) => `(${inSet('home_unit', s.units)} OR ${inSet('person_id', s.bosses)})`,
  org_closure: (s) => `(${inSet('unit_id', s.units)} AND ${inSet('ancestor_id', [...s.units, ...s.above])})`,
  // effective dates and counts only: no unit in it
  org_snapshots: () => '1',
  identity_map: (s, db) => `(person_id IN ${orgPeople(s, db)} OR ${inSet('person_id', s.bosses)})`,
  // a person id is an email, which is also how facts name people whose identity maps to itself
  decision_events: (s, db) =>
    `(raised_by IN ${orgPeople(s, db)} OR raised_by IN (SELECT identity FROM ${db}.identity_map WHERE person_id IN ${orgPeople(s, db)}))`,
  dependency_events: (s) => `(${teamInOrg('blocker_team', s)} OR ${teamInOrg('blocked_team', s)})`,
}

/**
 * What the Grafana ClickHouse plugin reads besides the data: the query builder's schema browser.
 * With `select_from_system_db_requires_grant` (infra/clickhouse/config.d) every other system table
 * (query_log, processes, users, …) needs a grant a director never gets; these three (and constant
 * ones such as system.one) stay readable anyway, filtered by ClickHouse to what the user may see,
 * and are granted explicitly so the list does not rest on that exception.
 */
export const SYSTEM_TABLES = ['databases', 'tables', 'columns'] as const

const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

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

export const directorUser = (email: string): string => `${USER_PREFIX}${userSlug(email)}`
const policyName = (user: string): string => `orgpulse_${user.slice(USER_PREFIX.length)}`

/** the row-policy condition for `table` and a director's scope, against database `db` */
export function policyCondition(table: string, scope: DirectorScope, db: string): string {
  const make = POLICY_TABLES[table]
  if (!make) throw new AccessError(`no policy for table ${table}`)
  return make(scope, db)
}

async function currentSnapshot(client: ClickHouseClient): Promise<string | null> {
  const rows = await queryRows<{ e: string | null }>(
    client,
    'SELECT toString(max(effective)) AS e FROM org_snapshots FINAL HAVING count() > 0',
  )
  return rows[0]?.e ?? null
}

async function latestDirectors(client: ClickHouseClient, snapshot: string | null): Promise<string[]> {
  if (snapshot === null) return []
  const rows = await queryRows<{ person_id: string }>(
    client,
    `SELECT person_id FROM org_people WHERE effective = {s:Date} AND level >= 2 ORDER BY person_id`,
    { s: snapshot },
  )
  return rows.map((r) => r.person_id)
}

/** a director's org in snapshot `snapshot` (see DirectorScope) */
export async function directorScope(
  client: ClickHouseClient,
  email: string,
  snapshot: string | null,
): Promise<DirectorScope> {
  if (snapshot === null) return { email, units: [], above: [], bosses: [], names: [] }
  const root = `u:${email}`
  const list = async (query: string): Promise<string[]> =>
    (await queryRows<{ v: string }>(client, query, { s: snapshot, root })).map((r) => r.v)
  const units = await list(
    'SELECT DISTINCT unit_id AS v FROM org_closure WHERE effective = {s:Date} AND ancestor_id = {root:String} ORDER BY v',
  )
  const above = await list(
    'SELECT DISTINCT ancestor_id AS v FROM org_closure WHERE effective = {s:Date} AND unit_id = {root:String} AND depth > 0 ORDER BY v',
  )
  const sub = 'SELECT unit_id FROM org_closure WHERE effective = {s:Date} AND ancestor_id = {root:String}'
  const bosses = await list(
    `SELECT DISTINCT manager_id AS v FROM org_units WHERE effective = {s:Date} AND unit_id IN
       (SELECT ancestor_id FROM org_closure WHERE effective = {s:Date} AND unit_id = {root:String} AND depth > 0)
     AND manager_id != '' ORDER BY v`,
  )
  const names = await list(
    `SELECT DISTINCT name AS v FROM org_units WHERE unit_id IN (${sub}) AND name != ''
       AND name NOT IN (SELECT name FROM org_units WHERE unit_id NOT IN (${sub})) ORDER BY v`,
  )
  return { email, units, above, bosses, names }
}

/**
 * The statements that provision director access, idempotent (IF NOT EXISTS / OR REPLACE / IF
 * EXISTS), in apply order. Passwords are stored as sha256 hashes (with salt), never in the SQL in
 * clear.
 */
export async function accessStatements(
  client: ClickHouseClient,
  options: AccessOptions = {},
): Promise<AccessPlan> {
  const db = options.database ?? 'default'
  if (!IDENT.test(db)) throw new AccessError(`database name is not an identifier: ${db}`)
  const readers = [...new Set(options.serviceUsers ?? ['default'])]
  for (const u of readers)
    if (!IDENT.test(u) || u.startsWith(USER_PREFIX))
      throw new AccessError(`service user is not an identifier outside ${USER_PREFIX}*: ${JSON.stringify(u)}`)
  const pattern = options.passwordEnvPattern ?? DEFAULT_PASSWORD_ENV_PATTERN
  const snapshot = await currentSnapshot(client)
  const current = await latestDirectors(client, snapshot)
  const emails = [...new Set((options.directors ?? current).map((e) => e.trim().toLowerCase()))].sort()
  for (const e of emails)
    if (!EMAIL.test(e))
      throw new AccessError(`not a plain email address, refusing to put it in DDL: ${JSON.stringify(e)}`)
  const positive = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 1) throw new AccessError(`${what} must be a positive integer, got ${n}`)
    return n
  }
  const maxTime = positive(options.maxExecutionTime ?? 60, 'maxExecutionTime')
  const maxRows = positive(options.maxResultRows ?? 100_000, 'maxResultRows')
  const tables = Object.keys(POLICY_TABLES)
  const grafanaAdmin = options.grafanaAdminPassword ? GRAFANA_ADMIN_USER : null
  const serviceUsers = grafanaAdmin ? [...readers, grafanaAdmin] : readers

  // users of directors who left go first: until then they keep whatever their policies admit
  const keep = new Set([...current, ...emails].map(directorUser))
  const dropped = [...(options.existingUsers ?? [])]
    .filter((u) => u.startsWith(USER_PREFIX) && IDENT.test(u) && !keep.has(u))
    .sort()
  const statements: string[] = []
  for (const user of dropped) {
    statements.push(`DROP USER IF EXISTS ${user}`)
    for (const t of tables) statements.push(`DROP ROW POLICY IF EXISTS ${policyName(user)} ON ${db}.${t}`)
  }
  statements.push(
    // readonly = 2: the Grafana plugin sends max_execution_time with every query, which
    // readonly = 1 refuses; the constraints keep what a session may change inside the limits
    // (MIN 1: 0 would mean unlimited)
    `CREATE SETTINGS PROFILE OR REPLACE ${DIRECTOR_PROFILE} SETTINGS readonly = 2 CONST, max_execution_time = ${maxTime} MIN 1 MAX ${maxTime}, max_result_rows = ${maxRows} MIN 1 MAX ${maxRows}, result_overflow_mode = 'throw' CONST, allow_ddl = 0 CONST, allow_introspection_functions = 0 CONST`,
    `CREATE ROLE IF NOT EXISTS ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
    // a role re-run from an older version may hold more: start from nothing
    `REVOKE ALL ON *.* FROM ${DIRECTOR_ROLE}`,
    ...tables.map((t) => `GRANT SELECT ON ${db}.${t} TO ${DIRECTOR_ROLE}`),
    ...SYSTEM_TABLES.map((t) => `GRANT SELECT ON system.${t} TO ${DIRECTOR_ROLE}`),
    // service users read everything, named one by one (never TO ALL EXCEPT)
    ...tables.map(
      (t) =>
        `CREATE ROW POLICY OR REPLACE ${SERVICE_POLICY} ON ${db}.${t} FOR SELECT USING 1 TO ${serviceUsers.join(', ')}`,
    ),
    ...tables.map((t) => `DROP ROW POLICY IF EXISTS ${LEGACY_UNRESTRICTED} ON ${db}.${t}`),
  )
  if (grafanaAdmin && options.grafanaAdminPassword) {
    const identified = identifiedBy(options.grafanaAdminPassword)
    statements.push(
      `CREATE USER IF NOT EXISTS ${grafanaAdmin} ${identified} DEFAULT ROLE ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
      `ALTER USER ${grafanaAdmin} ${identified}`,
      // the directors' tables and read-only profile, every row (the service policies above)
      `REVOKE ALL ON *.* FROM ${grafanaAdmin}`,
      `GRANT ${DIRECTOR_ROLE} TO ${grafanaAdmin}`,
    )
  }
  const directors: DirectorAccess[] = []
  for (const email of emails) {
    const user = directorUser(email)
    const scope = await directorScope(client, email, snapshot)
    const passwordEnv = pattern.replace('{SLUG}', userSlug(email).toUpperCase())
    const fromEnv = options.env?.named(passwordEnv)
    const exists = options.existingUsers?.has(user) ?? false
    const password = fromEnv ?? (exists ? null : randomBytes(18).toString('base64url'))
    const source: DirectorAccess['passwordSource'] = fromEnv ? 'env' : exists ? 'unchanged' : 'generated'
    directors.push({
      director: email,
      user,
      password,
      passwordSource: source,
      passwordEnv,
      units: scope.units,
    })
    if (password !== null) {
      const identified = identifiedBy(password)
      statements.push(
        `CREATE USER IF NOT EXISTS ${user} ${identified} DEFAULT ROLE ${DIRECTOR_ROLE} SETTINGS PROFILE ${DIRECTOR_PROFILE}`,
      )
      // an existing user gets the password it was given from the environment
      if (source === 'env') statements.push(`ALTER USER ${user} ${identified}`)
    }
    // only the role: a grant made to the user by hand would bypass the list above
    statements.push(`REVOKE ALL ON *.* FROM ${user}`, `GRANT ${DIRECTOR_ROLE} TO ${user}`)
    for (const table of tables)
      statements.push(
        `CREATE ROW POLICY OR REPLACE ${policyName(user)} ON ${db}.${table} FOR SELECT USING ${policyCondition(table, scope, db)} TO ${user}`,
      )
  }
  // on a cluster every node keeps its own users and policies (local access storage): each
  // statement runs ON CLUSTER, and a sharded table's local table gets the same policy and grant
  const cluster = clusterOf(client)
  return {
    statements: cluster ? renderAllForCluster(statements, { ...cluster, database: db }) : statements,
    directors,
    dropped,
    snapshot,
  }
}

/** a salted sha256 of the password: the plain one never reaches the server's DDL or its query log */
function identifiedBy(password: string): string {
  const salt = randomBytes(8).toString('hex')
  const hash = createHash('sha256')
    .update(password + salt)
    .digest('hex')
  return `IDENTIFIED WITH sha256_hash BY ${sqlString(hash)} SALT ${sqlString(salt)}`
}

/** `orgpulse_dir_*` users that exist on the server (passwords kept; leavers dropped). */
export async function existingUsers(client: ClickHouseClient): Promise<Set<string>> {
  const rows = await queryRows<{ name: string }>(
    client,
    `SELECT name FROM system.users WHERE startsWith(name, '${USER_PREFIX}')`,
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

/**
 * After an org import: the policies hold literal unit sets, so a re-org is only enforced once they
 * are regenerated. Access counts as applied when any `orgpulse_dir_*` user exists on the server;
 * then the statements are regenerated for the new snapshot (existing passwords kept, leavers
 * dropped, new directors created) and applied. Returns null when access was never applied.
 */
export async function refreshAccess(
  client: ClickHouseClient,
  options: Omit<AccessOptions, 'existingUsers' | 'directors'> = {},
): Promise<AccessPlan | null> {
  const existing = await existingUsers(client)
  if (existing.size === 0) return null
  const plan = await accessStatements(client, { ...options, existingUsers: existing })
  await applyAccess(client, plan)
  return plan
}
