import { configSchema, syncedEnvelope } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import { describe, expect, it } from 'vitest'
import { transformBytes } from '../src/transform.ts'

const config = configSchema.parse({})
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v))

describe('coverage records (entity synced, any source) → source.synced', () => {
  it('maps a calendar full sync, the owner lower-cased, with a deterministic id', () => {
    const env = syncedEnvelope(
      'calendar',
      {
        scopeKind: 'calendar',
        scope: 'Ana@Acme.com',
        mode: 'full',
        coveredFrom: '2026-01-01T00:00:00Z',
        coveredTo: '2026-04-29T00:00:00Z',
      },
      '2026-04-01T00:00:00.000Z',
    )
    const [e] = transformBytes(bytes(env), { config })
    expect(e).toMatchObject({
      type: 'source.synced',
      source: 'calendar',
      sourceId: 'calendar:ana@acme.com',
      scopeKind: 'calendar',
      scope: 'ana@acme.com',
      mode: 'full',
      coveredFrom: '2026-01-01T00:00:00.000Z',
      coveredTo: '2026-04-29T00:00:00.000Z',
      occurredAt: '2026-04-01T00:00:00.000Z',
      teams: [],
    })
    // a replay of the same record is the same event
    expect(transformBytes(bytes(env), { config })[0]!.id).toBe(e!.id)
  })

  it('maps a tracker sync (read whole: no start) with its teams, on the Jira and Linear topics alike', () => {
    for (const [source, scopeKind] of [
      ['jira', 'project'],
      ['linear', 'team'],
    ] as const) {
      const env = syncedEnvelope(
        source,
        {
          scopeKind,
          scope: 'ENG',
          mode: 'incremental',
          coveredFrom: null,
          coveredTo: '2026-04-01T00:00:00Z',
          teams: ['u:m1@x.io'],
        },
        '2026-04-01T00:00:00.000Z',
      )
      const [e] = transformBytes(bytes(env), { config })
      expect(e).toMatchObject({
        type: 'source.synced',
        source,
        scope: 'ENG',
        coveredFrom: null,
        teams: ['u:m1@x.io'],
      })
    }
  })

  it('frequent syncs keep one row per scope and day (the latest wins by version); full syncs each their own', () => {
    const id = (mode: 'full' | 'incremental', at: string) =>
      transformBytes(
        bytes(
          syncedEnvelope(
            'calendar',
            { scopeKind: 'calendar', scope: 'ana@acme.com', mode, coveredFrom: at, coveredTo: at },
            at,
          ),
        ),
        { config },
      )[0]!
    const a = id('incremental', '2026-04-01T09:00:00.000Z')
    const b = id('incremental', '2026-04-01T09:15:00.000Z')
    expect(b.id).toBe(a.id)
    expect(b.version).toBeGreaterThan(a.version)
    expect(id('incremental', '2026-04-02T09:00:00.000Z').id).not.toBe(a.id)
    expect(id('full', '2026-04-01T09:00:00.000Z').id).not.toBe(id('full', '2026-04-01T09:15:00.000Z').id)
  })

  it('rejects a record that cannot say what it covered', () => {
    const bad = (payload: unknown) =>
      transformBytes(
        bytes({
          ...syncedEnvelope('calendar', {
            scopeKind: 'calendar',
            scope: 'a@b.c',
            mode: 'full',
            coveredFrom: null,
            coveredTo: 'x',
          }),
          payload,
        }),
        { config },
      )
    expect(() => bad({ scopeKind: 'calendar', scope: 'a@b.c', mode: 'full', coveredFrom: null })).toThrow(
      RejectedRecord,
    )
    expect(() =>
      bad({ scopeKind: 'calendar', scope: 'a@b.c', mode: 'full', coveredFrom: null, coveredTo: 'soon' }),
    ).toThrow(/coveredTo is not a time/)
    expect(() =>
      bad({
        scopeKind: 'calendar',
        scope: 'a@b.c',
        mode: 'range',
        coveredFrom: '2026-02-01T00:00:00Z',
        coveredTo: '2026-01-01T00:00:00Z',
      }),
    ).toThrow(/ends .* before it starts/)
  })
})
