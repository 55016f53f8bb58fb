import type { Mapper } from '@orgpulse/connector'
import { connectorFor } from '@orgpulse/connectors'
import { configSchema, type RawEnvelope, SOURCES } from '@orgpulse/contracts'
import { afterEach, describe, expect, it } from 'vitest'
import { transformBytes } from '../src/transform.ts'

const envelope = (source: RawEnvelope['source']): RawEnvelope => ({
  source,
  entity: 'record',
  sourceId: `${source}-1`,
  fetchedAt: '2026-07-01T10:00:00.000Z',
  payload: {},
})

describe("the transformer's mappers", () => {
  const saved = new Map(SOURCES.map((s) => [s, connectorFor(s).mapper]))
  afterEach(() => {
    for (const [s, mapper] of saved) (connectorFor(s) as { mapper: Mapper }).mapper = mapper
  })

  it("are the registry's: each source's raw topic maps through its connector", () => {
    for (const source of SOURCES) {
      const seen: string[] = []
      ;(connectorFor(source) as { mapper: Mapper }).mapper = (e) => {
        seen.push(e.sourceId)
        return []
      }
      const bytes = Buffer.from(JSON.stringify(envelope(source)))
      expect(transformBytes(bytes, { config: configSchema.parse({}) })).toEqual([])
      expect(seen).toEqual([`${source}-1`])
    }
  })
})
