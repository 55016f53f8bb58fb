import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { OrgpulseError, unitIdFor } from '@orgpulse/contracts'
import { effectiveAt } from '@orgpulse/org'
import type { Principal } from '../auth/plugin.ts'

/** A resource the caller may not see, or that does not exist: both answer 404 with the same body. */
export class NotFoundError extends OrgpulseError {
  constructor(message: string) {
    super('not_found', message)
  }
}

/** Whether unit `unit` sits in the subtree of unit `ancestor` (itself included) in the org valid now. */
export async function unitUnder(client: ClickHouseClient, unit: string, ancestor: string): Promise<boolean> {
  const effective = await effectiveAt(client)
  if (!effective) return false
  const rows = await queryRows<{ n: string }>(
    client,
    'SELECT count() AS n FROM org_closure WHERE effective = {d:Date} AND unit_id = {u:String} AND ancestor_id = {a:String}',
    { d: effective, u: unit, a: ancestor },
  )
  return Number(rows[0]?.n ?? 0) > 0
}

/**
 * Throws NotFoundError unless the principal may read `director`'s org: admins read every org, an
 * org token reads its director's org and every org inside it. The message never says whether the
 * org exists, so a scoped token cannot probe other orgs.
 */
export async function assertOrgVisible(
  client: ClickHouseClient,
  principal: Principal | null,
  director: string,
): Promise<string> {
  const email = director.trim().toLowerCase()
  if (!principal) throw new NotFoundError(`no org led by ${email}`)
  if (principal.kind !== 'org') return email
  if (email === principal.org || (await unitUnder(client, unitIdFor(email), unitIdFor(principal.org))))
    return email
  throw new NotFoundError(`no org led by ${email}`)
}

/** A team reference (unit id `u:<email>` or the manager's email) → unit id, if it sits in the director's org. */
export async function teamInOrg(client: ClickHouseClient, director: string, team: string): Promise<string> {
  const unit = team.startsWith('u:') ? team.toLowerCase() : unitIdFor(team.trim().toLowerCase())
  if (!(await unitUnder(client, unit, unitIdFor(director))))
    throw new NotFoundError(`no team ${team} in ${director}'s org`)
  return unit
}
