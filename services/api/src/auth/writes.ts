import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { decisionRecordSchema, normaliseIdentity, OrgpulseError, unitIdFor } from '@orgpulse/contracts'
import { effectiveAt, resolveIdentities } from '@orgpulse/org'
import type { FastifyRequest } from 'fastify'
import type { Principal } from './principal.ts'

export class WriteForbiddenError extends OrgpulseError {
  constructor(message: string) {
    super('forbidden', message)
  }
}

/**
 * The raisers (identity → whether it is a person whose home unit is in `director`'s org in the
 * org valid now). Current org, not the one at `raisedAt`: a token acts for the org as it is, and
 * a team that moved away takes its decisions with it (the read rule, DESIGN "Privacy").
 */
async function inOrg(client: ClickHouseClient, director: string, identities: string[]): Promise<Set<string>> {
  const inside = new Set<string>()
  const effective = await effectiveAt(client)
  if (!effective || identities.length === 0) return inside
  const persons = await resolveIdentities(client, identities)
  const ids = [...new Set(persons.values())]
  if (ids.length === 0) return inside
  const rows = await queryRows<{ person_id: string }>(
    client,
    `SELECT p.person_id AS person_id FROM org_people AS p
     INNER JOIN org_closure AS c ON c.effective = p.effective AND c.unit_id = p.home_unit
     WHERE p.effective = {d:Date} AND c.ancestor_id = {a:String} AND p.person_id IN {ids:Array(String)}`,
    { d: effective, a: unitIdFor(director), ids },
  )
  const members = new Set(rows.map((r) => r.person_id))
  for (const identity of identities) {
    const person = persons.get(identity)
    if (person && members.has(person)) inside.add(identity)
  }
  return inside
}

/** the raiser of each stored decision's winning version (newest complete version, as metrics read it) */
async function storedRaisers(client: ClickHouseClient, decisionIds: string[]): Promise<Map<string, string>> {
  if (decisionIds.length === 0) return new Map()
  const rows = await queryRows<{ decision_id: string; raised_by: string }>(
    client,
    `SELECT decision_id, argMax(raised_by, (complete, version, arrival)) AS raised_by
     FROM decision_events FINAL
     WHERE decision_id IN {ids:Array(String)} AND type = 'decision.raised'
     GROUP BY decision_id`,
    { ids: decisionIds },
  )
  return new Map(rows.map((r) => [r.decision_id, r.raised_by]))
}

/**
 * Throws 403 unless an org token may submit these decision records: each record's raiser must be
 * a person in the token's org, and a record whose id is already stored may only be resubmitted when
 * the stored winning version's raiser is in the org too (else one org could rewrite another's
 * decision by reusing its id). Invalid records are left to the route's validation (400 with every
 * error): they are never accepted either way.
 * Admin and local callers are not bound to an org.
 */
export async function assertDecisionsWritable(
  client: ClickHouseClient,
  principal: Principal | null,
  body: unknown,
): Promise<void> {
  if (principal?.kind !== 'org') return
  const items: unknown[] = Array.isArray(body) ? body : [body]
  const records = items.flatMap((item, index) => {
    // the mapper's own parse (trimmed id, raiser), so the ids checked here are the ids it stores
    const parsed = decisionRecordSchema.safeParse(item)
    return parsed.success
      ? [{ index, id: parsed.data.id, raisedBy: normaliseIdentity(parsed.data.raisedBy) }]
      : []
  })
  if (records.length === 0) return
  // the mapper's decision id for a record submitted here (no decision-log name)
  const stored = await storedRaisers(
    client,
    records.map((r) => `decisions:${r.id}`),
  )
  const allowed = await inOrg(client, principal.org, [
    ...new Set([...records.map((r) => r.raisedBy), ...stored.values()]),
  ])
  const refused: string[] = []
  for (const r of records) {
    if (!allowed.has(r.raisedBy))
      refused.push(`record ${r.index} (${r.id}): raiser ${r.raisedBy} is not in ${principal.org}'s org`)
    const owner = stored.get(`decisions:${r.id}`)
    if (owner !== undefined && !allowed.has(owner))
      refused.push(
        `record ${r.index} (${r.id}): decision ${r.id} is already stored with a raiser outside ${principal.org}'s org`,
      )
  }
  if (refused.length > 0)
    throw new WriteForbiddenError(
      `this token writes decisions of ${principal.org}'s org only; nothing was accepted: ${refused.join('; ')}`,
    )
}

/** the preHandler the api puts in front of POST /v1/decisions */
export const decisionWriteGuard =
  (client: ClickHouseClient) =>
  async (req: FastifyRequest): Promise<void> =>
    assertDecisionsWritable(client, req.principal, req.body)
