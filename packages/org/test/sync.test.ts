import { rmSync } from 'node:fs'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  confirmSync,
  heldSyncs,
  lastSyncAt,
  listSnapshots,
  OrgLookupError,
  resolveIdentities,
  SCIM_ENTERPRISE,
  SCIM_PATCH_OP,
  ScimUserStore,
  SNAPSHOTS_WITH,
  scimSource,
  snapshotFor,
  syncOrg,
} from '../src/index.ts'
import { tempDir } from './fixtures.ts'

const dir = tempDir('org-sync')
let client: ClickHouseClient
let store: ScimUserStore
const ids: Record<string, string> = {}

beforeAll(async () => {
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  store = new ScimUserStore(client)
})
afterAll(async () => {
  await client?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** what provisioning would have pushed: one user, its manager by SCIM id */
async function provision(local: string, manager: string | null, extra: Record<string, unknown> = {}) {
  const created = await store.create({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', SCIM_ENTERPRISE],
    userName: `${local}@x.com`,
    displayName: local.toUpperCase(),
    emails: [{ value: `${local}@x.com`, type: 'work', primary: true }],
    active: true,
    [SCIM_ENTERPRISE]: manager ? { manager: { value: ids[manager] } } : {},
    ...extra,
  })
  ids[local] = created.user.id
}

/** Entra ID's manager change (capitalised op, the extension path, the id as a plain string) */
const moveTo = (who: string, manager: string) =>
  store.patch(ids[who] as string, {
    schemas: [SCIM_PATCH_OP],
    Operations: [{ op: 'Replace', path: `${SCIM_ENTERPRISE}:manager`, value: ids[manager] }],
  })

const sync = (at: string) => syncOrg({ client, source: scimSource(client), now: () => new Date(at) })

/** the unit an event of `person` at each instant is attributed to: the rule metric SQL uses */
async function unitAt(person: string, instants: string[]): Promise<string[]> {
  const rows = await queryRows<{ unit: string }>(
    client,
    `WITH ${SNAPSHOTS_WITH}
     SELECT (SELECT any(home_unit) FROM org_people AS p WHERE p.person_id = {p:String} AND p.effective = ${snapshotFor('e.t')}) AS unit
     FROM (SELECT arrayJoin({ts:Array(DateTime64(3, 'UTC'))}) AS t) AS e ORDER BY e.t`,
    { p: person, ts: instants.map((i) => i.replace('T', ' ').replace('Z', '')) },
  )
  return rows.map((r) => r.unit)
}

describe('org sync from the provisioned SCIM users', () => {
  it('builds the first snapshot as org import would, leaving out inactive and unattached accounts', async () => {
    //   ceo ── vp ─┬─ em1 ── ic1, ic2
    //              └─ em2 ── ic3, ic4        (+ svc: no manager, no reports; ex: inactive)
    await provision('ceo', null)
    await provision('vp', 'ceo')
    await provision('em1', 'vp')
    await provision('em2', 'vp')
    for (const ic of ['ic1', 'ic2']) await provision(ic, 'em1')
    for (const ic of ['ic3', 'ic4']) await provision(ic, 'em2')
    await provision('svc', null)
    await provision('ex', 'em1', { active: false })
    expect(await lastSyncAt(client)).toBeNull()

    const first = await sync('2026-03-02T06:00:00Z')
    if (first.status === 'held') throw new Error(first.reasons.join('; '))
    const s = first.summary
    expect([s.effective, s.source, s.inputFormat, s.people, s.teams, s.previous]).toEqual([
      '2026-03-02',
      'hr:scim',
      'scim',
      8,
      // units: ceo's, vp's, em1's, em2's
      4,
      null,
    ])
    expect(s.warnings).toEqual(['1 with neither a manager nor reports left out: svc@x.com'])
    // 8 people's SCIM ids joined the identity map
    expect(s.identities.directory).toBe(8)
    const resolved = await resolveIdentities(client, [ids.ic2 as string, ids.svc as string])
    expect(Object.fromEntries(resolved)).toEqual({ [ids.ic2 as string]: 'ic2@x.com' })
    expect(await listSnapshots(client)).toEqual(['2026-03-02'])
    expect(await lastSyncAt(client)).toEqual(new Date('2026-03-02T06:00:00Z'))
  })

  it('a re-org picked up by the next sync attributes later events to the new team', async () => {
    await moveTo('ic2', 'em2')
    const second = await sync('2026-03-16T06:00:00Z')
    // 1 of 8 people moved: 12.5 %, under the 20 % guard
    expect(second.status).toBe('applied')
    if (second.status !== 'applied') return
    expect(second.summary.previous).toBe('2026-03-02')
    expect(second.summary.changes.moved).toEqual([
      { personId: 'ic2@x.com', name: 'IC2', from: 'em1@x.com', to: 'em2@x.com' },
    ])
    // before the first snapshot the first applies; from 2026-03-16 on the re-org does
    expect(
      await unitAt('ic2@x.com', ['2026-02-01T10:00:00Z', '2026-03-10T10:00:00Z', '2026-03-20T10:00:00Z']),
    ).toEqual(['u:em1@x.com', 'u:em1@x.com', 'u:em2@x.com'])
  })

  it('holds a suspicious diff out of force until it is confirmed', async () => {
    await moveTo('ic1', 'em2')
    await moveTo('ic3', 'em1')
    const held = await sync('2026-03-23T06:00:00Z')
    expect(held.status).toBe('held')
    if (held.status !== 'held') return
    // 2 of the 8 in force moved: 25 % > 20 %
    expect(held.reasons).toEqual([
      '2 of 8 people (25 %) changed managers, more than hr.guard.maxManagerChanges 20 %',
    ])
    expect(held.comparedWith).toBe('2026-03-16')
    expect(held.format()).toContain(`orgpulse org sync --confirm ${held.snapshotId}`)
    expect(await listSnapshots(client)).toEqual(['2026-03-02', '2026-03-16'])
    expect((await heldSyncs(client)).map((h) => h.snapshotId)).toEqual([held.snapshotId])
    expect(await unitAt('ic1@x.com', ['2026-03-24T10:00:00Z'])).toEqual(['u:em1@x.com'])

    const confirmed = await confirmSync({ client, snapshotId: held.snapshotId })
    expect(confirmed.summary.effective).toBe('2026-03-23')
    expect(confirmed.summary.changes.moved.map((m) => m.personId)).toEqual(['ic1@x.com', 'ic3@x.com'])
    expect(await listSnapshots(client)).toEqual(['2026-03-02', '2026-03-16', '2026-03-23'])
    expect(await unitAt('ic1@x.com', ['2026-03-20T10:00:00Z', '2026-03-24T10:00:00Z'])).toEqual([
      'u:em1@x.com',
      'u:em2@x.com',
    ])
    expect(await heldSyncs(client)).toEqual([])
    await expect(confirmSync({ client, snapshotId: held.snapshotId })).rejects.toThrow(
      `org sync ${held.snapshotId} is confirmed, not held`,
    )
  })

  it('holds mass removals, and refuses to confirm a hold a later sync overtook', async () => {
    for (const who of ['ic3', 'ic4']) {
      await store.patch(ids[who] as string, {
        schemas: [SCIM_PATCH_OP],
        Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
      })
    }
    const held = await sync('2026-03-30T06:00:00Z')
    if (held.status !== 'held') throw new Error('expected a hold')
    expect(held.reasons).toEqual(['2 of 8 people (25 %) are gone, more than hr.guard.maxRemoved 20 %'])
    // HR undoes the mistake before anyone confirms: the next sync applies, unchanged
    for (const who of ['ic3', 'ic4']) {
      await store.patch(ids[who] as string, {
        schemas: [SCIM_PATCH_OP],
        Operations: [{ op: 'replace', value: { active: true } }],
      })
    }
    const next = await sync('2026-03-30T07:00:00Z')
    expect(next.status).toBe('applied')
    if (next.status !== 'applied') return
    expect(next.summary.previous).toBe('2026-03-23')
    expect(next.summary.people).toBe(8)
    // overtaken: no longer listed as held, and refused
    expect(await heldSyncs(client)).toEqual([])
    await expect(confirmSync({ client, snapshotId: held.snapshotId })).rejects.toBeInstanceOf(OrgLookupError)
    await expect(confirmSync({ client, snapshotId: held.snapshotId })).rejects.toThrow(
      `is older than ${next.snapshotId}, which is already in force`,
    )
  })
})
