import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, queryRows } from '@orgpulse/clickhouse'
import { configSchema, eventId, TOPIC_SPECS, TOPICS } from '@orgpulse/contracts'
import { MemoryBus, StageHealth, waitUntilCaughtUp } from '@orgpulse/kafka'
import { STAGE_GROUPS, startSink } from '@orgpulse/transformer'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'

let dir: string
let client: ClickHouseClient
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-readyz-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
})
afterAll(async () => {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
})

/** the value of one series in the Prometheus text, by name and stage label */
const series = (text: string, name: string, stage: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`stage="${stage}"`))
  return line === undefined ? undefined : Number(line.split(' ').at(-1))
}

it('/readyz turns red naming the stage and batch once the sink has retried one batch past the threshold, and green once it went through', async () => {
  let down = true
  // ClickHouse "unreachable" until the test brings it back
  const flaky = new Proxy(client, {
    get(target, prop) {
      if (prop === 'insert')
        return async (args: Parameters<ClickHouseClient['insert']>[0]) => {
          if (down)
            throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:8123'), { code: 'ECONNREFUSED' })
          return target.insert(args)
        }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const bus = new MemoryBus()
  await bus.ensureTopics(TOPIC_SPECS)
  const health = new StageHealth(400)
  const sink = await startSink(bus, flaky, undefined, { health })
  const app = await buildApp({ client, bus, config: configSchema.parse({}), auth: 'none', health })
  try {
    expect((await app.inject('/readyz')).statusCode).toBe(200)
    const id = eventId('decisions', 'R-1', 'raised')
    await bus.publish(TOPICS.events, [
      {
        key: 'R-1',
        value: Buffer.from(
          JSON.stringify({
            id,
            type: 'decision.raised',
            source: 'decisions',
            sourceId: 'R-1',
            occurredAt: '2026-07-01T09:00:00.000Z',
            version: 1,
            decisionId: 'decisions:R-1',
            raisedBy: 'ann@x.io',
            title: 'Held back',
          }),
        ),
      },
    ])
    // retrying but not yet for 400 ms: still ready
    await new Promise((r) => setTimeout(r, 100))
    expect((await app.inject('/readyz')).statusCode).toBe(200)

    await new Promise((r) => setTimeout(r, 500))
    const red = await app.inject('/readyz')
    expect(red.statusCode).toBe(503)
    const body = red.json() as { status: string; checks: Record<string, string> }
    expect(body.status).toBe('not ready')
    expect(body.checks.clickhouse).toBe('ok')
    expect(body.checks.stages).toMatch(
      /^error: stage sink has retried batch orgpulse\.events\.v1:\d+:0-0 for \d+ s \(\d+ attempts; last error: connect ECONNREFUSED 10\.0\.0\.9:8123\)$/,
    )
    const metrics = (await app.inject('/metrics')).body
    expect(series(metrics, 'orgpulse_stage_stalled', 'sink')).toBe(1)
    expect(series(metrics, 'orgpulse_stage_stalls_total', 'sink')).toBe(1)
    // liveness stays green: a restart would only drop the batch held in memory
    expect((await app.inject('/healthz')).statusCode).toBe(200)
    // an embedded command waiting for its records (runtime.flush) is told why, at once
    const waited = waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 10_000, 25, health)
    await expect(waited).rejects.toThrow(
      /^pipeline stalled, 1 records not yet written: stage sink has retried batch orgpulse\.events\.v1:\d+:0-0 for \d+ s/,
    )
    // which POST /v1/decisions (embedded) answers as 503, not as a 500 or a hang
    await expect(waited).rejects.toMatchObject({ statusCode: 503 })
    const flushing = await buildApp({
      client,
      bus,
      config: configSchema.parse({}),
      auth: 'none',
      health,
      flush: () => waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 10_000, 25, health),
    })
    const posted = await flushing.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: {
        id: 'R-2',
        title: 'Later',
        raisedBy: 'ann@x.io',
        raisedAt: '2026-07-01',
        status: 'proposed',
      },
    })
    await flushing.close()
    expect(posted.statusCode).toBe(503)
    expect(posted.json().message).toMatch(
      /^pipeline stalled, \d+ records not yet written: stage sink has retried/,
    )

    down = false
    await waitUntilCaughtUp(bus, [STAGE_GROUPS.sink], 20_000)
    const green = await app.inject('/readyz')
    expect(green.statusCode).toBe(200)
    expect(green.json().checks.stages).toBe('ok')
    const after = (await app.inject('/metrics')).body
    expect(series(after, 'orgpulse_stage_stalled', 'sink')).toBe(0)
    expect(series(after, 'orgpulse_stage_stalls_total', 'sink')).toBe(1)
    expect(
      await queryRows(client, 'SELECT id FROM decision_events FINAL WHERE id = {id:String}', { id }),
    ).toEqual([{ id }])
  } finally {
    await app.close()
    await sink.stop()
    await bus.close()
  }
})
