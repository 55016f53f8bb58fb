import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgSnapshot } from '@orgpulse/contracts'
import type { Bus } from '@orgpulse/kafka'
import { diffPeople, type OrgChanges } from '../changes.ts'
import { deriveOrg } from '../derive.ts'
import { OrgLookupError } from '../errors.ts'
import type { Alias } from '../identities.ts'
import { applySnapshot, effectiveDay } from '../import.ts'
import { previousSnapshot, readSnapshot, snapshotExists } from '../store.ts'
import type { ImportSummary } from '../summary.ts'
import { type HrSource, rowsFromRecords } from './records.ts'
import { appliedSince, readSyncRecord, type SyncRecord, writeSyncRecord } from './store.ts'

export interface SyncGuard {
  /** share of the people in force whose manager changed */
  maxManagerChanges: number
  /** share of the people in force who are gone */
  maxRemoved: number
}

export const DEFAULT_GUARD: SyncGuard = { maxManagerChanges: 0.2, maxRemoved: 0.2 }

export interface SyncOptions {
  client: ClickHouseClient
  bus?: Pick<Bus, 'publish'> | undefined
  source: HrSource
  config?: { identities?: { aliases?: readonly Alias[] } } | undefined
  guard?: SyncGuard | undefined
  now?: () => Date
}

/** a sync whose org went into force: the import summary, with the sync's id */
export interface AppliedSync {
  status: 'applied' | 'confirmed'
  snapshotId: string
  summary: ImportSummary
}

/** a sync the guard held: stored, not in force, until `org sync --confirm snapshotId` */
export interface HeldSync {
  status: 'held'
  snapshotId: string
  effective: string
  source: string
  /** the snapshot in force it was compared with */
  comparedWith: string
  reasons: string[]
  changes: OrgChanges
  format(): string
}

export type SyncResult = AppliedSync | HeldSync

const pct = (n: number): string => `${Math.round(n * 1000) / 10} %`

/**
 * Why `after` is too different from the org in force to apply unseen: more managers changed, or
 * more people gone, than the guard's shares of the people in force. Empty when it may apply.
 */
export function guardReasons(before: number, changes: OrgChanges, guard: SyncGuard): string[] {
  if (before === 0) return []
  const reasons: string[] = []
  const moved = changes.moved.length / before
  const removed = changes.removed.length / before
  if (moved > guard.maxManagerChanges)
    reasons.push(
      `${changes.moved.length} of ${before} people (${pct(moved)}) changed managers, more than hr.guard.maxManagerChanges ${pct(guard.maxManagerChanges)}`,
    )
  if (removed > guard.maxRemoved)
    reasons.push(
      `${changes.removed.length} of ${before} people (${pct(removed)}) are gone, more than hr.guard.maxRemoved ${pct(guard.maxRemoved)}`,
    )
  return reasons
}

const snapshotIdAt = (now: Date): string =>
  `sync-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`

/** the org in force on `effective` before a write of that date: the same date's, else the one before */
async function inForce(client: ClickHouseClient, effective: string): Promise<OrgSnapshot | null> {
  const date = (await snapshotExists(client, effective))
    ? effective
    : await previousSnapshot(client, effective)
  return date ? readSnapshot(client, date) : null
}

/**
 * `orgpulse org sync`: reads the HR source, builds the org exactly as `org import` does (same
 * validation, deriveOrg, applySnapshot), effective today (UTC). A diff past the guard is stored as
 * held instead, and nothing in force changes until it is confirmed.
 */
export async function syncOrg(options: SyncOptions): Promise<SyncResult> {
  const { client, source } = options
  const now = options.now?.() ?? new Date()
  const effective = effectiveDay(now)
  const label = `hr:${source.name}`
  const records = await source.read()
  const built = rowsFromRecords(records, label)
  const snapshot: OrgSnapshot = { effective, importedAt: now.toISOString(), ...deriveOrg(built.rows) }
  const snapshotId = snapshotIdAt(now)

  const before = await inForce(client, effective)
  const changes = before ? diffPeople(before.people, snapshot.people) : null
  const reasons =
    before && changes ? guardReasons(before.people.length, changes, options.guard ?? DEFAULT_GUARD) : []
  const record: SyncRecord = {
    snapshotId,
    source: label,
    effective,
    createdAt: now.toISOString(),
    status: reasons.length > 0 ? 'held' : 'applied',
    reasons,
    snapshot,
    directory: source.joinsIdentities ? built.directory : [],
  }
  if (before && changes && reasons.length > 0) {
    await writeSyncRecord(client, record)
    return held(record, before.effective, changes)
  }
  const summary = await applySnapshot(options, snapshot, {
    source: label,
    inputFormat: source.name,
    outsideRoot: built.outsideRoot,
    ...(source.joinsIdentities ? { directory: built.directory } : {}),
    compareWithReplaced: true,
    warnings: built.warnings,
  })
  await writeSyncRecord(client, record)
  return { status: 'applied', snapshotId, summary }
}

function held(record: SyncRecord, comparedWith: string, changes: OrgChanges): HeldSync {
  return {
    status: 'held',
    snapshotId: record.snapshotId,
    effective: record.effective,
    source: record.source,
    comparedWith,
    reasons: record.reasons,
    changes,
    format: () =>
      [
        `HELD org sync ${record.snapshotId} from ${record.source} (effective ${record.effective}): not in force`,
        ...record.reasons.map((r) => `  ${r}`),
        `  compared with the snapshot in force (effective ${comparedWith}): ${changes.added.length} added, ${changes.removed.length} removed, ${changes.moved.length} moved, ${changes.retitled.length} title changes`,
        `  if the HR change is real: orgpulse org sync --confirm ${record.snapshotId}`,
      ].join('\n'),
  }
}

export interface ConfirmOptions {
  client: ClickHouseClient
  bus?: Pick<Bus, 'publish'> | undefined
  config?: { identities?: { aliases?: readonly Alias[] } } | undefined
  snapshotId: string
}

/**
 * `orgpulse org sync --confirm SNAPSHOT_ID`: puts a held sync in force as it was read. Refused
 * when a later sync already went into force: confirming the older org would undo it.
 */
export async function confirmSync(options: ConfirmOptions): Promise<AppliedSync> {
  const { client, snapshotId } = options
  const record = await readSyncRecord(client, snapshotId)
  if (!record)
    throw new OrgLookupError(`no org sync ${snapshotId} (see the log of \`org sync\` for held ids)`)
  if (record.status !== 'held')
    throw new OrgLookupError(`org sync ${snapshotId} is ${record.status}, not held: nothing to confirm`)
  const newer = await appliedSince(client, record.createdAt)
  if (newer.length > 0)
    throw new OrgLookupError(
      `org sync ${snapshotId} is older than ${newer.at(-1)}, which is already in force: run \`orgpulse org sync\` again instead`,
    )
  const summary = await applySnapshot(options, record.snapshot, {
    source: record.source,
    inputFormat: record.source.replace(/^hr:/, '') as 'scim' | 'graph' | 'bamboohr',
    outsideRoot: null,
    ...(record.directory.length > 0 ? { directory: record.directory } : {}),
    compareWithReplaced: true,
  })
  await writeSyncRecord(client, { ...record, status: 'confirmed' })
  return { status: 'confirmed', snapshotId, summary }
}
