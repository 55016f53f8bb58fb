/**
 * The README's table of environment variables is the schema's list: a variable added to
 * envSchema without a row, or a row for one nothing parses, fails here.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { envSchema, parseEnv } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'

const README = join(import.meta.dirname, '..', '..', 'README.md')

/** the backquoted names in the first column of the table headed `| environment variable |` */
function readmeVariables(): string[] {
  const lines = readFileSync(README, 'utf8').split('\n')
  const header = lines.findIndex((l) => l.startsWith('| environment variable |'))
  expect(header, 'README has a table headed "| environment variable |"').toBeGreaterThan(-1)
  const names: string[] = []
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break
    const first = line.split('|')[1] ?? ''
    for (const m of first.matchAll(/`([^`]+)`/g)) names.push(m[1]!)
  }
  return names
}

describe('environment variables', () => {
  it('the README table lists exactly the variables of envSchema', () => {
    expect(readmeVariables().sort()).toEqual(Object.keys(envSchema.shape).sort())
  })

  it('every variable has a description (the README row says the same thing)', () => {
    for (const [name, schema] of Object.entries(envSchema.shape))
      expect(schema.description, name).toBeTruthy()
  })

  it('reports every bad variable in one error, and reads config-named variables from the same snapshot', () => {
    let message = ''
    try {
      parseEnv({ PORT: 'http', ORGPULSE_API_AUTH: 'maybe', ORGPULSE_STAGES: 'sink,nope' })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message.split('\n').sort()).toEqual([
      '  ORGPULSE_API_AUTH: must be tokens, none or auto',
      '  ORGPULSE_STAGES.1: must list transformer, sink, dlq',
      '  PORT: must be a TCP port, 0–65535 (got "http")',
      'invalid environment:',
    ])
    const env = parseEnv({ PORT: ' 8080 ', HOST: '', JIRA_PAT: ' secret ' })
    expect(env.PORT).toBe(8080)
    expect(env.HOST).toBe('0.0.0.0')
    expect(env.named('JIRA_PAT')).toBe(' secret ')
    expect(env.named('UNSET')).toBeUndefined()
    expect(Object.isFrozen(env)).toBe(true)
  })
})
