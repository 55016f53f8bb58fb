import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgPerson } from '@orgpulse/contracts'
import { toClickHouseTime } from '@orgpulse/contracts'

/**
 * identity_map holds source identity → person (DESIGN "Org model": by email first, then explicit
 * mapping). It is a ReplacingMergeTree on `identity` versioned by `updated_at`, so the newest row
 * per identity wins. A retired alias is overwritten by a tombstone row with person_id '' rather
 * than deleted: it works the same on a replicated server, and a default (non-null) LEFT JOIN
 * against identity_map yields '' for unknown identities anyway, so readers need no extra filter.
 */
export type IdentityOrigin = 'email' | 'employee_id' | 'alias' | 'directory'

export interface Alias {
  /** a source identity: Jira account id, Linear user id, decision-log handle, another email */
  identity: string
  /** the person's email in the org */
  email: string
}

/**
 * Emails are case-insensitive, so identities containing '@' are lower-cased; other identities
 * (account ids) are case-sensitive and only trimmed. Writers and readers must agree on this.
 */
export function normalizeIdentity(identity: string): string {
  const t = identity.trim()
  return t.includes('@') ? t.toLowerCase() : t
}

/** The same rule as `normalizeIdentity`, as SQL over an identity expression. */
export const normalizeIdentitySql = (expr: string): string =>
  `if(position(${expr}, '@') > 0, lower(trimBoth(${expr})), trimBoth(${expr}))`

interface IdentityRow {
  identity: string
  person_id: string
  origin: IdentityOrigin
  updated_at: string
}

/**
 * A version strictly newer than anything stored: two writes within one millisecond (a re-import
 * right after an alias change) must still replace each other in order.
 */
async function nextVersion(client: ClickHouseClient): Promise<string> {
  const rows = await queryRows<{ latest: string }>(
    client,
    'SELECT toString(max(updated_at)) AS latest FROM identity_map',
  )
  const latest = rows[0]?.latest ? Date.parse(`${rows[0].latest.replace(' ', 'T')}Z`) : 0
  return toClickHouseTime(new Date(Math.max(Date.now(), (Number.isNaN(latest) ? 0 : latest) + 1)))
}

