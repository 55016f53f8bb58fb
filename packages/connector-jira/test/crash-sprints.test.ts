import type { CursorStore } from '@orgpulse/clickhouse'
import { rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type FakeJira, startFakeJira } from '@orgpulse/fakes/jira'
import { ackIsDurable, type Bus, type BusMessage, MemoryBus } from '@orgpulse/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { syncJira } from '../src/index.ts'
import { clientFor, jiraConfig, seed } from './fixtures.ts'

/**
 * A run that dies in the sprint phase, after the issue cursor moved past a change that came
 * after a sprint closed: the next run must still snapshot that closed sprint.
 */
const at = (d: number, h = 12) => Date.UTC(2026, 2, d, h)
const by = 'acc-erin'
let fake: FakeJira
let s1: number

beforeAll(async () => {
  fake = await startFakeJira(seed({ boards: [{ id: 7, name: 'ENG board', project: 'ENG' }] }))
  s1 = fake.createSprint(7, 'ENG Sprint 1', { at: at(1) })
  fake.moveToSprint('ENG-1', s1, { by, at: at(5, 14) })
  fake.startSprint(s1, { at: at(6, 9), endAt: at(13, 17) })
})
afterAll(async () => fake?.close())

/** the cursor store, in memory: it survives the "crash" as ClickHouse would */
const stored = new Map<string, { cursor: string; configHash: string; updatedAt: string }>()
const cursors = {
  get: async (_c: string, scope: string) => stored.get(scope) ?? null,
  set: async (_c: string, scope: string, cursor: string, configHash = '') =>
    void stored.set(scope, { cursor, configHash, updatedAt: '' }),
} as unknown as CursorStore

class Died extends Error {}

const sprintsIn = (bus: MemoryBus) =>
  bus
    .messages(rawTopic('jira'))
    .map(
      (m) =>
        JSON.parse(m.value.toString('utf8')) as {
          entity: string
          payload: { sprint?: { id: number; state: string } }
        },
    )
    .filter((e) => e.entity === 'sprint')
    .map((e) => `${e.payload.sprint!.id}:${e.payload.sprint!.state}`)

const sync = (bus: Bus, day: number) =>
  syncJira({
    client: clientFor(fake.url),
    bus,
    cursors,
    durable: ackIsDurable,
    config: jiraConfig({ projects: ['ENG'], teams: [{ team: 'u:erin@acme.test', projects: ['ENG'] }] }),
    instance: fake.url,
    now: () => at(day),
  })

describe('Jira sync killed in the sprint phase', () => {
  it('the next run still snapshots a sprint that closed before the newest issue change', async () => {
    const first = new MemoryBus()
    await first.ensureTopics(TOPIC_SPECS)
    await sync(first, 12)
    expect(sprintsIn(first)).toEqual([`${s1}:active`])

    // the sprint closes, then an issue changes two days later
    fake.closeSprint(s1, { by, at: at(13, 17) })
    fake.transition('ENG-4', 'Done', { by, at: at(15) })

    // the second run gets the issue page through, then dies publishing the sprint snapshot
    const inner = new MemoryBus()
    await inner.ensureTopics(TOPIC_SPECS)
    const dying: Bus = Object.assign(Object.create(inner) as Bus, {
      publish: async (topic: string, messages: BusMessage[]) => {
        if (messages.some((m) => m.key?.startsWith('sprint:'))) throw new Died('killed in the sprint phase')
        await inner.publish(topic, messages)
      },
    })
    await expect(sync(dying, 16)).rejects.toThrow(Died)

    const third = new MemoryBus()
    await third.ensureTopics(TOPIC_SPECS)
    const result = await sync(third, 17)
    expect(result.projects[0]!.mode).toBe('incremental')
    expect(sprintsIn(third)).toEqual([`${s1}:closed`])
  })
})
