import type { DlqRecord, RawEnvelope } from '@orgpulse/contracts'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { decisionIngestRoutes, MAX_BODY_BYTES } from '../src/routes.ts'

const valid = (id: string) => ({
  id,
  title: 'Adopt Kafka',
  raisedBy: 'ann@x.io',
  raisedAt: '2026-07-01T09:00:00Z',
  status: 'decided',
  decidedBy: 'mia@x.io',
  decidedAt: '2026-07-02T09:00:00Z',
})

async function app(publishDelayMs = 0) {
  const published: RawEnvelope[][] = []
  const acked: number[] = []
  const dead: DlqRecord[] = []
  const a = Fastify()
  await a.register(decisionIngestRoutes, {
    publish: async (envelopes) => {
      published.push(envelopes)
      await new Promise((r) => setTimeout(r, publishDelayMs))
      acked.push(Date.now())
    },
    deadLetter: async (records) => {
      dead.push(...records)
    },
  })
  return { a, published, acked, dead }
}

describe('POST /v1/decisions', () => {
  it('accepts one record with 202 only after the bus acknowledged it', async () => {
    const { a, published, acked } = await app(50)
    const res = await a.inject({ method: 'POST', url: '/v1/decisions', payload: valid('D-1') })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 1, ids: ['D-1'] })
    expect(acked).toHaveLength(1)
    expect(published[0]![0]).toMatchObject({
      source: 'decisions',
      entity: 'decision',
      sourceId: 'D-1',
      payload: valid('D-1'),
    })
  })

  it('accepts an array', async () => {
    const { a, published } = await app()
    const res = await a.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: [valid('A'), valid('B'), valid('C')],
    })
    expect(res.statusCode).toBe(202)
    expect(published[0]!.map((e) => e.sourceId)).toEqual(['A', 'B', 'C'])
  })

  it('rejects the whole batch listing every error of every invalid record, and publishes nothing', async () => {
    const { a, published } = await app()
    const res = await a.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: [
        valid('ok'),
        { ...valid('x'), id: undefined },
        { ...valid('early'), decidedAt: '2026-06-01T00:00:00Z' },
        { ...valid('nodecider'), decidedBy: undefined },
        { ...valid('baddate'), raisedAt: 'last tuesday' },
      ],
    })
    expect(res.statusCode).toBe(400)
    const body = res.json() as { error: string; records: { index: number; errors: string[] }[] }
    expect(body.error).toBe('4 of 5 records are invalid; nothing was accepted')
    expect(body.records.map((r) => r.index)).toEqual([1, 2, 3, 4])
    expect(body.records[0]!.errors).toEqual(['id: id is required'])
    expect(body.records[1]!.errors).toEqual([
      'decidedAt: decidedAt 2026-06-01T00:00:00.000Z is before raisedAt 2026-07-01T09:00:00.000Z',
    ])
    expect(body.records[2]!.errors).toEqual(['decidedBy: status decided requires decidedBy'])
    expect(body.records[3]!.errors[0]).toMatch(/^raisedAt: unparseable date "last tuesday"/)
    expect(published).toHaveLength(0)
  })

  it('a lone surrogate is refused with its field and reason, and the refused record dead-lettered as sent', async () => {
    const { a, published, dead } = await app()
    // as curl sends it: the escape is in the body's bytes
    const body = `[${JSON.stringify(valid('ok'))},${JSON.stringify(valid('S-1')).replace('Adopt Kafka', '\\ud800')}]`
    const res = await a.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { 'content-type': 'application/json' },
      payload: body,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().records).toEqual([
      {
        index: 1,
        id: 'S-1',
        errors: ['title: contains a lone UTF-16 surrogate (U+D800 at character 1); send well-formed Unicode'],
      },
    ])
    expect(published).toHaveLength(0)
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({
      reason: 'title: contains a lone UTF-16 surrogate (U+D800 at character 1); send well-formed Unicode',
      stage: 'ingest-decisions',
      topic: 'api:/v1/decisions',
      partition: 0,
      key: 'S-1',
    })
    expect(dead[0]!.offset).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z req-\w+#1$/)
    // the record's bytes as they came, escape included
    expect(Buffer.from(dead[0]!.value, 'base64').toString('utf8')).toBe(
      JSON.stringify(valid('S-1')).replace('Adopt Kafka', '\\ud800'),
    )
  })

  it('answers 413 past 1,000 records or past the body size limit', async () => {
    const { a, published } = await app()
    const many = Array.from({ length: 1001 }, (_, i) => valid(`D${i}`))
    const res = await a.inject({ method: 'POST', url: '/v1/decisions', payload: many })
    expect(res.statusCode).toBe(413)
    const huge = [{ ...valid('big'), title: 'x'.repeat(MAX_BODY_BYTES + 10) }]
    const res2 = await a.inject({ method: 'POST', url: '/v1/decisions', payload: huge })
    expect(res2.statusCode).toBe(413)
    expect(published).toHaveLength(0)
  })

  it('answers 400 for a body that is not JSON', async () => {
    const { a } = await app()
    const res = await a.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    })
    expect(res.statusCode).toBe(400)
  })
})
