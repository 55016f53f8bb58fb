import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { CanonicalEvent, EventType } from '@orgpulse/contracts'
import { toClickHouseTime } from '@orgpulse/contracts'

/** The fact table and row for each canonical event type: the one mapping from events to storage. */
export const FACT_TABLE: Record<EventType, string> = {
  'decision.raised': 'decision_events',
  'decision.escalated': 'decision_events',
  'decision.decided': 'decision_events',
  'decision.rejected': 'decision_events',
  'decision.withdrawn': 'decision_events',
  'decision.reversed': 'decision_events',
  'decision.superseded': 'decision_events',
  'decision.dropped': 'decision_events',
  'workitem.status_changed': 'workitem_events',
  'dependency.linked': 'dependency_events',
  'dependency.resolved': 'dependency_events',
  'meeting.held': 'meetings',
  'cycle.snapshot': 'cycles',
  'source.synced': 'source_coverage',
}

export type FactRow = Record<string, unknown>

export function factRow(e: CanonicalEvent): FactRow {
  // Object.assign, not `{ ...common, a, b }`: V8 (Node 20) takes a slow path for properties added
  // after a spread, about 3 µs a row, which made this the sink's hottest line
  const common: FactRow = {
    id: e.id,
    source: e.source,
    source_id: e.sourceId,
    occurred_at: toClickHouseTime(e.occurredAt),
    version: e.version,
  }
  switch (e.type) {
    case 'decision.raised':
    case 'decision.escalated':
    case 'decision.decided':
    case 'decision.rejected':
    case 'decision.withdrawn':
    case 'decision.reversed':
    case 'decision.superseded':
    case 'decision.dropped':
      return Object.assign(common, {
        type: e.type,
        decision_id: e.decisionId,
        raised_by: e.raisedBy,
        actor: ('actor' in e && e.actor) || '',
        targets: e.type === 'decision.escalated' ? e.escalatedTo : [],
        title: e.title,
        team: e.team,
        project: e.project,
        epic: e.epic,
        expected_decider: e.expectedDecider,
        tags: e.type === 'decision.raised' ? e.tags : [],
        complete: e.complete ? 1 : 0,
        arrival: e.arrival,
      })
    case 'workitem.status_changed':
      return Object.assign(common, {
        item_id: e.itemId,
        team: e.team,
        project: e.project,
        epic: e.epic,
        from_status: e.fromStatus,
        to_status: e.toStatus,
        category: e.category,
        actor: e.actor ?? '',
      })
    case 'dependency.linked':
    case 'dependency.resolved':
      return Object.assign(common, {
        type: e.type,
        link_id: e.linkId,
        blocker_item: e.blockerItem,
        blocked_item: e.blockedItem,
        blocker_team: e.blockerTeam,
        blocked_team: e.blockedTeam,
        project: e.project,
        epic: e.epic,
        reason: e.type === 'dependency.resolved' ? e.reason : '',
      })
    case 'meeting.held':
      return Object.assign(common, {
        meeting_id: e.meetingId,
        start: toClickHouseTime(e.start),
        end: toClickHouseTime(e.end),
        all_day: e.allDay ? 1 : 0,
        cancelled: e.cancelled ? 1 : 0,
        class: e.class,
        ritual: e.ritual,
        organizer: e.organizer,
        attendees: e.attendees.map((a) => a.person),
        responses: e.attendees.map((a) => a.response),
        external_attendees: e.externalAttendees,
      })
    case 'cycle.snapshot':
      return Object.assign(common, {
        cycle_id: e.cycleId,
        team: e.team,
        name: e.name,
        starts_at: toClickHouseTime(e.startsAt),
        ends_at: toClickHouseTime(e.endsAt),
        committed: e.committedScope,
        completed: e.completedScope,
        added: e.addedScope,
      })
    case 'source.synced':
      return Object.assign(common, {
        scope_kind: e.scopeKind,
        scope_id: e.scope,
        mode: e.mode,
        covered_from: e.coveredFrom === null ? null : toClickHouseTime(e.coveredFrom),
        covered_to: toClickHouseTime(e.coveredTo),
        teams: e.teams,
      })
  }
}

/**
 * The insert-deduplication token of one insert: a hash of the table and of the rows exactly as
 * inserted, every column. A true retry (the same rows again) is dropped by ClickHouse; anything
 * else is never dropped, however the offsets that carried it were numbered (the in-process bus
 * numbers them from 0 in every command, a recreated topic restarts them, a replay from raw after
 * a mapping change yields other rows). An offset-range token was measured losing accepted records.
 */
export function rowsToken(table: string, rows: readonly unknown[]): string {
  const hash = createHash('sha256').update(table).update('\n')
  for (const row of rows) hash.update(JSON.stringify(row)).update('\n')
  return `${table}:${rows.length}:${hash.digest('hex')}`
}

/** one fact row and the table it goes to */
export interface TableRow {
  table: string
  row: FactRow
  /**
   * The bytes the row was built from by a deterministic function (the sink: the canonical
   * event's message, taken on the transformer's word). Hashed for the insert's token instead of
   * the row: the same bytes always give the same row, and hashing the bytes saves encoding every
   * row a second time (a tenth of the sink's CPU).
   */
  from?: Buffer
}

/** the fact row of one event, with its table: what the sink builds per record (a throw is that record's fault) */
export const tableRow = (e: CanonicalEvent): TableRow => ({ table: FACT_TABLE[e.type], row: factRow(e) })

/**
 * Writes canonical events to their fact tables, one insert per table, each with its rows' token
 * (`rowsToken`): a retried batch is a no-op; ReplacingMergeTree on the id is the backstop for
 * duplicates that arrive in a different batch.
 */
export function writeFacts(client: ClickHouseClient, events: CanonicalEvent[]): Promise<number> {
  return writeFactRows(client, events.map(tableRow))
}

/** `writeFacts` for rows already built (`tableRow`), in their order */
export async function writeFactRows(client: ClickHouseClient, rows: readonly TableRow[]): Promise<number> {
  const byTable = new Map<string, TableRow[]>()
  for (const r of rows) {
    const list = byTable.get(r.table)
    if (list) list.push(r)
    else byTable.set(r.table, [r])
  }
  for (const [table, list] of byTable) {
    const values = list.map((r) => r.row)
    const token = list.every((r) => r.from !== undefined)
      ? bytesToken(table, list as Required<TableRow>[])
      : rowsToken(table, values)
    await client.insert({
      table,
      values,
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0, insert_deduplication_token: token },
    })
  }
  return rows.length
}

/** `rowsToken` over the bytes each row was built from; a different prefix, so the two never collide */
export function bytesToken(table: string, rows: readonly Required<TableRow>[]): string {
  // length-prefixed: the concatenation alone could be split between rows in other ways. One
  // buffer, one update: the same digest as an update per length and per row, at two native
  // calls a batch instead of two a row
  let size = 0
  for (const r of rows) size += 4 + r.from.length
  const all = Buffer.allocUnsafe(size)
  let at = 0
  for (const r of rows) {
    at = all.writeUInt32BE(r.from.length, at)
    at += r.from.copy(all, at)
  }
  const hash = createHash('sha256').update(table).update('\n').update(all)
  return `${table}:${rows.length}:b:${hash.digest('hex')}`
}
