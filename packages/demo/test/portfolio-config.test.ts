import { configSchema, PORTFOLIO_BUCKETS } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { applyDemoConfig, demoConfigSections } from '../src/config.ts'
import { generateDemo } from '../src/generate.ts'

describe("the demo's portfolio mapping", () => {
  const company = generateDemo({ people: 60, weeks: 8, seed: 1, end: new Date('2026-11-23T00:00:00Z') })
  const sections = demoConfigSections(company)
  const config = configSchema.parse(sections)

  it('puts every Jira project and Linear team of the demo in a bucket, in turn by key', () => {
    const jira = config.jira?.projects ?? []
    const linear = Object.keys(config.linear?.teams ?? {})
    expect(jira.length + linear.length).toBeGreaterThan(1)
    const keys = [...new Set([...jira, ...linear])].sort()
    for (const k of jira)
      expect(config.portfolio!.jira.projects[k]).toEqual({ bucket: PORTFOLIO_BUCKETS[keys.indexOf(k) % 4] })
    for (const k of linear)
      expect(config.portfolio!.linear.teams[k]).toEqual({ bucket: PORTFOLIO_BUCKETS[keys.indexOf(k) % 4] })
    expect(new Set(keys.map((k) => PORTFOLIO_BUCKETS[keys.indexOf(k) % 4])).size).toBe(
      Math.min(4, keys.length),
    )
  })

  it('applyDemoConfig replaces the loaded portfolio with the demo’s', () => {
    const loaded = configSchema.parse({ portfolio: { jira: { projects: { REAL: 'core' } } } })
    applyDemoConfig(loaded, sections)
    expect(loaded.portfolio).toEqual(config.portfolio)
  })
})
