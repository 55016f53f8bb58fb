import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { lazySchema } from '../src/lazy-schema.ts'

describe('lazySchema builds the schema on first use and then stands for it', () => {
  it('builds nothing at definition, once at the first use, never again', () => {
    let builds = 0
    const schema = lazySchema(() => {
      builds++
      return z.strictObject({ n: z.number().int().default(3) })
    })
    expect(builds).toBe(0)
    expect(schema.parse({})).toEqual({ n: 3 })
    expect(schema.parse({ n: 7 })).toEqual({ n: 7 })
    expect(Object.keys(schema.shape)).toEqual(['n'])
    expect(builds).toBe(1)
  })

  it('is the schema for zod: nested, wrapped, instanceof, errors and keys', () => {
    const inner = lazySchema(() => z.strictObject({ at: z.string().regex(/^\d\d:\d\d$/, 'expected HH:MM') }))
    const outer = z.strictObject({ hours: inner.optional(), list: z.array(inner).default([]) })
    expect(inner instanceof z.ZodObject).toBe(true)
    expect(outer.parse({ list: [{ at: '09:30' }] })).toEqual({ list: [{ at: '09:30' }] })
    const bad = outer.safeParse({ hours: { at: '9h', extra: 1 } })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['invalid_format', 'hours.at'],
      ['unrecognized_keys', 'hours'],
    ])
    expect('shape' in inner).toBe(true)
  })
})