async function writeIdentities(
  client: ClickHouseClient,
  rows: Omit<IdentityRow, 'updated_at'>[],
): Promise<void> {
  if (rows.length === 0) return
  const updated_at = await nextVersion(client)
  await client.insert({
    table: 'identity_map',
    values: rows.map((r) => ({ ...r, updated_at })),
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
}

/** Maps each person's email, and employee id when known, to the person. */
export async function writePersonIdentities(
  client: ClickHouseClient,
  people: readonly OrgPerson[],
): Promise<{ emails: number; employeeIds: number }> {
  const rows: Omit<IdentityRow, 'updated_at'>[] = []
  let employeeIds = 0
  for (const p of people) {
    rows.push({ identity: normalizeIdentity(p.email), person_id: p.personId, origin: 'email' })
    if (p.employeeId) {
      rows.push({ identity: normalizeIdentity(p.employeeId), person_id: p.personId, origin: 'employee_id' })
      employeeIds++
    }
  }
  await writeIdentities(client, rows)
  return { emails: people.length, employeeIds }
}

export interface SetAliasesResult {
  /** aliases now in force */
  aliases: number
  /** aliases written because they were new or pointed elsewhere before */
  changed: number
  /** aliases from an earlier set that are no longer configured and stopped resolving */
  removed: string[]
  warnings: string[]
}

/**
 * Makes `aliases` the complete set of explicit mappings: new ones are written, changed ones
 * rewritten, and aliases of an earlier set that are missing now are tombstoned. An alias whose
 * identity is some person's email is skipped with a warning: email matching comes first.
 */
export async function setAliases(
  client: ClickHouseClient,
  aliases: readonly Alias[],
): Promise<SetAliasesResult> {
  const warnings: string[] = []
  const wanted = new Map<string, string>()
  for (const a of aliases) {
    const identity = normalizeIdentity(a.identity)
    const personId = a.email.trim().toLowerCase()
    const prior = wanted.get(identity)
    if (prior !== undefined && prior !== personId) {
      warnings.push(`alias ${identity} is listed for both ${prior} and ${personId}; using ${personId}`)
    }
    wanted.set(identity, personId)
  }

  const current = await queryRows<{ identity: string; person_id: string; origin: IdentityOrigin }>(
    client,
    "SELECT identity, person_id, origin FROM identity_map FINAL WHERE person_id != ''",
  )
  const currentAliases = new Map(
    current.filter((r) => r.origin === 'alias').map((r) => [r.identity, r.person_id]),
  )
  const knownEmails = new Set(current.filter((r) => r.origin === 'email').map((r) => r.identity))

  const rows: Omit<IdentityRow, 'updated_at'>[] = []
  for (const [identity, personId] of wanted) {
    if (knownEmails.has(identity)) {
      if (identity !== personId)
        warnings.push(`alias ${identity} → ${personId} ignored: ${identity} is a person's email`)
      wanted.delete(identity)
      continue
    }
    if (!knownEmails.has(personId)) {
      warnings.push(`alias ${identity} → ${personId}: nobody with that email has been imported (kept anyway)`)
    }
    if (currentAliases.get(identity) !== personId)
      rows.push({ identity, person_id: personId, origin: 'alias' })
  }
  const removed = [...currentAliases.keys()].filter((identity) => !wanted.has(identity)).sort()
  for (const identity of removed) rows.push({ identity, person_id: '', origin: 'alias' })
  await writeIdentities(client, rows)
  return { aliases: wanted.size, changed: rows.length - removed.length, removed, warnings }
}

/**
 * A source's user directory (e.g. Linear user id → email, read by its pull): writes the
 * identities that are new or point elsewhere now, as origin `directory`. An explicit alias for
 * the same identity wins (it is the admin's correction), and so does a person's own email.
 * Identities the directory no longer lists are kept: their past events still name them.
 */
export async function writeDirectoryIdentities(
  client: ClickHouseClient,
  entries: readonly Alias[],
): Promise<{ written: number }> {
  const wanted = new Map<string, string>()
  for (const e of entries) {
    const email = e.email.trim().toLowerCase()
    if (e.identity.trim() && email) wanted.set(normalizeIdentity(e.identity), email)
  }
  if (wanted.size === 0) return { written: 0 }
  const current = await queryRows<{ identity: string; person_id: string; origin: IdentityOrigin }>(
    client,
    `SELECT identity, person_id, origin FROM identity_map FINAL WHERE identity IN {ids:Array(String)}`,
    { ids: [...wanted.keys()] },
  )
  const byIdentity = new Map(current.map((r) => [r.identity, r]))
  const rows: Omit<IdentityRow, 'updated_at'>[] = []
  for (const [identity, personId] of wanted) {
    const row = byIdentity.get(identity)
    if (row && row.person_id !== '' && row.origin !== 'directory') continue
    if (row?.person_id !== personId) rows.push({ identity, person_id: personId, origin: 'directory' })
  }
  await writeIdentities(client, rows)
  return { written: rows.length }
}

/** Resolves identities to person ids through identity_map; unknown identities are absent. */
export async function resolveIdentities(
  client: ClickHouseClient,
  identities: readonly string[],
): Promise<Map<string, string>> {
  const normalized = [...new Set(identities.map(normalizeIdentity))]
  const rows = await queryRows<{ identity: string; person_id: string }>(
    client,
    `SELECT identity, person_id FROM identity_map FINAL
     WHERE identity IN {ids:Array(String)} AND person_id != ''`,
    { ids: normalized },
  )
  return new Map(rows.map((r) => [r.identity, r.person_id]))
}

export interface UnresolvedIdentity {
  identity: string
  /** the fact's source system: decisions, jira, linear, calendar */
  source: string
  /** fact rows mentioning the identity */
  occurrences: number
  /** where it was seen, e.g. decision_events.raised_by */
  fields: string[]
}

/** Every column of the fact tables that names a person. */
const IDENTITY_COLUMNS: { table: string; field: string; array: boolean }[] = [
  { table: 'decision_events', field: 'raised_by', array: false },
  { table: 'decision_events', field: 'actor', array: false },
  { table: 'decision_events', field: 'targets', array: true },
  { table: 'decision_events', field: 'expected_decider', array: false },
  { table: 'meetings', field: 'organizer', array: false },
  { table: 'meetings', field: 'attendees', array: true },
  { table: 'workitem_events', field: 'actor', array: false },
]

/**
 * Identities seen in the facts that map to no person: counted and listed, never silently
 * dropped (DESIGN "Org model"). Most frequent first.
 */
export async function unresolvedIdentities(client: ClickHouseClient): Promise<UnresolvedIdentity[]> {
  const seen = IDENTITY_COLUMNS.map(
    (c) =>
      `SELECT ${normalizeIdentitySql(c.array ? `arrayJoin(${c.field})` : c.field)} AS identity, toString(source) AS source, '${c.table}.${c.field}' AS field FROM ${c.table} FINAL`,
  ).join('\n  UNION ALL ')
  const rows = await queryRows<{ identity: string; source: string; occurrences: string; fields: string[] }>(
    client,
    `SELECT identity, source, count() AS occurrences, arraySort(groupUniqArray(field)) AS fields
     FROM (${seen})
     WHERE identity != '' AND identity NOT IN (SELECT identity FROM identity_map FINAL WHERE person_id != '')
     GROUP BY identity, source
     ORDER BY occurrences DESC, identity, source`,
  )
  return rows.map((r) => ({ ...r, occurrences: Number(r.occurrences) }))
}
