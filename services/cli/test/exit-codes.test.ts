import { ERROR_KINDS, OrgpulseError } from '@orgpulse/contracts'
import { CommanderError } from 'commander'
import { describe, expect, it } from 'vitest'
import { EXIT_CODE, reportFailure } from '../src/exit-codes.ts'
import { bufferIO, UserError } from '../src/io.ts'

describe('kind → exit code', () => {
  it('maps every kind, and only the kinds, to a failing exit code other than 2', () => {
    expect(Object.keys(EXIT_CODE).sort()).toEqual([...ERROR_KINDS].sort())
    for (const kind of ERROR_KINDS) {
      expect(EXIT_CODE[kind]).toBeGreaterThan(0)
      // 2 means "done, some records refused" (ingest decisions, ingest watch --once)
      expect(EXIT_CODE[kind]).not.toBe(2)
    }
  })

  it('keeps the code every failure had before: 1', () => {
    for (const kind of ERROR_KINDS) expect(EXIT_CODE[kind]).toBe(1)
  })
})

describe('reportFailure', () => {
  it('prints an error of any kind as one line and exits with its code', () => {
    const io = bufferIO()
    expect(reportFailure(io, new OrgpulseError('config', 'set JIRA_EMAIL and JIRA_API_TOKEN'))).toBe(1)
    expect(reportFailure(io, new UserError('--to must be after --from'))).toBe(1)
    expect(io.stderr).toEqual([
      'error: set JIRA_EMAIL and JIRA_API_TOKEN\n',
      'error: --to must be after --from\n',
    ])
  })

  it('shows the stack of an unexpected error only when asked', () => {
    const quiet = bufferIO()
    expect(reportFailure(quiet, new TypeError('x is undefined'))).toBe(1)
    expect(quiet.stderr).toEqual(['error: x is undefined\n'])
    const debug = bufferIO()
    reportFailure(debug, new TypeError('x is undefined'), { stack: true })
    expect(debug.stderr[1]).toMatch(/^TypeError: x is undefined\n\s+at /)
  })

  it('leaves commander’s own errors to commander, which printed them', () => {
    const io = bufferIO()
    expect(
      reportFailure(io, new CommanderError(1, 'commander.unknownOption', "unknown option '--nope'")),
    ).toBe(1)
    expect(io.stderr).toEqual([])
  })

  it('says UserError is invalid input', () => {
    expect(new UserError('x').kind).toBe('invalid_input')
  })
})
