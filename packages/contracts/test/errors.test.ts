import { describe, expect, it } from 'vitest'
import { ConfigError, ERROR_KINDS, errorKindSchema, isOrgpulseError, OrgpulseError } from '../src/index.ts'

describe('OrgpulseError', () => {
  it('carries its kind, message, cause and details', () => {
    const cause = new Error('EACCES')
    const err = new OrgpulseError('config', 'cannot read orgpulse.yaml', { cause, details: { path: '/x' } })
    expect(err).toBeInstanceOf(Error)
    expect(err.kind).toBe('config')
    expect(err.message).toBe('cannot read orgpulse.yaml')
    expect(err.cause).toBe(cause)
    expect(err.details).toEqual({ path: '/x' })
    expect(new OrgpulseError('not_found', 'x')).not.toHaveProperty('cause')
  })

  it('is recognised by the guard, subclasses included, and nothing else is', () => {
    expect(isOrgpulseError(new ConfigError('bad'))).toBe(true)
    expect(new ConfigError('bad').kind).toBe('config')
    expect(isOrgpulseError(new Error('plain'))).toBe(false)
    expect(isOrgpulseError({ kind: 'config', message: 'look-alike' })).toBe(false)
    expect(isOrgpulseError(undefined)).toBe(false)
  })

  it('has the kinds the edges map, and the schema refuses others', () => {
    expect(ERROR_KINDS).toEqual([
      'invalid_input',
      'not_found',
      'forbidden',
      'conflict',
      'config',
      'upstream',
      'unavailable',
    ])
    expect(errorKindSchema.safeParse('teapot').success).toBe(false)
  })
})
