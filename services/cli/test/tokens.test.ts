import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listTokens } from '@orgpulse/api'
import { type ClickHouseClient, createClickHouse, migrate } from '@orgpulse/clickhouse'
import { parseEnv } from '@orgpulse/contracts'
import { importOrg } from '@orgpulse/org'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerTokenCommands } from '../src/commands/tokens.ts'
import type { CommandContext } from '../src/context.ts'
import { bufferIO } from '../src/io.ts'
import type { Runtime } from '../src/runtime.ts'

let client: ClickHouseClient

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-cli-tokens-'))
  client = createClickHouse({ dataDir: dir })
  await migrate(client)
  const file = join(dir, 'org.csv')
  writeFileSync(
    file,
    'email,name,manager_email,title\nceo@x.io,C,,CEO\ndir@x.io,D,ceo@x.io,Dir\nm1@x.io,M,dir@x.io,EM\na1@x.io,A,m1@x.io,Eng\n',
  )
  await importOrg({ client, file, effective: '2026-01-01' })
})

afterAll(async () => {
  await client?.close()
})

/** runs `orgpulse tokens …` against this file's ClickHouse; a thrown error is the command's failure */
async function tokens(...argv: string[]): Promise<{ stdout: string[]; stderr: string[] }> {
  const io = bufferIO()
  const ctx: CommandContext = {
    io,
    env: parseEnv({}),
    exitCode: 0,
    withRuntime: async (cmd, handler) => {
      await handler({ client } as unknown as Runtime, io, cmd)
    },
  }
  const program = new Command().exitOverride()
  registerTokenCommands(program, ctx)
  await program.parseAsync(['tokens', ...argv], { from: 'user' })
  return io
}

describe('orgpulse tokens create --scope', () => {
  it('creates read tokens by default and write:decisions tokens when asked', async () => {
    await tokens('create', '--org', 'dir@x.io', '--name', 'reader')
    const out = await tokens('create', '--org', 'dir@x.io', '--scope', 'write:decisions', '--name', 'writer')
    expect(out.stderr[0]).toMatch(/\(write:decisions, org dir@x\.io, "writer"\)/)
    await tokens('create', '--admin')
    const list = await listTokens(client)
    expect(list.map((t) => [t.name, t.scope, t.org])).toEqual([
      ['reader', 'read', 'dir@x.io'],
      ['writer', 'write:decisions', 'dir@x.io'],
      ['admin', 'admin', ''],
    ])
  })

  it('refuses an unknown scope, admin through --scope, and --scope with --admin', async () => {
    await expect(tokens('create', '--org', 'dir@x.io', '--scope', 'write')).rejects.toThrow(
      /--scope must be read or write:decisions/,
    )
    await expect(tokens('create', '--org', 'dir@x.io', '--scope', 'admin')).rejects.toThrow(
      /--scope must be read or write:decisions/,
    )
    await expect(tokens('create', '--admin', '--scope', 'read')).rejects.toThrow(/--scope goes with --org/)
    expect((await listTokens(client)).length).toBe(3)
  })
})
