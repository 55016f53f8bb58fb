import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { ConfigError, loadConfig, parseConfig } from '../src/load-config.ts'

const dir = mkdtempSync(join(tmpdir(), 'orgpulse-config-'))
const file = (name: string, yaml: string) => {
  const path = join(dir, name)
  writeFileSync(path, yaml)
  return path
}
const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('orgpulse.yaml rejects unknown keys at every level, naming the closest known one', () => {
  it.each([
    [
      'alerts:\n  centralisationMax: 0.4\n',
      'unknown key alerts.centralisationMax: did you mean alerts.centralizationMax?',
    ],
    ['privacy:\n  minGroupsize: 3\n', 'unknown key privacy.minGroupsize: did you mean privacy.minGroupSize?'],
    [
      'workingHours:\n  timezone: Europe/Paris\n',
      'unknown key workingHours.timezone: did you mean workingHours.timeZone?',
    ],
    [
      'calendar:\n  rituals:\n    - { name: sync, cadence: weekly, ownr: a@x.io }\n',
      'unknown key calendar.rituals.0.ownr: did you mean calendar.rituals.0.owner?',
    ],
    [
      'jira:\n  projects: [ENG]\n  sync: { pagesize: 50 }\n',
      'unknown key jira.sync.pagesize: did you mean jira.sync.pageSize?',
    ],
    ['linear:\n  apiKeyEnvv: X\n', 'unknown key linear.apiKeyEnvv: did you mean linear.apiKeyEnv?'],
    ['alert:\n  centralizationMax: 0.4\n', 'unknown key alert: did you mean alerts?'],
    [
      'hr:\n  source: scim\n  guard: { maxRemovd: 0.1 }\n',
      'unknown key hr.guard.maxRemovd: did you mean hr.guard.maxRemoved?',
    ],
  ])('%j', (yaml, message) => {
    const path = file('orgpulse.yaml', yaml)
    let err: unknown
    try {
      loadConfig(path)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).kind).toBe('config')
    expect((err as Error).message).toBe(`${path} is invalid:\n  ${message}`)
  })

  it('hr.source bamboohr needs the company', () => {
    expect(() => parseConfig({ hr: { source: 'bamboohr' } }, 'orgpulse.yaml')).toThrow(
      'hr.source bamboohr needs hr.bamboohr.company',
    )
    expect(parseConfig({ hr: { source: 'scim' } }, 'orgpulse.yaml').hr).toMatchObject({
      every: 60,
      guard: { maxManagerChanges: 0.2, maxRemoved: 0.2 },
    })
  })

  it('a key nothing is close to lists the keys known there', () => {
    expect(() => parseConfig({ alerts: { pagerDuty: true } }, 'orgpulse.yaml')).toThrow(
      'unknown key alerts.pagerDuty (keys known at alerts: centralizationMax, escalationOverBaseline, latencyP90MaxHours, blockerMaxAgeDays, ritualsStoppedMax, webhookUrlEnv)',
    )
  })

  it('every config the docs show still parses', () => {
    const blocks = (md: string) => [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
    // placeholders (`jira: { … }`, `https://…/basic.ics`) are elided: the rest must parse
    const concrete = (b: string) =>
      b
        .replaceAll('https://…/', 'https://calendar.example.com/')
        .split('\n')
        .filter((l) => !l.includes('…'))
        .join('\n')
    const calendar = blocks(readFileSync(join(ROOT, 'packages/connector-calendar/README.md'), 'utf8'))
    expect(calendar.length).toBeGreaterThan(0)
    for (const b of calendar)
      expect(parseConfig(parseYaml(concrete(b)), 'README').calendar?.rituals).toHaveLength(1)
    const [overview] = blocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    expect(parseConfig(parseYaml(concrete(overview!)), 'README')).toMatchObject({
      alerts: { centralizationMax: 0.3 },
    })
    // the Weekly digest section's example
    const digest = blocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).find((b) => b.startsWith('digest:'))
    expect(digest).toBeDefined()
    expect(parseConfig(parseYaml(digest!), 'README').digest).toMatchObject({
      day: 1,
      hour: 8,
      timeZone: 'Europe/Berlin',
      directors: [
        { email: 'ana@example.com' },
        { email: 'ben@example.com', timeZone: 'America/New_York', hour: 9 },
      ],
    })
  })
})
