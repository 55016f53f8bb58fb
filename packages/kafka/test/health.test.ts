import { parseEnv } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { DEFAULT_STALL_MS, StageHealth } from '../src/health.ts'

describe('StageHealth', () => {
  it('ORGPULSE_STAGE_STALL_MS: default 60 s, a positive integer, anything else an error naming it', () => {
    expect(parseEnv({}).ORGPULSE_STAGE_STALL_MS).toBe(DEFAULT_STALL_MS)
    expect(parseEnv({ ORGPULSE_STAGE_STALL_MS: ' 1500 ' }).ORGPULSE_STAGE_STALL_MS).toBe(1500)
    for (const bad of ['0', '-5', '1.5', 'soon'])
      expect(() => parseEnv({ ORGPULSE_STAGE_STALL_MS: bad })).toThrow(
        `ORGPULSE_STAGE_STALL_MS: must be a positive number of milliseconds (got "${bad}")`,
      )
  })

  it('a batch retried past the threshold is stalled until it settles, and counts once however long it lasts', () => {
    let now = 0
    const health = new StageHealth(1000, () => now)
    health.failed('sink', 't:0:0-9', 'connection refused')
    now = 999
    expect(health.check()).toBe('ok')
    health.failed('sink', 't:0:0-9', 'timeout')
    now = 1000
    expect(health.check()).toBe(
      'error: stage sink has retried batch t:0:0-9 for 1 s (2 attempts; last error: timeout)',
    )
    now = 50_000
    health.failed('sink', 't:0:0-9', 'timeout')
    expect(health.counts()).toEqual([{ stage: 'sink', stalledNow: 1, stallsTotal: 1 }])
    health.settled('sink', 't:0:0-9')
    expect(health.check()).toBe('ok')
    expect(health.counts()).toEqual([{ stage: 'sink', stalledNow: 0, stallsTotal: 1 }])
    // a new batch starts its own clock
    health.failed('sink', 't:0:10-19', 'timeout')
    now = 50_500
    expect(health.stalled()).toEqual([])
  })
})
