import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClickHouse, queryRows } from '@orgpulse/clickhouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../setup/cli.ts'
import { kafkaBrokers, uniqueTopicPrefix, waitFor } from '../setup/kafka.ts'
import { copyDockerContext } from './docker-context.ts'

/**
 * The image without a Docker engine: the Dockerfile's build steps (scripts/build-image.sh) run on
 * the build context `docker build .` would send (.dockerignore applied, no node_modules), then what
 * they produced (the image's /app) is started as the image starts it: `orgpulse --help`,
 * `orgpulse migrate` on the embedded engine, the api service answering /readyz against the real
 * broker, and the HEALTHCHECK probe.
 */

interface Run {
  code: number
  stdout: string
  stderr: string
}
const run = (cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) =>
  new Promise<Run>((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeout ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })

/** the environment a container starts with: nothing of the test's server settings */
const containerEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  ...extra,
})

let work: string
let src: string
let app: string
let contextFiles: string[]
let build: Run
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'orgpulse-image-'))
  src = join(work, 'src')
  app = join(work, 'app')
  contextFiles = copyDockerContext(ROOT, src)
  build = await run('sh', ['scripts/build-image.sh', app], { cwd: src, timeout: 600_000 })
  if (build.code !== 0) throw new Error(`scripts/build-image.sh failed (${build.code}):\n${build.stderr}`)
}, 600_000)
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the build context', () => {
  it('holds the sources and manifests but no installed or built output, tests or compose files', () => {
    expect(contextFiles).toContain('pnpm-lock.yaml')
    expect(contextFiles).toContain('scripts/build-image.sh')
    expect(contextFiles).toContain('packages/clickhouse/migrations/001_facts.sql')
    const leaked = contextFiles.filter(
      (f) => /(^|\/)(node_modules|dist|test|\.git)\//.test(f) || /^(docker-compose|\.env)/.test(f),
    )
    expect(leaked).toEqual([])
  })
})

