/**
 * Which org snapshot applies at a time, as a ClickHouse expression, so metric SQL can attribute
 * each event through the org valid at the event's time (DESIGN "Org model": effective-dated).
 *
 * Rule: the snapshot with the greatest `effective` <= the event's day; times before the first
 * snapshot use the first one (importing today's org still attributes last quarter's events);
 * with no snapshot at all the expression yields 1970-01-01, which matches no org rows.
 *
 * Usage:
 * ```sql
 * WITH ${SNAPSHOTS_WITH}
 * SELECT … FROM decision_events AS e
 * INNER JOIN org_people AS p ON p.person_id = e.raised_by AND p.effective = ${snapshotFor('e.occurred_at')}
 * ```
 * The sorted array of snapshot dates is computed once per query (a scalar subquery), and each row
 * picks its date with arrayLast, which stays cheap because snapshots number in the dozens.
 */
export const SNAPSHOTS_ALIAS = 'org_snaps'

/** The WITH-clause item (without the WITH keyword) defining the sorted snapshot dates. */
export function snapshotsWith(alias: string = SNAPSHOTS_ALIAS): string {
  return `(SELECT arraySort(groupUniqArray(effective)) FROM org_snapshots FINAL) AS ${alias}`
}

export const SNAPSHOTS_WITH = snapshotsWith()

/** Expression: the effective date (Date) of the snapshot valid at the DateTime expression `expr`. */
export function snapshotFor(expr: string, alias: string = SNAPSHOTS_ALIAS): string {
  const day = `toDate(${expr})`
  // The lambda parameter is named so it cannot shadow a column of the caller's query.
  return `if(empty(${alias}), toDate('1970-01-01'), if(${day} < ${alias}[1], ${alias}[1], arrayLast(org_snap_day -> org_snap_day <= ${day}, ${alias})))`
}
