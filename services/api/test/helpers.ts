import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, writeFacts } from '@orgpulse/clickhouse'
import { type CanonicalEventInput, canonicalEventSchema, configSchema, eventId } from '@orgpulse/contracts'
import { MemoryBus } from '@orgpulse/kafka'
import { importOrg } from '@orgpulse/org'
import type { FastifyInstance } from 'fastify'
import { type AppDeps, buildApp } from '../src/app.ts'

export const config = configSchema.parse({})

/** A fresh embedded ClickHouse for one test file (chDB: one data directory per process). */
export async function freshClickHouse(): Promise<{ client: ClickHouseClient; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-api-'))
  const client = createClickHouse({ dataDir: dir })
  await migrate(client)
  return { client, dir }
}

/*
 * The fixture org (one snapshot, effective 2026-01-01):
 *   ceo ─┬─ dir ─┬─ m1 ── a1 a2 a3 a4 a5      (team m1: 6 people)
 *        │       └─ m2 ── b1 b2               (team m2: 3 people: under privacy.minGroupSize 5)
 *        └─ dir2 ── m3 ── c1 c2 c3
 */
export const ORG_CSV = `email,name,manager_email,title
ceo@x.io,Cleo CEO,,CEO
dir@x.io,Dana Director,ceo@x.io,Director of Engineering
dir2@x.io,Dev Director,ceo@x.io,Director of Product
m1@x.io,Mia Manager,dir@x.io,EM
m2@x.io,Max Manager,dir@x.io,EM
m3@x.io,Moe Manager,dir2@x.io,EM
a1@x.io,Ann,m1@x.io,Engineer
a2@x.io,Abe,m1@x.io,Engineer
a3@x.io,Ava,m1@x.io,Engineer
a4@x.io,Axel,m1@x.io,Engineer
a5@x.io,Amy,m1@x.io,Engineer
b1@x.io,Bea,m2@x.io,Engineer
b2@x.io,Bo,m2@x.io,Engineer
c1@x.io,Cy,m3@x.io,PM
c2@x.io,Cat,m3@x.io,PM
c3@x.io,Cal,m3@x.io,PM
`

export async function importFixtureOrg(client: ClickHouseClient, dir: string): Promise<void> {
  const file = join(dir, 'org.csv')
  writeFileSync(file, ORG_CSV)
  await importOrg({ client, file, effective: '2026-01-01' })
}

const at = (iso: string) => new Date(iso).toISOString()

export interface FixtureDecision {
  id: string
  raisedBy: string
  raisedAt: string
  decidedBy?: string
  decidedAt?: string
  rejected?: boolean
  escalatedTo?: string
  withdrawnAt?: string
}

export function decisionEvents(d: FixtureDecision): CanonicalEventInput[] {
  const common = {
    source: 'decisions' as const,
    sourceId: d.id,
    decisionId: `decisions:${d.id}`,
    raisedBy: d.raisedBy,
    title: `decision ${d.id}`,
    team: '',
  }
  const events: CanonicalEventInput[] = [
    {
      ...common,
      id: eventId('decisions', d.id, 'raised'),
      type: 'decision.raised',
      occurredAt: at(d.raisedAt),
      version: 1,
      tags: [],
    },
  ]
  if (d.escalatedTo) {
    events.push({
      ...common,
      id: eventId('decisions', d.id, 'esc'),
      type: 'decision.escalated',
      occurredAt: at(d.raisedAt),
      version: 1,
      escalatedTo: [d.escalatedTo],
    })
  }
  if (d.decidedBy && d.decidedAt) {
    events.push({
      ...common,
      id: eventId('decisions', d.id, 'call'),
      type: d.rejected ? 'decision.rejected' : 'decision.decided',
      occurredAt: at(d.decidedAt),
      version: 1,
      actor: d.decidedBy,
    })
  }
  if (d.withdrawnAt)
    events.push({
      ...common,
      id: eventId('decisions', d.id, 'wd'),
      type: 'decision.withdrawn',
      occurredAt: at(d.withdrawnAt),
      version: 1,
    })
  return events
}

export function linkEvents(
  id: string,
  blocker: string,
  blocked: string,
  created: string,
  resolved?: string,
): CanonicalEventInput[] {
  const common = {
    source: 'jira' as const,
    sourceId: id,
    linkId: `jira:${id}`,
    blockerItem: `${id}-A`,
    blockedItem: `${id}-B`,
    blockerTeam: blocker,
    blockedTeam: blocked,
  }
  const events: CanonicalEventInput[] = [
    {
      ...common,
      id: eventId('jira', id, 'linked'),
      type: 'dependency.linked',
      occurredAt: at(created),
      version: 1,
    },
  ]
  if (resolved) {
    events.push({
      ...common,
      id: eventId('jira', id, 'resolved'),
      type: 'dependency.resolved',
      occurredAt: at(resolved),
      version: 2,
      reason: 'blocker_done',
    })
  }
  return events
}

export async function insertEvents(client: ClickHouseClient, events: CanonicalEventInput[]): Promise<void> {
  await writeFacts(
    client,
    events.map((e) => canonicalEventSchema.parse(e)),
  )
}

export async function app(client: ClickHouseClient, deps: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const a = await buildApp({ client, bus: new MemoryBus(), config, auth: 'tokens', ...deps })
  await a.ready()
  return a
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
