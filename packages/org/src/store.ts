import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgPerson, OrgSnapshot, OrgUnit } from '@orgpulse/contracts'
import { toClickHouseTime } from '@orgpulse/contracts'

/** Tables holding one effective-dated copy of the org per snapshot (migration 002_org). */
const SNAPSHOT_TABLES = ['org_people', 'org_units', 'org_closure'] as const

/**
 * Writes a snapshot, replacing any earlier import of the same effective date. The rows of that
 * date are deleted first (lightweight DELETE, synchronous by default, works on chDB and servers):
 * a re-import with fewer people must not leave the departed behind. The `org_snapshots` row goes
 * last, so `snapshotFor` only starts choosing a new date once its rows are in place.
 * Also the entry point for a consumer that stores snapshots read from `orgpulse.org.v1`.
 */
export async function writeSnapshot(
  client: ClickHouseClient,
  snapshot: OrgSnapshot,
  source: string,
): Promise<void> {
  const effective = snapshot.effective
  for (const table of SNAPSHOT_TABLES) {
    await client.command({
      query: `DELETE FROM ${table} WHERE effective = {d:Date}`,
      query_params: { d: effective },
    })
  }
  const insert = (table: string, values: Record<string, unknown>[]) =>
    values.length === 0
      ? Promise.resolve()
      : client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
  await insert(
    'org_people',
    snapshot.people.map((p) => ({
      effective,
      person_id: p.personId,
      email: p.email,
      name: p.name,
      title: p.title,
      manager_id: p.managerId ?? '',
      employee_id: p.employeeId ?? '',
      level: p.level,
      home_unit: p.homeUnit,
      timezone: p.timezone ?? '',
    })),
  )
  await insert(
    'org_units',
    snapshot.units.map((u) => ({
      effective,
      unit_id: u.unitId,
      name: u.name,
      kind: u.kind,
      manager_id: u.managerId,
      parent_id: u.parentId ?? '',
    })),
  )
  await insert(
    'org_closure',
    snapshot.closure.map((c) => ({
      effective,
      unit_id: c.unitId,
      ancestor_id: c.ancestorId,
      depth: c.depth,
    })),
  )
  await insert('org_snapshots', [
    {
      effective,
      imported_at: toClickHouseTime(snapshot.importedAt),
      people: snapshot.people.length,
      units: snapshot.units.length,
      source,
    },
  ])
}

/** Effective dates of all stored snapshots, oldest first. */
export async function listSnapshots(client: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ effective: string }>(
    client,
    'SELECT DISTINCT effective FROM org_snapshots FINAL ORDER BY effective',
  )
  return rows.map((r) => r.effective)
}

export async function snapshotExists(client: ClickHouseClient, effective: string): Promise<boolean> {
  const rows = await queryRows<{ n: number | string }>(
    client,
    'SELECT count() AS n FROM org_snapshots WHERE effective = {d:Date}',
    { d: effective },
  )
  return Number(rows[0]?.n ?? 0) > 0
}

/** The latest snapshot strictly before `effective`: what an import of `effective` is compared with. */
export async function previousSnapshot(client: ClickHouseClient, effective: string): Promise<string | null> {
  const rows = await queryRows<{ effective: string }>(
    client,
    'SELECT effective FROM org_snapshots FINAL WHERE effective < {d:Date} ORDER BY effective DESC LIMIT 1',
    { d: effective },
  )
  return rows[0]?.effective ?? null
}

/** The earliest snapshot strictly after `effective`, with when it was imported: where an import of `effective` stops applying. */
export async function nextSnapshot(
  client: ClickHouseClient,
  effective: string,
): Promise<{ effective: string; importedAt: string } | null> {
  const rows = await queryRows<{ effective: string; imported_at: string }>(
    client,
    'SELECT effective, imported_at FROM org_snapshots FINAL WHERE effective > {d:Date} ORDER BY effective LIMIT 1',
    { d: effective },
  )
  const r = rows[0]
  return r
    ? { effective: r.effective, importedAt: new Date(`${r.imported_at.replace(' ', 'T')}Z`).toISOString() }
    : null
}

interface PersonRow {
  person_id: string
  email: string
  name: string
  title: string
  manager_id: string
  employee_id: string
  level: number
  home_unit: string
  timezone: string
}

interface UnitRow {
  unit_id: string
  name: string
  kind: OrgUnit['kind']
  manager_id: string
  parent_id: string
}

/** Reads a stored snapshot back in the topic's shape; null when that date was never imported. */
export async function readSnapshot(client: ClickHouseClient, effective: string): Promise<OrgSnapshot | null> {
  const head = await queryRows<{ imported_at: string }>(
    client,
    'SELECT imported_at FROM org_snapshots FINAL WHERE effective = {d:Date}',
    { d: effective },
  )
  if (!head[0]) return null
  const params = { d: effective }
  const people = await queryRows<PersonRow>(
    client,
    `SELECT person_id, email, name, title, manager_id, employee_id, level, home_unit, timezone
     FROM org_people WHERE effective = {d:Date} ORDER BY person_id`,
    params,
  )
  const units = await queryRows<UnitRow>(
    client,
    'SELECT unit_id, name, kind, manager_id, parent_id FROM org_units WHERE effective = {d:Date} ORDER BY unit_id',
    params,
  )
  const closure = await queryRows<{ unit_id: string; ancestor_id: string; depth: number }>(
    client,
    'SELECT unit_id, ancestor_id, depth FROM org_closure WHERE effective = {d:Date} ORDER BY unit_id, depth',
    params,
  )
  return {
    effective,
    importedAt: new Date(`${head[0].imported_at.replace(' ', 'T')}Z`).toISOString(),
    people: people.map(toPerson),
    units: units.map((u) => ({
      unitId: u.unit_id,
      name: u.name,
      kind: u.kind,
      managerId: u.manager_id,
      parentId: u.parent_id || null,
    })),
    closure: closure.map((c) => ({ unitId: c.unit_id, ancestorId: c.ancestor_id, depth: Number(c.depth) })),
  }
}

function toPerson(p: PersonRow): OrgPerson {
  return {
    personId: p.person_id,
    email: p.email,
    name: p.name,
    title: p.title,
    managerId: p.manager_id || null,
    employeeId: p.employee_id || null,
    level: Number(p.level),
    homeUnit: p.home_unit,
    timezone: p.timezone || null,
  }
}
