import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  type FakeEvent,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '@orgpulse/fakes/google-calendar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_MAIN } from '../setup/cli.ts'

/**
 * `orgpulse start`'s scheduled pull reads orgpulse.yaml afresh each round: a ritual added to the
 * file while it runs is noticed by the next pull, which re-reads the calendars with the new rules.
 */
const NODE = process.execPath
const work = mkdtempSync(join(tmpdir(), 'orgpulse-start-rules-'))
const dataDir = join(work, 'data')
const configFile = join(work, 'orgpulse.yaml')
const DAY = 86_400_000
const HOUR = 3_600_000
const now = new Date()
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
const monday0 = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY
const FROM = new Date(monday0 - 2 * 7 * DAY).toISOString().slice(0, 10)
const TO = new Date(monday0).toISOString().slice(0, 10)
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

let fake: FakeGoogleCalendar
let server: ChildProcess
let stderr = ''

/** "Staff sync" in the first of the two weeks only, as `events.list` returns an event (Google Event resource) */
const staffSync: FakeEvent = {
  id: 'staffsync1',
  status: 'confirmed',
  iCalUID: 'staffsync1@google.com',
  start: { dateTime: iso(monday0 - 2 * 7 * DAY + DAY + 10 * HOUR), timeZone: 'UTC' },
  end: { dateTime: iso(monday0 - 2 * 7 * DAY + DAY + 11 * HOUR), timeZone: 'UTC' },
  eventType: 'default',
  summary: 'Staff sync',
  organizer: { email: 'dana@x.io', self: true },
  attendees: [
    { email: 'dana@x.io', responseStatus: 'accepted', organizer: true, self: true },
    { email: 'dir@x.io', responseStatus: 'accepted' },
  ],
  updated: iso(monday0 - 4 * 7 * DAY),
  sequence: 0,
}

const env = () => ({
  ...process.env,
  KAFKA_BROKERS: '',
  CLICKHOUSE_URL: '',
  ORGPULSE_CONFIG: '',
  ORGPULSE_TEST_GOOGLE_KEY: fake.serviceAccountKey,
})

const orgpulse = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      NODE,
      [CLI_MAIN, '--data-dir', dataDir, ...args],
      { cwd: work, env: env() },
      (err, stdout, err2) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: err2 }),
    )
  })

const config = (rituals: string) =>
  writeFileSync(
    configFile,
    [
      'privacy: { minGroupSize: 1 }',
      'calendar:',
      '  internalDomains: [x.io]',
      '  minCoverage: 0.3',
      '  google:',
      `    rootUrl: ${fake.rootUrl}`,
      '    serviceAccountKeyEnv: ORGPULSE_TEST_GOOGLE_KEY',
      '    people: [dana@x.io]',
      '    maxRetries: 0',
      rituals,
      '',
    ].join('\n'),
  )

const until = async (what: () => boolean, ms: number, label: string) => {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}; stderr:\n${stderr.slice(-3000)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

beforeAll(async () => {
  fake = await startFakeGoogleCalendar({ calendars: { 'dana@x.io': [staffSync] } })
  config('')
  writeFileSync(
    join(work, 'org.csv'),
    'email,name,manager_email,title,timezone\ndir@x.io,Dir,,Director,UTC\ndana@x.io,Dana,dir@x.io,EM,UTC\nann@x.io,Ann,dana@x.io,Eng,UTC\n',
  )
  // the org first (the pull reads everybody's calendar the config names), then the instance
  expect(
    (await orgpulse('--config', configFile, 'org', 'import', 'org.csv', '--effective', '2026-01-01')).code,
  ).toBe(0)
  server = spawn(
    NODE,
    [
      CLI_MAIN,
      '--data-dir',
      dataDir,
      '--config',
      configFile,
      'start',
      '--no-demo',
      '--port',
      '0',
      '--pull-every',
      '0.05',
    ],
    { cwd: work, env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  server.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8')
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('orgpulse start did not come up')), 90_000)
    createInterface({ input: server.stdout! }).on('line', (line) => {
      if (/running in embedded mode at/.test(line)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}, 120_000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const done = new Promise((r) => server.once('exit', r))
    server.kill('SIGTERM')
    await done
  }
  await fake?.close()
})

const adherence = async () => {
  const r = await orgpulse('metrics', '--org', 'dir@x.io', '--from', FROM, '--to', TO, '--format', 'json')
  expect(r.code, r.stderr).toBe(0)
  const m = JSON.parse(r.stdout) as {
    metrics: Record<string, number | null>
    withheld: Record<string, string>
  }
  return m.metrics.ritual_adherence ?? m.withheld.ritual_adherence
}

describe("start's scheduled pull after the rules changed", () => {
  it('re-reads the calendars with the ritual the file now names', async () => {
    await until(() => /ingest watch: calendar done/.test(stderr), 60_000, 'the first pull')
    config('  rituals: [{ name: staff sync, cadence: weekly }]')
    await until(
      () => stderr.includes(`classification rules changed: re-reading 1 calendars from `),
      60_000,
      'the re-read',
    )
    const pulled = stderr.length
    await until(() => /ingest watch: calendar done/.test(stderr.slice(pulled)), 60_000, 'the pull to finish')
    // held in the first of the two weeks
    expect(await adherence()).toBe(0.5)
  }, 240_000)
})
