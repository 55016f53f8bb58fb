import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { type OrgSnapshot, toClickHouseTime } from '@orgpulse/contracts'
import type { Alias } from '../identities.ts'

/** What became of one sync's org (migration 014 org_sync_snapshots). */
export type SyncStatus = 'applied' | 'held' | 'confirmed'

export interface SyncRecord {
  snapshotId: string
  source: string
  effective: string
  createdAt: string
  status: SyncStatus
  /** why the guard held it (empty when it did not) */
  reasons: string[]
  snapshot: OrgSnapshot
  /** source ids → email to join to identity_map when it goes into force */
  directory: Alias[]
}

let lastVersion = 0
/** strictly increasing in this process: a confirm right after the hold must replace it */
const nextVersion = (): number => {
  lastVersion = Math.max(Date.now() * 1000, lastVersion + 1)
  return lastVersion
}

export async function writeSyncRecord(client: ClickHouseClient, r: SyncRecord): Promise<void> {
  await client.insert({
    table: 'org_sync_snapshots',
    values: [
      {
        snapshot_id: r.snapshotId,
        source: r.source,
        effective: r.effective,
        created_at: toClickHouseTime(r.createdAt),
        status: r.status,
        reasons: r.reasons,
        snapshot: JSON.stringify({ snapshot: r.snapshot, directory: r.directory }),
        version: nextVersion(),
      },
    ],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
}

interface Row {
  snapshot_id: string
  source: string
  effective: string
  created_at: string
  status: SyncStatus
  reasons: string[]
  snapshot: string
}

const toRecord = (r: Row): SyncRecord => ({
  snapshotId: r.snapshot_id,
  source: r.source,
  effective: r.effective,
  createdAt: new Date(`${r.created_at.replace(' ', 'T')}Z`).toISOString(),
  status: r.status,
  reasons: r.reasons,
  ...(JSON.parse(r.snapshot) as { snapshot: OrgSnapshot; directory: Alias[] }),
})

export async function readSyncRecord(
  client: ClickHouseClient,
  snapshotId: string,
): Promise<SyncRecord | null> {
  const rows = await queryRows<Row>(
    client,
    'SELECT * EXCEPT version FROM org_sync_snapshots FINAL WHERE snapshot_id = {id:String}',
    { id: snapshotId },
  )
  return rows[0] ? toRecord(rows[0]) : null
}

/** the syncs after `createdAt` whose org went into force (a held one confirmed later would undo them) */
export async function appliedSince(client: ClickHouseClient, createdAt: string): Promise<string[]> {
  const rows = await queryRows<{ snapshot_id: string }>(
    client,
    `SELECT snapshot_id FROM org_sync_snapshots FINAL
     WHERE status IN ('applied', 'confirmed') AND created_at > {t:DateTime64(3, 'UTC')} ORDER BY created_at`,
    { t: toClickHouseTime(createdAt) },
  )
  return rows.map((r) => r.snapshot_id)
}

/** held syncs a later sync has not overtaken (read after the org in force), newest first */
export async function heldSyncs(
  client: ClickHouseClient,
): Promise<Omit<SyncRecord, 'snapshot' | 'directory'>[]> {
  const rows = await queryRows<Omit<Row, 'snapshot'>>(
    client,
    `SELECT snapshot_id, source, effective, created_at, status, reasons FROM org_sync_snapshots FINAL
     WHERE status = 'held' AND created_at > (
       SELECT max(created_at) FROM org_sync_snapshots FINAL WHERE status IN ('applied', 'confirmed'))
     ORDER BY created_at DESC`,
  )
  return rows.map((r) => {
    const { snapshot: _s, directory: _d, ...rest } = toRecord({ ...r, snapshot: '{}' })
    return rest
  })
}

/** when the last sync ran (held or applied), null before the first: `org sync --due` */
export async function lastSyncAt(client: ClickHouseClient): Promise<Date | null> {
  const rows = await queryRows<{ at: string | null; n: string | number }>(
    client,
    'SELECT toString(max(created_at)) AS at, count() AS n FROM org_sync_snapshots',
  )
  if (!rows[0] || Number(rows[0].n) === 0 || !rows[0].at) return null
  return new Date(`${rows[0].at.replace(' ', 'T')}Z`)
}
