import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProgram } from '../src/program.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import { cliRunner } from '../src/serve-cli.ts'

let dir: string
let rt: Runtime
let run: ReturnType<typeof cliRunner>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orgpulse-cli-tokens-'))
  rt = await openRuntime({ env: parseEnv({}), dataDir: dir, logLevel: 'error' })
  run = cliRunner(rt, buildProgram)
  writeFileSync(
    join(dir, 'org.csv'),
    'email,name,manager_email,title\nceo@x.io,Cleo,,CEO\ndir@x.io,Dana,ceo@x.io,Director\nm1@x.io,Mia,dir@x.io,EM\na1@x.io,Ann,m1@x.io,Engineer\n',
  )
  const imported = await run(['org', 'import', join(dir, 'org.csv'), '--effective', '2026-01-01'], dir)
  expect(imported.exitCode).toBe(0)
})

afterAll(async () => {
  await rt?.close()
})

describe('orgpulse tokens create --org', () => {
  it('exits 1 naming why when the email leads no org, and creates nothing', async () => {
    const res = await run(['tokens', 'create', '--org', 'not-a-director@x.io'], dir)
    expect(res.exitCode).toBe(1)
    expect(res.stdout).toBe('')
    expect(res.stderr).toContain(
      '--org not-a-director@x.io does not name a director or manager in the current org: not-a-director@x.io is not in the org valid at 2026-01-01',
    )
    const ic = await run(['tokens', 'create', '--org', 'a1@x.io'], dir)
    expect(ic.exitCode).toBe(1)
    expect(ic.stderr).toContain('a1@x.io leads no team')
    expect((await run(['tokens', 'list', '--format', 'json'], dir)).stdout.trim()).toBe('[]')
  })

  it('creates a token for a director', async () => {
    const res = await run(['tokens', 'create', '--org', 'Dir@x.io'], dir)
    expect(res.exitCode).toBe(0)
    expect(res.stdout).toMatch(/^opt_/)
    expect(res.stderr).toContain('org dir@x.io')
  })
})
