import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { configSchema, parseEnv, type RawEnvelope, rawTopic, TOPIC_SPECS } from '@orgpulse/contracts'
import { type FakeLinear, LINEAR_IDS, linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { MemoryBus, type Subscription, waitUntilCaughtUp, waitUntilWritten } from '@orgpulse/kafka'
import { resolveIdentities, setAliases } from '@orgpulse/org'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STAGE_GROUPS, startSink, startTransformer } from '../../../test/setup/pipeline.ts'
import { linearConnector, linearWebhookRoutes } from '../src/index.ts'

/**
 * The Linear user directory through the connector as `orgpulse ingest linear` runs it: every
 * pull (incremental ones too, not only --full) reads GraphQL `users` and writes
 * `linear:<id>` → email into identity_map, which is how webhook events that name people by id
 * (issue 16, item 1) resolve at query time.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'orgpulse-linear-dir-'))
const config = configSchema.parse({ linear: { teams: { ENG: 'u:eng-lead@example.com' } } })
const { users } = LINEAR_IDS
let client: ClickHouseClient
let bus: MemoryBus
let subs: Subscription[] = []
let fake: FakeLinear

const STAGES = [STAGE_GROUPS.transformer, STAGE_GROUPS.sink]
async function pull(full = false) {
  const env = parseEnv({ LINEAR_API_KEY: fake.apiKey, LINEAR_API_URL: fake.url })
  const report = await linearConnector.sync(
    {
      mode: 'embedded',
      dataDir,
      config,
      env,
      client,
      bus,
      log: { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<
        typeof linearConnector.sync
      >[0]['log'],
      flush: () => waitUntilCaughtUp(bus, STAGES),
      durable: () => waitUntilWritten(bus, STAGES),
    },
    { full },
  )
  await waitUntilCaughtUp(bus, STAGES)
  return report
}
const userEnvelopes = () =>
  bus
    .messages(rawTopic('linear'))
    .map((m) => JSON.parse(m.value.toString()) as { entity: string; sourceId: string })
    .filter((e) => e.entity === 'user')
    .map((e) => e.sourceId)
/** the user records published since `before` (the bus lists its partitions one after another, so order is not time) */
const publishedSince = (before: string[]) => {
  const left = [...before]
  return userEnvelopes()
    .filter((id) => {
      const at = left.indexOf(id)
      if (at < 0) return true
      left.splice(at, 1)
      return false
    })
    .sort()
}
const directory = async () =>
  Object.fromEntries(
    await resolveIdentities(
      client,
      Object.values(users).map((id) => `linear:${id}`),
    ),
  )

beforeAll(async () => {
  client = createClickHouse({ dataDir })
  await migrate(client)
  bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  subs = [await startTransformer(bus, config), await startSink(bus, client)]
  fake = await startFakeLinear(linearTestSeed())
})

afterAll(async () => {
  for (const s of subs) await s.stop()
  await bus.close()
  await client.close()
  await fake.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the Linear user directory', () => {
  it('is written on the first (incremental) pull, and refreshed by every pull after it', async () => {
    const seeded = Object.fromEntries(
      [...fake.model.users.values()].map((u) => [`linear:${u.id}`, u.email.toLowerCase()]),
    )
    const first = await pull()
    expect(first.lines).toContain(`  users: ${fake.model.users.size} in the directory`)
    expect(await directory()).toEqual(seeded)
    expect(userEnvelopes().sort()).toEqual(Object.values(users).sort())

    // an email changed in Linear: the next pull (incremental) rewrites it and republishes only
    // that user; a suspended user stays in the directory (their past decisions still count)
    fake.model.users.get(users.dave)!.email = 'Dave.New@Example.com'
    fake.model.users.get(users.erin)!.active = false
    const before = userEnvelopes()
    await pull()
    expect(await directory()).toEqual({ ...seeded, [`linear:${users.dave}`]: 'dave.new@example.com' })
    expect(publishedSince(before)).toEqual([users.dave, users.erin])
  })

  it('an explicit alias for the same Linear id wins over the directory, and the directory takes over when it goes', async () => {
    await setAliases(client, [{ identity: `linear:${users.carol}`, email: 'carol.other@example.com' }])
    await pull()
    expect((await directory())[`linear:${users.carol}`]).toBe('carol.other@example.com')
    await setAliases(client, [])
    await pull()
    expect((await directory())[`linear:${users.carol}`]).toBe(
      fake.model.users.get(users.carol)!.email.toLowerCase(),
    )
  })

  it('is read whole again on --full, every user republished', async () => {
    const before = userEnvelopes()
    await pull(true)
    expect(publishedSince(before)).toEqual(Object.values(users).sort())
  })
})

describe('the webhook route’s look-up of ids without an email', () => {
  it('publishes the delivery whatever the look-up does: emails in meta.users, or none when it fails', async () => {
    const published: RawEnvelope[] = []
    const deliver = async (lookupUsers: (ids: string[]) => Promise<Record<string, string>>) => {
      const app = Fastify()
      await app.register(linearWebhookRoutes, {
        secret: 's',
        publish: async (e) => void published.push(...e),
        lookupUsers,
      })
      const body = fake.model.assign(LINEAR_IDS.issues.platDecision, users.dave, { actorId: users.bob })
      const signed = fake.signWebhook(body, 's')
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/linear',
        headers: signed.headers,
        payload: signed.payload,
      })
      await app.close()
      return res.statusCode
    }
    const asked: string[][] = []
    expect(
      await deliver(async (ids) => {
        asked.push(ids)
        return { [users.dave]: 'dave@example.com' }
      }),
    ).toBe(200)
    expect(
      await deliver(async () => {
        throw new Error('Linear down')
      }),
    ).toBe(200)
    // the actor's email is in the body: only the ids without one are looked up
    const creator = fake.model.issue(LINEAR_IDS.issues.platDecision).creatorId
    expect(asked).toEqual([[creator, users.dave].filter((id) => id && id !== users.bob)])
    expect(published.map((e) => e.meta?.users)).toEqual([{ [users.dave]: 'dave@example.com' }, undefined])
  })
})
