import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgUnit } from '@orgpulse/contracts'
import { unitIdFor } from '@orgpulse/contracts'
import { OrgLookupError } from './errors.ts'
import { SNAPSHOTS_WITH, snapshotFor } from './snapshot-sql.ts'

/** A query time as the UTC DateTime64 text ClickHouse parameters expect. */
const atParam = (at: Date): string => at.toISOString().replace('T', ' ').replace('Z', '')

/** The effective date of the snapshot valid at `at` (see `snapshotFor`); null when nothing was imported. */
export async function effectiveAt(client: ClickHouseClient, at: Date = new Date()): Promise<string | null> {
  const rows = await queryRows<{ effective: string; snapshots: number }>(
    client,
    `WITH ${SNAPSHOTS_WITH}
     SELECT toString(${snapshotFor("{at:DateTime64(3, 'UTC')}")}) AS effective, length(org_snaps) AS snapshots`,
    { at: atParam(at) },
  )
  const row = rows[0]
  return row && Number(row.snapshots) > 0 ? row.effective : null
}

export interface Director {
  personId: string
  email: string
  name: string
  title: string
  level: number
  /** the unit they lead */
  unitId: string
  unitName: string
  /** people attributed to their subtree, themselves included */
  people: number
}

/** Managers of managers (level >= 2) in the org valid at `at`, most senior first. */
export async function listDirectors(client: ClickHouseClient, at: Date = new Date()): Promise<Director[]> {
  const effective = await effectiveAt(client, at)
  if (!effective) return []
  const rows = await queryRows<Omit<Director, 'people' | 'level'> & { people: string; level: number }>(
    client,
    `SELECT p.person_id AS personId, p.email AS email, p.name AS name, p.title AS title, p.level AS level,
            p.home_unit AS unitId, u.name AS unitName, h.people AS people
     FROM org_people AS p
     LEFT JOIN (SELECT unit_id, name FROM org_units WHERE effective = {d:Date}) AS u ON u.unit_id = p.home_unit
     LEFT JOIN (
       SELECT c.ancestor_id AS unit_id, count() AS people
       FROM org_people AS pp
       INNER JOIN (SELECT unit_id, ancestor_id FROM org_closure WHERE effective = {d:Date}) AS c ON c.unit_id = pp.home_unit
       WHERE pp.effective = {d:Date}
       GROUP BY c.ancestor_id
     ) AS h ON h.unit_id = p.home_unit
     WHERE p.effective = {d:Date} AND p.level >= 2
     ORDER BY p.level DESC, p.email`,
    { d: effective },
  )
  return rows.map((r) => ({ ...r, level: Number(r.level), people: Number(r.people) }))
}

export interface OrgTreeUnit {
  unitId: string
  name: string
  kind: OrgUnit['kind']
  managerId: string
  managerName: string
  parentId: string | null
  /** 0 for the director's own unit */
  depth: number
  /** people whose activity is attributed to this unit (its manager and the ICs reporting to them) */
  people: number
  /** people in this unit and every unit below it */
  totalPeople: number
}

export interface OrgTree {
  /** the snapshot used */
  effective: string
  rootUnit: string
  units: OrgTreeUnit[]
}

/**
 * The units in a manager's subtree (the director's org, or a single team) in the org valid at
 * `at`, top-down. Throws OrgLookupError when no org is imported, the person is not in it, or the
 * person leads nobody.
 */
export async function orgTree(
  client: ClickHouseClient,
  directorEmail: string,
  at: Date = new Date(),
): Promise<OrgTree> {
  const effective = await effectiveAt(client, at)
  if (!effective) throw new OrgLookupError('no org has been imported yet (orgpulse org import FILE)')
  const personId = directorEmail.trim().toLowerCase()
  const rootUnit = unitIdFor(personId)
  const params = { d: effective, root: rootUnit, person: personId }
  const person = await queryRows<{ level: number }>(
    client,
    'SELECT level FROM org_people WHERE effective = {d:Date} AND person_id = {person:String}',
    params,
  )
  if (!person[0]) throw new OrgLookupError(`${personId} is not in the org valid at ${effective}`)
  const rows = await queryRows<
    Omit<OrgTreeUnit, 'depth' | 'people' | 'totalPeople' | 'parentId'> & {
      parentId: string
      depth: number
      people: string
      totalPeople: string
    }
  >(
    client,
    `WITH counts AS (SELECT home_unit, count() AS n FROM org_people WHERE effective = {d:Date} GROUP BY home_unit),
          units AS (SELECT * FROM org_units WHERE effective = {d:Date}),
          closure AS (SELECT * FROM org_closure WHERE effective = {d:Date})
     SELECT u.unit_id AS unitId, u.name AS name, u.kind AS kind, u.manager_id AS managerId, m.name AS managerName,
            u.parent_id AS parentId, c.depth AS depth, d.n AS people, t.n AS totalPeople
     FROM closure AS c
     INNER JOIN units AS u ON u.unit_id = c.unit_id
     LEFT JOIN (SELECT person_id, name FROM org_people WHERE effective = {d:Date}) AS m ON m.person_id = u.manager_id
     LEFT JOIN counts AS d ON d.home_unit = u.unit_id
     LEFT JOIN (
       SELECT sub.ancestor_id AS unit_id, sum(cc.n) AS n
       FROM closure AS sub INNER JOIN counts AS cc ON cc.home_unit = sub.unit_id
       GROUP BY sub.ancestor_id
     ) AS t ON t.unit_id = u.unit_id
     WHERE c.ancestor_id = {root:String}
     ORDER BY c.depth, u.name, u.unit_id`,
    params,
  )
  if (rows.length === 0)
    throw new OrgLookupError(`${personId} leads no team in the org valid at ${effective}`)
  return {
    effective,
    rootUnit,
    units: rows.map((r) => ({
      ...r,
      parentId: r.parentId || null,
      depth: Number(r.depth),
      people: Number(r.people),
      totalPeople: Number(r.totalPeople),
    })),
  }
}
