import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshClickHouse } from './helpers.ts'
import { documentedApp, liveDocument } from './openapi-doc.ts'

const here = dirname(fileURLToPath(import.meta.url))
const API_DIR = join(here, '..')
// the package's own bin script, run with this node: no npx, no lookup outside node_modules
const REDOCLY = join(API_DIR, 'node_modules/@redocly/cli/bin/cli.js')

let client: ClickHouseClient
let file: string

beforeAll(async () => {
  client = (await freshClickHouse()).client
  const app = await documentedApp(client)
  file = join(mkdtempSync(join(tmpdir(), 'orgpulse-openapi-')), 'openapi.json')
  writeFileSync(file, JSON.stringify(await liveDocument(app), null, 2))
  await app.close()
})

afterAll(async () => {
  await client?.close()
})

describe('the OpenAPI document at /docs/json', () => {
  it("passes Redocly's recommended-strict rules", async () => {
    const run = await promisify(execFile)(
      process.execPath,
      [
        REDOCLY,
        'lint',
        '--config',
        join(API_DIR, 'redocly.yaml'),
        '--extends',
        'recommended-strict',
        '--format',
        'stylish',
        file,
      ],
      {
        cwd: API_DIR,
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          NO_COLOR: '1',
        },
        timeout: 120_000,
      },
    ).then(
      (r) => ({ code: 0, out: `${r.stdout}\n${r.stderr}` }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? -1,
        out: `${err.stdout ?? ''}\n${err.stderr ?? ''}`,
      }),
    )
    // the problems, one a line, are the failure message
    expect(run.code, run.out).toBe(0)
    expect(run.out).toMatch(/Your API description is valid/)
  })
})