describe('the image contents', () => {
  it('hold production dependencies only, and compiled code without its TypeScript sources', () => {
    const store = readdirSync(join(app, 'node_modules', '.pnpm'))
    // dev dependencies of the root (compiler, test runner, linter) and of the packages
    for (const dev of [
      'typescript@',
      'vitest@',
      '@biomejs+biome@',
      'tsx@',
      '@redocly+cli@',
      '@testcontainers+kafka@',
    ])
      expect(store.filter((d) => d.startsWith(dev))).toEqual([])
    // what the services run on
    for (const prod of ['fastify@', 'kafkajs@', 'chdb@', 'zod@'])
      expect(store.some((d) => d.startsWith(prod))).toBe(true)
    expect(existsSync(join(app, 'services/api/dist/main.js'))).toBe(true)
    expect(existsSync(join(app, 'services/api/src/app.ts'))).toBe(false)
    // read at run time: the pages' browser script, the migrations, the generated dashboards
    expect(existsSync(join(app, 'services/api/src/pages/client.js'))).toBe(true)
    expect(existsSync(join(app, 'packages/clickhouse/migrations/001_facts.sql'))).toBe(true)
    expect(existsSync(join(app, 'test'))).toBe(false)
    expect(existsSync(join(app, 'bench'))).toBe(false)
  })

  it('`orgpulse --help` lists the commands', async () => {
    // by name, on PATH as the image has it (ENV PATH=/app/bin:$PATH)
    const r = await run('orgpulse', ['--help'], {
      cwd: app,
      env: containerEnv({ PATH: `${join(app, 'bin')}:${process.env.PATH}` }),
    })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: orgpulse/)
    for (const cmd of ['start', 'migrate', 'ingest', 'metrics'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd}\\b`))
  })

  describe('migrate and the api service', () => {
    let data: string
    let api: ChildProcess | undefined
    beforeAll(() => {
      data = join(work, 'data')
    })
    afterAll(() => {
      if (api && api.exitCode === null) api.kill('SIGKILL')
    })

    it('`orgpulse migrate` applies every migration of the image to the embedded engine, once', async () => {
      const env = containerEnv({ ORGPULSE_DATA_DIR: data })
      const first = await run(join(app, 'bin', 'orgpulse'), ['migrate'], { cwd: app, env })
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      const files = readdirSync(join(src, 'packages/clickhouse/migrations')).filter((f) => f.endsWith('.sql'))
      const versions = files.map((f) => Number(f.slice(0, 3))).sort((a, b) => a - b)
      const client = createClickHouse({ dataDir: data })
      try {
        const rows = await queryRows<{ version: number }>(
          client,
          'SELECT version FROM schema_migrations ORDER BY version',
        )
        expect(rows.map((r) => Number(r.version))).toEqual(versions)
      } finally {
        await client.close()
      }
      const again = await run(join(app, 'bin', 'orgpulse'), ['migrate'], { cwd: app, env })
      expect(again.code).toBe(0)
      expect(again.stdout).toContain(`schema is up to date (version ${versions.at(-1)})`)
    })

    it('the api service answers /readyz (ClickHouse and Kafka ok), and the HEALTHCHECK probe passes', async () => {
      const output: string[] = []
      api = spawn(process.execPath, ['services/api/dist/main.js'], {
        cwd: app,
        env: containerEnv({
          ORGPULSE_DATA_DIR: data,
          KAFKA_BROKERS: kafkaBrokers().join(','),
          ORGPULSE_TOPIC_PREFIX: uniqueTopicPrefix('image'),
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'info',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let address = ''
      for (const stream of [api.stdout!, api.stderr!])
        stream.on('data', (chunk: Buffer) => {
          const text = chunk.toString()
          output.push(text)
          const m = /Server listening at (http:\/\/127\.0\.0\.1:(\d+))/.exec(text)
          if (m) address = m[1]!
        })
      await waitFor(
        () => address !== '' || api!.exitCode !== null,
        120_000,
        () => output.join('').slice(-2000),
      )
      expect(address, output.join('')).not.toBe('')

      const ready = await fetch(`${address}/readyz`)
      const body = (await ready.json()) as { status: string; checks: Record<string, string> }
      expect({ status: ready.status, body }).toMatchObject({ status: 200, body: { status: 'ready' } })
      expect(body.checks.clickhouse).toBe('ok')

      const port = new URL(address).port
      const probe = join(app, 'bin', 'healthcheck.mjs')
      const healthy = await run(process.execPath, [probe], { cwd: app, env: containerEnv({ PORT: port }) })
      expect(healthy).toMatchObject({ code: 0, stderr: '' })
      const readyProbe = await run(process.execPath, [probe, '/readyz'], {
        cwd: app,
        env: containerEnv({ PORT: port }),
      })
      expect(readyProbe.code).toBe(0)

      api.kill('SIGTERM')
      await waitFor(() => api!.exitCode !== null, 40_000)
      expect(api.exitCode).toBe(0)
      // the same probe once nothing listens: red, naming the address
      const down = await run(process.execPath, [probe], { cwd: app, env: containerEnv({ PORT: port }) })
      expect(down.code).toBe(1)
      expect(down.stderr).toContain(`http://127.0.0.1:${port}/healthz`)
      // a process serving no port has nothing to probe: red, not silently green
      const none = await run(process.execPath, [probe], { cwd: app, env: containerEnv({}) })
      expect(none.code).toBe(1)
    })
  })
})

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const lines = dockerfile.split('\n').filter((l) => !l.startsWith('#'))
  const stages = dockerfile.split(/^FROM /m).slice(1)

  it('builds on node:20-bookworm-slim in two stages, running scripts/build-image.sh into /app', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(/\s+/)[1])).toEqual([
      'node:20-bookworm-slim',
      'node:20-bookworm-slim',
    ])
    expect(stages[0]).toMatch(/sh scripts\/build-image\.sh \/app\s*$/m)
    expect(stages[1]).toContain('COPY --from=build /app /app')
  })

  it('runs as a non-root user, with a HEALTHCHECK on the probe the build put in /app/bin', () => {
    const user = stages[1]!.match(/^USER (\S+)/m)?.[1]
    expect(user).toBeDefined()
    expect(['root', '0']).not.toContain(user)
    expect(stages[1]).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/bin\/healthcheck\.mjs"\]/m)
    expect(existsSync(join(app, 'bin', 'healthcheck.mjs'))).toBe(true)
  })

  it('puts /app/bin on PATH and ships an empty orgpulse.yaml where ORGPULSE_CONFIG points', () => {
    expect(stages[1]).toMatch(/^ENV [\s\S]*?PATH=\/app\/bin:\$PATH/m)
    const config = /ORGPULSE_CONFIG=(\S+)/.exec(stages[1]!)?.[1]
    expect(config).toBe('/etc/orgpulse/orgpulse.yaml')
    expect(stages[1]).toContain(`: > ${config}`)
  })
})
