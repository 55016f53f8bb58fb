import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import type { OrgLookup } from './classify.ts'

/**
 * The latest org snapshot as the classifier needs it (team and manager per email). Meetings are
 * classified at ingest time with the org as it is then; a later re-org does not reclassify old
 * meetings unless they are fetched again (a changed rule set forces that, see configHash).
 */
export async function loadOrgLookup(client: ClickHouseClient): Promise<OrgLookup> {
  const rows = await queryRows<{ email: string; home_unit: string; manager_id: string }>(
    client,
    `SELECT email, home_unit, manager_id FROM org_people
     WHERE effective = (SELECT max(effective) FROM org_snapshots FINAL)`,
  )
  return new Map(
    rows.map((r) => [r.email.toLowerCase(), { team: r.home_unit, manager: r.manager_id.toLowerCase() }]),
  )
}

/** Everybody in the latest snapshot: whose calendars an org-wide sync reads. */
export async function orgEmails(client: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ email: string }>(
    client,
    `SELECT email FROM org_people WHERE effective = (SELECT max(effective) FROM org_snapshots FINAL) ORDER BY email`,
  )
  return rows.map((r) => r.email.toLowerCase())
}

/** A person's IANA time zone from the latest snapshot ('' when unknown or not in the org). */
export async function personTimeZone(client: ClickHouseClient, email: string): Promise<string> {
  const rows = await queryRows<{ timezone: string }>(
    client,
    `SELECT timezone FROM org_people
     WHERE effective = (SELECT max(effective) FROM org_snapshots FINAL) AND email = {email:String}`,
    { email: email.toLowerCase() },
  )
  return rows[0]?.timezone ?? ''
}
