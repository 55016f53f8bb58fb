import { configSchema, rawEnvelopeSchema, rawTopic } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { MemoryBus } from '@orgpulse/kafka'
import { afterEach, describe, expect, it } from 'vitest'
import { transformBytes } from '../../../test/setup/pipeline.ts'
import { syncSprints } from '../src/index.ts'
import { clientFor, jiraConfig, seed } from './fixtures.ts'

/**
 * Scrum boards and sprints through the Agile API of the fake (startAt/maxResults capped at 50,
 * isLast), then the transformer: sprint envelopes become cycle snapshots whose figures are
 * computed by hand from the story below.
 */

let fake: FakeJira | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const at = (d: number, h = 12) => Date.UTC(2026, 2, d, h)
const by = 'acc-erin'

async function story() {
  fake = await startFakeJira(
    seed({
      boards: [
        { id: 7, name: 'ENG board', project: 'ENG' },
        { id: 8, name: 'ENG kanban', project: 'ENG', type: 'kanban' },
        { id: 9, name: 'OPS board', project: 'OPS' },
      ],
    }),
  )
  // (the seed's ENG issues are created on 2–5 March)
  // sprint 1 (6 → 13 March): ENG-1 and ENG-2 committed, ENG-3 added on the 9th;
  // ENG-1 and ENG-3 done in time, ENG-2 carried over to sprint 2 at the close
  const s1 = fake.createSprint(7, 'ENG Sprint 1', { at: at(1) })
  const s2 = fake.createSprint(7, 'ENG Sprint 2', { at: at(1) })
  fake.createSprint(7, 'ENG Sprint 3', { at: at(1) })
  fake.moveToSprint('ENG-1', s1, { by, at: at(5, 14) })
  fake.moveToSprint('ENG-2', s1, { by, at: at(5, 15) })
  fake.startSprint(s1, { at: at(6, 9), endAt: at(13, 17) })
  fake.moveToSprint('ENG-3', s1, { by, at: at(9) })
  fake.transition('ENG-1', 'Done', { by, at: at(10) })
  fake.transition('ENG-3', 'Done', { by, at: at(12) })
  fake.closeSprint(s1, { by, at: at(13, 17), moveOpenTo: s2 })
  // sprint 2 (16 → 27 March) runs: ENG-2 carried in before the start, ENG-4 added on the 18th
  fake.startSprint(s2, { at: at(16, 9), endAt: at(27, 17) })
  fake.moveToSprint('ENG-4', s2, { by, at: at(18) })
  fake.transition('ENG-2', 'Done', { by, at: at(19) })
  return { s1, s2 }
}

async function snapshots(sinceMs: number | null, fetchedAt = new Date(at(20)).toISOString()) {
  const bus = new MemoryBus()
  const client = clientFor(fake!.url)
  const result = await syncSprints({
    client,
    bus,
    project: 'ENG',
    instance: fake!.url,
    statusCategories: await client.statusCategories(),
    changelog: 'bulk',
    sinceMs,
    fetchedAt,
  })
  const config = configSchema.parse({ jira: { ...jiraConfig(), baseUrl: fake!.url } })
  const events = bus
    .messages(rawTopic('jira'))
    .flatMap((m) => transformBytes(m.value, { config }))
    .sort((a, b) => a.sourceId.localeCompare(b.sourceId))
  return { result, events, raw: bus.messages(rawTopic('jira')) }
}

describe('Jira sprints → cycle snapshots', () => {
  it('snapshots every started sprint of the project’s scrum boards (hand-computed scope)', async () => {
    const { s1, s2 } = await story()
    const { result, events, raw } = await snapshots(null)
    // boards 7 (scrum) of ENG; the kanban board is not asked for sprints, OPS's board not listed
    expect(result).toEqual({ boards: 1, sprints: 2, published: 2 })
    expect(fake!.count('/rest/agile/1.0/board/8')).toBe(0)
    expect(raw.map((m) => m.key)).toEqual([`sprint:${s1}`, `sprint:${s2}`])
    expect(rawEnvelopeSchema.parse(JSON.parse(raw[0]!.value.toString())).entity).toBe('sprint')
    expect(events).toEqual([
      expect.objectContaining({
        type: 'cycle.snapshot',
        cycleId: `jira:${s1}`,
        team: 'u:erin@acme.test',
        name: 'ENG Sprint 1',
        startsAt: '2026-03-06T09:00:00.000Z',
        endsAt: '2026-03-13T17:00:00.000Z',
        committedScope: 2,
        addedScope: 1,
        completedScope: 2,
      }),
      expect.objectContaining({
        cycleId: `jira:${s2}`,
        name: 'ENG Sprint 2',
        endsAt: '2026-03-27T17:00:00.000Z',
        committedScope: 1,
        addedScope: 1,
        completedScope: 1,
        occurredAt: '2026-03-20T12:00:00.000Z',
      }),
    ])
  })

  it('an issue moved out of a sprint before its end counts as committed (or added) and never completed', async () => {
    fake = await startFakeJira(seed({ boards: [{ id: 7, name: 'ENG board', project: 'ENG' }] }))
    // sprint 1 (6 → 13 March): ENG-1, ENG-2 and ENG-4 committed; ENG-4 moved to the backlog on the
    // 8th, ENG-2 to sprint 2 on the 9th (already done by then: it still left); ENG-3 added on the
    // 9th and taken out again on the 11th; ENG-1 done on the 10th
    const s1 = fake.createSprint(7, 'ENG Sprint 1', { at: at(1) })
    const s2 = fake.createSprint(7, 'ENG Sprint 2', { at: at(1) })
    for (const [key, h] of [
      ['ENG-1', 14],
      ['ENG-2', 15],
      ['ENG-4', 16],
    ] as const)
      fake.moveToSprint(key, s1, { by, at: at(5, h) })
    fake.startSprint(s1, { at: at(6, 9), endAt: at(13, 17) })
    fake.moveToSprint('ENG-4', null, { by, at: at(8) })
    fake.transition('ENG-2', 'Done', { by, at: at(8, 15) })
    fake.moveToSprint('ENG-2', s2, { by, at: at(9) })
    fake.moveToSprint('ENG-3', s1, { by, at: at(9, 14) })
    fake.transition('ENG-1', 'Done', { by, at: at(10) })
    fake.moveToSprint('ENG-3', null, { by, at: at(11) })
    fake.closeSprint(s1, { by, at: at(13, 17) })
    // the Agile API lists only what the sprint holds now
    const listed = await clientFor(fake.url).sprintIssues(s1)
    expect(listed.map((i) => i.key)).toEqual(['ENG-1'])

    const { result, events } = await snapshots(null)
    expect(result).toEqual({ boards: 1, sprints: 1, published: 1, removed: 3 })
    expect(events).toEqual([
      expect.objectContaining({
        type: 'cycle.snapshot',
        cycleId: `jira:${s1}`,
        // ENG-1, ENG-2, ENG-4 in at the start; ENG-3 joined after it; only ENG-1 there and done at the end
        committedScope: 3,
        addedScope: 1,
        completedScope: 1,
      }),
    ])
  })

  it('an incremental run refreshes the running sprint and those closed since the cursor only', async () => {
    const { s2 } = await story()
    const { result, raw } = await snapshots(at(14))
    expect(result).toEqual({ boards: 1, sprints: 2, published: 1 })
    expect(raw.map((m) => m.key)).toEqual([`sprint:${s2}`])
  })

  it('pages boards and sprints by startAt (50 at most per page)', async () => {
    fake = await startFakeJira(
      seed({
        boards: Array.from({ length: 60 }, (_, i) => ({ id: 100 + i, name: `b${i}`, project: 'ENG' })),
      }),
    )
    for (let i = 0; i < 55; i++)
      fake.startSprint(fake.createSprint(100, `s${i}`), { at: at(2), endAt: at(13) })
    const client = clientFor(fake.url)
    expect((await client.boards('ENG')).length).toBe(60)
    expect((await client.sprints(100)).length).toBe(55)
    expect(fake.count('/rest/agile/1.0/board', 'GET')).toBe(2 + 2)
  })

  it('a site without Jira Software (404 on the Agile API) gets an error saying how to turn sprints off', async () => {
    fake = await startFakeJira(seed())
    fake.failNext(1, { status: 404, match: /^\/rest\/agile\/1\.0\/board/ })
    await expect(clientFor(fake.url).boards('ENG')).rejects.toThrow(
      /listing the scrum boards of Jira project ENG: not found .*set jira\.sync\.sprints: false/,
    )
  })
})
